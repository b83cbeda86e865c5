-- sheet: Fulfilled not paid
-- money: amount=currency
-- column: fulfilment_kind | Given | seat or credits
-- column: assignment_id | Assignment | the seat's assignment id (tallyctl
--     assignment), if a seat
-- column: ledger_id | Ledger entry | the credit grant's ledger entry, if
--     credits
-- column: fulfilled_at | Fulfilled at | when the seat or credits were given
--
-- Cases of FULFILLED_NOT_PAID that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A seat or a credit grant for an order with no succeeded payment.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, o.*, d.order_status,
       d.fulfilment_kind, d.assignment_id, d.ledger_id, d.fulfilled_at,
       c.amount, c.currency, c.first_seen, c.last_seen, c.occurrences,
       c.age_days, c.accepted_until, c.accepted_note
  from tally_report_cases($3, 'FULFILLED_NOT_PAID') c,
       tally_report_case_order(c.keys, c.details) o,
       jsonb_to_record(c.details) as d(order_status text,
           fulfilment_kind text, assignment_id bigint, ledger_id bigint,
           fulfilled_at timestamptz)
 order by c.rank
