-- sheet: Per model per day
-- money: provider_cost=currency
-- percent: success_rate
-- column: day | Day | the local day, in the report time zone
-- column: model | Model | the model called
-- column: calls | Calls | every call
-- column: generate | Generate | generate calls
-- column: edit | Edit | edit calls
-- column: ok | Successful | calls that succeeded
-- column: errors | Failed | calls that ended in an error
-- column: success_rate | Success rate | successful / calls
-- column: avg_ms | Average ms, all | mean processing time of every call,
--     failed ones too (a 60 s timeout is 60 s of waiting)
-- column: p50_ms | Median ms, all | median processing time of every call
-- column: p95_ms | p95 ms, all | 95 of 100 calls took no longer
-- column: ok_avg_ms | Average ms, successful | mean processing time of
--     the calls that succeeded: what a user who got an image waited
-- column: ok_p50_ms | Median ms, successful | median of the successful
--     calls
-- column: ok_p95_ms | p95 ms, successful | 95 of 100 successful calls took
--     no longer
-- column: max_ms | Longest ms | the longest call
-- column: credits | Credits | credits the calls charged
-- column: provider_cost | Provider cost | every call at the model's
--     provider price, failed ones too
-- column: currency | Currency | the provider's currency
-- column: users | Users | distinct users who called
-- column: last_call | Last call | when the day's last call started
--
-- One row per model and day with a call.  Processing times are given
-- twice: over every call, failed ones too (a failure that takes 60 s is
-- 60 s of waiting), and over the successful calls only (a timeout's 30 s
-- must not hide a 2.5 s real one).  p50/p95 are continuous percentiles,
-- computed exactly (tally_percentile, sql/062) and rounded half away from
-- zero, in milliseconds.
-- Provider cost is every call at the model's current provider_cost_minor,
-- failed calls too (tally_report_model_usage in sql/020 applies the same
-- rule), in the provider's currency.
select s.day, m.name as model, s.calls, s.generate, s.edit, s.ok, s.errors,
       round(s.ok::numeric / s.calls, 4) as success_rate,
       s.avg_ms, s.p50_ms, s.p95_ms, s.ok_avg_ms, s.ok_p50_ms, s.ok_p95_ms,
       s.max_ms, s.credits,
       tally_major(s.calls * m.provider_cost_minor, m.provider_currency)
           as provider_cost,
       m.provider_currency::text as currency,
       s.users, s.last_call
  from tally_report_usage_stats($1, $2, $3, true, true) s
  join models m on m.id = s.model_id
 order by 1, 2
