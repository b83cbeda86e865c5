-- sheet: Stuck assigned
-- column: last_ends_at | Last ended at | when the last of its ACTIVE
--     assignments ran out
--
-- Cases of STUCK_ASSIGNED that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A full (ASSIGNED) account whose ACTIVE assignments all ended over an
-- hour ago: tally-expire has not released them.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, k.account_id, d.email, d.max_seats,
       d.current_seats_used, d.active_assignments, d.last_ends_at,
       c.first_seen, c.last_seen, c.occurrences, c.age_days, c.accepted_until,
       c.accepted_note
  from tally_report_cases($3, 'STUCK_ASSIGNED') c,
       jsonb_to_record(c.keys) as k(account_id bigint),
       jsonb_to_record(c.details) as d(email text, max_seats integer,
           current_seats_used integer, active_assignments integer,
           last_ends_at timestamptz)
 order by c.rank
