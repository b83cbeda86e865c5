-- sheet: Credits overdrawn
-- column: balance | Balance | the user's credit balance (below zero)
-- column: last_entry_at | Last entry at | the user's latest ledger entry
--
-- Cases of CREDITS_OVERDRAWN that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A user whose credit balance is below zero.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, k.user_id, d.external_id, d.email,
       d.balance, d.last_entry_at, c.first_seen, c.last_seen, c.occurrences,
       c.age_days, c.accepted_until, c.accepted_note
  from tally_report_cases($3, 'CREDITS_OVERDRAWN') c,
       jsonb_to_record(c.keys) as k(user_id bigint),
       jsonb_to_record(c.details) as d(external_id text, email text,
           balance bigint, last_entry_at timestamptz)
 order by c.rank
