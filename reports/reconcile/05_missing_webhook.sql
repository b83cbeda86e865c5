-- sheet: Missing webhook
-- money: amount=currency, gross=currency, fee=currency, net=currency
-- column: payment_status | Payment status | what tally has of the payment,
--     if anything
-- column: amount | Amount | the settled gross, in major units
--
-- Cases of MISSING_WEBHOOK that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A settled charge for which no payment webhook was recorded
-- (payment_status: what we have, if anything); amount is the settled
-- gross.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, k.provider, k.txn_id, s.*, d.sku,
       d.order_id, d.payment_status, c.amount, c.currency, c.first_seen,
       c.last_seen, c.occurrences, c.age_days, c.accepted_until,
       c.accepted_note
  from tally_report_cases($3, 'MISSING_WEBHOOK') c,
       tally_report_settlement_row(c.details) s,
       jsonb_to_record(c.keys) as k(provider text, txn_id text),
       jsonb_to_record(c.details) as d(sku text, order_id bigint,
           payment_status text)
 order by c.rank
