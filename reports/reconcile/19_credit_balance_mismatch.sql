-- sheet: Credit balance mismatch
-- column: ours | Our balance | the balance in tally's ledger, in credits
-- column: theirs | Their balance | the image service's balance, in credits
-- column: difference | Difference | ours minus theirs, in credits
-- column: snapshot_at | Snapshot at | the instant the two balances are
--     compared at
-- column: snapshot_from | Snapshot from | where their balance came from (an
--     event, or a balances file)
-- column: raw_event_id | Delivery | the credits.balance delivery, if from
--     an event
--
-- Cases of CREDIT_BALANCE_MISMATCH that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- Our ledger and the image service's latest balance disagree at the
-- snapshot's instant; difference is ours minus theirs, in credits.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, k.user_id, d.external_id, d.email,
       d.ours, d.theirs, c.amount_minor as difference, d.snapshot_at,
       d.snapshot_from, d.raw_event_id, c.first_seen, c.last_seen,
       c.occurrences, c.age_days, c.accepted_until, c.accepted_note
  from tally_report_cases($3, 'CREDIT_BALANCE_MISMATCH') c,
       jsonb_to_record(c.keys) as k(user_id bigint),
       jsonb_to_record(c.details) as d(external_id text, email text,
           ours bigint, theirs bigint, snapshot_at timestamptz,
           snapshot_from text, raw_event_id bigint)
 order by c.rank
