-- sheet: Refund not reflected
-- money: order_amount=currency, amount=currency
-- column: chargeback | Charged back | true: a chargeback or a lost dispute;
--     false: a refund
-- column: refunded_at | Refunded at | when the money went back
-- column: active_assignment_ids | Active assignments | the seats still
--     ACTIVE for the order
-- column: credits_taken_back | Credits taken back | credits debited since
-- column: amount | Refunded | what was refunded, in major units
--
-- Cases of REFUND_NOT_REFLECTED that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- Refunded in full, charged back or a dispute lost, but a seat is still
-- ACTIVE or the credits were not taken back; amount is what was
-- refunded.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, o.*, d.chargeback, d.refunded_at,
       d.order_amount, d.active_assignment_ids, d.credits_granted,
       d.credits_taken_back, c.amount, c.currency, c.first_seen, c.last_seen,
       c.occurrences, c.age_days, c.accepted_until, c.accepted_note
  from tally_report_cases($3, 'REFUND_NOT_REFLECTED') c,
       tally_report_case_order(c.keys, c.details) o,
       jsonb_to_record(c.details) as d(chargeback boolean,
           refunded_at timestamptz, order_amount numeric,
           active_assignment_ids text, credits_granted bigint,
           credits_taken_back bigint)
 order by c.rank
