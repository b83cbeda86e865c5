-- sheet: Credits overdrawn
--
-- Cases of CREDITS_OVERDRAWN that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A user whose credit balance is below zero.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.id as case_id, c.status, c.severity,
       (c.keys->>'user_id')::bigint as user_id,
       c.details->>'external_id' as external_id,
       c.details->>'email' as email,
       (c.details->>'balance')::bigint as balance,
       (c.details->>'last_entry_at')::timestamptz as last_entry_at,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.category = 'CREDITS_OVERDRAWN' and c.status <> 'CLOSED'
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
