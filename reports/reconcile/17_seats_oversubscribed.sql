-- sheet: Seats oversubscribed
-- column: capacity | Seats | how many seats the account has
-- column: peak_seats | Peak seats held | the most seats it held at once in
--     the period
-- column: first_over_at | First over at | when it first held more than it
--     has
-- column: active_now | Active now | seats it holds at the run
--
-- Cases of SEATS_OVERSUBSCRIBED that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- An account that held more seats at once than it has, at some instant
-- of the period.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, k.account_id, d.email, d.capacity,
       d.peak_seats, d.first_over_at, d.active_now, c.first_seen, c.last_seen,
       c.occurrences, c.age_days, c.accepted_until, c.accepted_note
  from tally_report_cases($3, 'SEATS_OVERSUBSCRIBED') c,
       jsonb_to_record(c.keys) as k(account_id bigint),
       jsonb_to_record(c.details) as d(email text, capacity integer,
           peak_seats integer, first_over_at timestamptz, active_now integer)
 order by c.rank
