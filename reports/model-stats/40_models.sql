-- sheet: Models
-- money: provider_cost_per_call=currency, provider_cost=currency
-- percent: success_rate
-- column: model | Model | every model known at the as-of instant
-- column: active | Active | whether the image service may call it
-- column: flagged | Flagged | registered from usage under an unknown name
--     and not reviewed yet (tallyctl model set)
-- column: credit_cost | Credits per call | what a call charges the user
-- column: provider_cost_per_call | Cost per call | what the provider
--     charges us
-- column: currency | Currency | the provider's currency
-- column: calls | Calls | every call in the period
-- column: ok | Successful | calls that succeeded
-- column: errors | Failed | calls that ended in an error
-- column: success_rate | Success rate | successful / calls
-- column: credits | Credits | credits the calls charged
-- column: avg_ms | Average ms, all | mean processing time, failed calls
--     too
-- column: p95_ms | p95 ms, all | 95 of 100 calls took no longer
-- column: ok_avg_ms | Average ms, successful | mean processing time of the
--     successful calls
-- column: ok_p95_ms | p95 ms, successful | 95 of 100 successful calls took
--     no longer
-- column: provider_cost | Provider cost | every call at the provider's
--     price
-- column: last_access | Last call | the latest call started by the as-of
--     instant, in or before the period
--
-- Every model known at $3, with its figures over the whole period (zeros
-- when it had no call) and its last access: the latest call started by
-- the as-of instant, in or before the period (ORDER BY ... LIMIT 1 rather
-- than max(): it walks the (model_id, started_at) index backwards and
-- stops at the first call that counts as of $3).
with p as (
	select * from tally_report_usage_stats($1, $2, $3, false, true)
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
       p.ok_avg_ms,
       p.ok_p95_ms,
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
