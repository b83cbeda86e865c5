-- sheet: Duplicate charge
-- money: order_amount=currency, charged=currency, refunded=currency, amount=currency
-- column: payments | Payments | succeeded payments for the order
-- column: payment_ids | Provider payment ids | the provider's ids of those
--     payments
-- column: charged | Charged | what those payments charged, in major units
-- column: refunded | Refunded | what was refunded of them
-- column: amount | Kept extra | what is still kept beyond the first payment
--     (refunding the extra payment closes the case)
--
-- Cases of DUPLICATE_CHARGE that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- An order with more than one succeeded payment that kept more than the
-- first one (refunding the extra payment closes it); amount is what is
-- still kept beyond the first payment.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, o.*, d.payments, d.payment_ids,
       d.order_amount, d.charged, d.refunded, c.amount, c.currency,
       c.first_seen, c.last_seen, c.occurrences, c.age_days, c.accepted_until,
       c.accepted_note
  from tally_report_cases($3, 'DUPLICATE_CHARGE') c,
       tally_report_case_order(c.keys, c.details) o,
       jsonb_to_record(c.details) as d(payments integer, payment_ids text,
           order_amount numeric, charged numeric, refunded numeric)
 order by c.rank
