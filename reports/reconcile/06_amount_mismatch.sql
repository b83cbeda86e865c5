-- sheet: Amount mismatch
-- money: recorded=currency, gross=currency, fee=currency, net=currency, amount=currency
-- column: amount | Difference | settled gross minus what our payment
--     recorded, in major units
--
-- Cases of AMOUNT_MISMATCH that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A settled charge whose gross differs from our payment by more than
-- amount_tolerance minor units; amount is settled minus recorded.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, k.provider, k.txn_id, d.payment_id,
       d.source, d.provider_payment_id, d.order_id, d.recorded, s.*, c.amount,
       c.currency, c.first_seen, c.last_seen, c.occurrences, c.age_days,
       c.accepted_until, c.accepted_note
  from tally_report_cases($3, 'AMOUNT_MISMATCH') c,
       tally_report_settlement_row(c.details) s,
       jsonb_to_record(c.keys) as k(provider text, txn_id text),
       jsonb_to_record(c.details) as d(payment_id bigint, source text,
           provider_payment_id text, order_id bigint, recorded numeric)
 order by c.rank
