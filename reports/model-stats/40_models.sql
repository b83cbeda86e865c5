-- sheet: Models
-- money: provider_cost_per_call=currency, provider_cost=currency
-- percent: success_rate
--
-- Every model known at $3, with its figures over the whole period (zeros
-- when it had no call) and its last access: the latest call started by
-- the as-of instant, in or before the period (ORDER BY ... LIMIT 1 rather
-- than max(): it walks the (model_id, started_at) index backwards and
-- stops at the first call that counts as of $3).
with p as (
	select u.model_id,
	       count(*) as calls,
	       count(*) filter (where u.status = 'ok') as ok,
	       count(*) filter (where u.status = 'error') as errors,
	       sum(u.credits) as credits,
	       round(avg(u.duration_ms), 1) as avg_ms,
	       round(percentile_cont(0.95) within group (order by u.duration_ms)
	             ::numeric, 1) as p95_ms
	  from tally_report_usage($1, $2, $3) u
	 group by u.model_id
)
select m.name as model,
       m.active,
       m.flagged,
       m.credit_cost,
       tally_major(m.provider_cost_minor, m.provider_currency)
           as provider_cost_per_call,
       m.provider_currency::text as currency,
       coalesce(p.calls, 0) as calls,
       coalesce(p.ok, 0) as ok,
       coalesce(p.errors, 0) as errors,
       round(p.ok::numeric / nullif(p.calls, 0), 4) as success_rate,
       coalesce(p.credits, 0) as credits,
       p.avg_ms,
       p.p95_ms,
       tally_major(coalesce(p.calls, 0) * m.provider_cost_minor,
                   m.provider_currency) as provider_cost,
       (select l.started_at
          from tally_report_usage('-infinity', 'infinity', $3) l
         where l.model_id = m.id
         order by l.started_at desc
         limit 1) as last_access
  from models m
  left join p on p.model_id = m.id
 where m.created_at <= $3
 order by m.name
