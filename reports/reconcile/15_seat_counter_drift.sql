-- sheet: Seat counter drift
--
-- Cases of SEAT_COUNTER_DRIFT that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- An account whose current_seats_used differs from its ACTIVE
-- assignments.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.id as case_id, c.status, c.severity,
       (c.keys->>'account_id')::bigint as account_id,
       c.details->>'email' as email,
       c.details->>'status' as account_status,
       (c.details->>'max_seats')::integer as max_seats,
       (c.details->>'current_seats_used')::integer as current_seats_used,
       (c.details->>'active_assignments')::integer as active_assignments,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.category = 'SEAT_COUNTER_DRIFT' and c.status <> 'CLOSED'
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
