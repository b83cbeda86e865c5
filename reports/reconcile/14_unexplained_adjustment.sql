-- sheet: Unexplained adjustment
-- money: gross=currency, fee=currency, net=currency, amount=currency
-- column: kind | Kind | how the row reads to tally (adjustment, refund or
--     dispute without one of ours)
-- column: amount | Amount | the row's net, in major units
--
-- Cases of UNEXPLAINED_ADJUSTMENT that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A settlement row our records do not explain: an adjustment, or a
-- refund or dispute row for an order without one; amount is the row's
-- net.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, k.provider, k.txn_id, d.kind, s.*,
       d.order_id, c.amount, c.currency, c.first_seen, c.last_seen,
       c.occurrences, c.age_days, c.accepted_until, c.accepted_note
  from tally_report_cases($3, 'UNEXPLAINED_ADJUSTMENT') c,
       tally_report_settlement_row(c.details) s,
       jsonb_to_record(c.keys) as k(provider text, txn_id text),
       jsonb_to_record(c.details) as d(kind text, order_id bigint)
 order by c.rank
