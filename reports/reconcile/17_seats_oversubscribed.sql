-- sheet: Seats oversubscribed
--
-- Cases of SEATS_OVERSUBSCRIBED that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- An account that held more seats at once than it has, at some instant
-- of the period.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.id as case_id, c.status, c.severity,
       (c.keys->>'account_id')::bigint as account_id,
       c.details->>'email' as email,
       (c.details->>'capacity')::integer as capacity,
       (c.details->>'peak_seats')::integer as peak_seats,
       (c.details->>'first_over_at')::timestamptz as first_over_at,
       (c.details->>'active_now')::integer as active_now,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.category = 'SEATS_OVERSUBSCRIBED' and c.status <> 'CLOSED'
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
