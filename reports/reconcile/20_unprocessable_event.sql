-- sheet: Unprocessable event
--
-- Cases of UNPROCESSABLE_EVENT that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A delivery allocate marked FAILED; see tallyctl event list --failed.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.id as case_id, c.status, c.severity,
       c.keys->>'source' as source,
       c.keys->>'event_key' as event_key,
       (c.details->>'raw_event_id')::bigint as raw_event_id,
       c.details->>'scheme' as scheme,
       c.details->>'type' as event_type,
       c.details->>'error' as error,
       (c.details->>'attempts')::integer as attempts,
       (c.details->>'received_at')::timestamptz as received_at,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.category = 'UNPROCESSABLE_EVENT' and c.status <> 'CLOSED'
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
