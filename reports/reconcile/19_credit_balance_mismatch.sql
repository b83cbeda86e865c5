-- sheet: Credit balance mismatch
--
-- Cases of CREDIT_BALANCE_MISMATCH that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- Our ledger and the image service's latest balance disagree at the
-- snapshot's instant; difference is ours minus theirs, in credits.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.id as case_id, c.status, c.severity,
       (c.keys->>'user_id')::bigint as user_id,
       c.details->>'external_id' as external_id,
       c.details->>'email' as email,
       (c.details->>'ours')::bigint as ours,
       (c.details->>'theirs')::bigint as theirs,
       c.amount_minor as difference,
       (c.details->>'snapshot_at')::timestamptz as snapshot_at,
       c.details->>'snapshot_from' as snapshot_from,
       (c.details->>'raw_event_id')::bigint as raw_event_id,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.category = 'CREDIT_BALANCE_MISMATCH' and c.status <> 'CLOSED'
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
