-- sheet: Per model per day
-- money: provider_cost=currency
-- percent: success_rate
--
-- One row per model and day with a call.  Processing times are over every
-- call, failed ones too (a failure that takes 60 s is 60 s of waiting);
-- p50/p95 are continuous percentiles (percentile_cont), in milliseconds.
-- Provider cost is every call at the model's current provider_cost_minor,
-- failed calls too (tally_report_model_usage in sql/020 applies the same
-- rule), in the provider's currency.
select u.started_at::date as day,
       m.name as model,
       count(*) as calls,
       count(*) filter (where u.kind = 'generate') as generate,
       count(*) filter (where u.kind = 'edit') as edit,
       count(*) filter (where u.status = 'ok') as ok,
       count(*) filter (where u.status = 'error') as errors,
       round(count(*) filter (where u.status = 'ok')::numeric / count(*), 4)
           as success_rate,
       round(avg(u.duration_ms), 1) as avg_ms,
       round(percentile_cont(0.5) within group (order by u.duration_ms)
             ::numeric, 1) as p50_ms,
       round(percentile_cont(0.95) within group (order by u.duration_ms)
             ::numeric, 1) as p95_ms,
       max(u.duration_ms) as max_ms,
       sum(u.credits) as credits,
       tally_major(count(*) * m.provider_cost_minor, m.provider_currency)
           as provider_cost,
       m.provider_currency::text as currency,
       count(distinct u.user_id) as users,
       max(u.started_at) as last_call
  from tally_report_usage($1, $2, $3) u
  join models m on m.id = u.model_id
 group by 1, m.id
 order by 1, 2
