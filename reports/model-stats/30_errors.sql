-- sheet: Errors
-- column: day | Day | the local day
-- column: model | Model | the model called
-- column: error | Error | the error as the image service reported it
-- column: calls | Calls | failed calls with that error
-- column: first_seen | First | the first such call that day
-- column: last_seen | Last | the last such call that day
--
-- Failed calls by model, day and error, most frequent first.  The error
-- text comes from the image service: it is written as text, never a
-- formula (and neutralised in the CSV).
select u.started_at::date as day,
       m.name as model,
       coalesce(nullif(u.error, ''), '(no message)') as error,
       count(*) as calls,
       min(u.started_at) as first_seen,
       max(u.started_at) as last_seen
  from tally_report_usage($1, $2, $3) u
  join models m on m.id = u.model_id
 where u.status = 'error'
 group by 1, m.name, 3
 order by 1, 2, 4 desc, 3
