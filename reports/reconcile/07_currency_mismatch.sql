-- sheet: Currency mismatch
-- money: recorded=recorded_currency, gross=currency, fee=currency, net=currency, amount=currency
-- column: recorded_currency | Recorded currency | the currency our payment
--     recorded
-- column: amount | Amount | the settled gross in the settled currency
-- column: currency | Settled currency | the currency the provider settled
--     in
--
-- Cases of CURRENCY_MISMATCH that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A settled charge in another currency than our payment; amount is the
-- settled gross in the settled currency.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, k.provider, k.txn_id, d.payment_id,
       d.source, d.provider_payment_id, d.order_id, d.recorded,
       d.recorded_currency, s.*, c.amount, c.currency, c.first_seen,
       c.last_seen, c.occurrences, c.age_days, c.accepted_until,
       c.accepted_note
  from tally_report_cases($3, 'CURRENCY_MISMATCH') c,
       tally_report_settlement_row(c.details) s,
       jsonb_to_record(c.keys) as k(provider text, txn_id text),
       jsonb_to_record(c.details) as d(payment_id bigint, source text,
           provider_payment_id text, order_id bigint, recorded numeric,
           recorded_currency text)
 order by c.rank
