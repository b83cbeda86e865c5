-- What the provider answered about raw event $1: outcome $2 (ANSWERED,
-- UNKNOWN, UNREACHABLE), HTTP status $3, the answer $4 (a JSON object,
-- ANSWERED only), why not $5.  An unreachable provider is asked again
-- after 1, 2, 4, ... minutes, at most 60, counting the failures in a
-- row; any answer resets the count.  The notification against the answer
-- (tally_notification_mismatch(), sql/042) is kept as mismatch.  Returns
-- the failures in a row, when to ask again, and what differs.
insert into provider_checks as c (raw_event_id, source, asked_at, outcome,
                                  http_status, answer, error, failures,
                                  next_ask_at, mismatch)
select r.id, r.source, now(), $2, $3::integer, $4::jsonb, $5,
       case when $2 = 'UNREACHABLE' then 1 else 0 end,
       case when $2 = 'UNREACHABLE' then now() + interval '1 minute' end,
       tally_notification_mismatch(r.scheme, r.payload, $2, $4::jsonb)
  from raw_events r
 where r.id = $1::bigint
    on conflict (raw_event_id) do update
   set asked_at = excluded.asked_at, outcome = excluded.outcome,
       http_status = excluded.http_status, answer = excluded.answer,
       error = excluded.error,
       failures = case when excluded.outcome = 'UNREACHABLE'
                       then c.failures + 1 else 0 end,
       next_ask_at = case when excluded.outcome = 'UNREACHABLE'
                          then excluded.asked_at + interval '1 minute'
                               * least(1 << least(c.failures, 6), 60) end,
       mismatch = excluded.mismatch
returning failures, next_ask_at, mismatch->>'why'
