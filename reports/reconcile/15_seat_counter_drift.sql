-- sheet: Seat counter drift
-- column: account_status | Account status | the account's status
--
-- Cases of SEAT_COUNTER_DRIFT that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- An account whose current_seats_used differs from its ACTIVE
-- assignments.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, k.account_id, d.email, d.status as
       account_status, d.max_seats, d.current_seats_used,
       d.active_assignments, c.first_seen, c.last_seen, c.occurrences,
       c.age_days, c.accepted_until, c.accepted_note
  from tally_report_cases($3, 'SEAT_COUNTER_DRIFT') c,
       jsonb_to_record(c.keys) as k(account_id bigint),
       jsonb_to_record(c.details) as d(email text, status text,
           max_seats integer, current_seats_used integer,
           active_assignments integer)
 order by c.rank
