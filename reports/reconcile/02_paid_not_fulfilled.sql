-- sheet: Paid not fulfilled
-- money: amount=currency
-- column: product_kind | Product kind | seat or credits
-- column: allocate_error | Why not fulfilled | why tally-allocate could not
--     fulfil it when it last tried
-- column: allocate_attempts | Attempts | how many times tally-allocate
--     tried
--
-- Cases of PAID_NOT_FULFILLED that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A paid order that has no seat and no credits once allocate had its
-- minutes (fulfil_sla_minutes); allocate_error is why allocate could
-- not fulfil it when it tried.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, o.*, d.sku, d.product_kind,
       d.order_status, d.paid_at, c.amount, c.currency, d.allocate_error,
       d.allocate_attempts, c.first_seen, c.last_seen, c.occurrences,
       c.age_days, c.accepted_until, c.accepted_note
  from tally_report_cases($3, 'PAID_NOT_FULFILLED') c,
       tally_report_case_order(c.keys, c.details) o,
       jsonb_to_record(c.details) as d(sku text, product_kind text,
           order_status text, paid_at timestamptz, allocate_error text,
           allocate_attempts integer)
 order by c.rank
