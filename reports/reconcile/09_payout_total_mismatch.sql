-- sheet: Payout total mismatch
-- money: payout_amount=currency, rows_net=currency, amount=currency
-- column: payout_id | Payout | the provider's payout id
-- column: payout_at | Paid out at | when the payout was made
-- column: payout_amount | Payout amount | the payout row's amount
--     (negative: money leaving the balance)
-- column: rows_net | Rows' net | the sum of the net of the rows the payout
--     pays out
-- column: rows | Rows | how many rows the payout pays out
-- column: payout_rows | Payout rows | how many payout rows the payout has
-- column: amount | Difference | the rows' net minus the payout amount
--
-- Cases of PAYOUT_TOTAL_MISMATCH that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A payout that is not minus the sum of its rows' net; amount is the
-- rows' net minus the payout amount.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, k.provider, k.payout_id, d.payout_at,
       d.payout_amount, d.rows_net, d.rows, d.payout_rows, c.amount,
       c.currency, c.first_seen, c.last_seen, c.occurrences, c.age_days,
       c.accepted_until, c.accepted_note
  from tally_report_cases($3, 'PAYOUT_TOTAL_MISMATCH') c,
       jsonb_to_record(c.keys) as k(provider text, payout_id text),
       jsonb_to_record(c.details) as d(payout_at timestamptz,
           payout_amount numeric, rows_net numeric, rows integer,
           payout_rows integer)
 order by c.rank
