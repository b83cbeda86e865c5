-- sheet: Duplicate fulfillment
-- money: amount=currency
-- column: seats | Seats | seats (not revoked) given for the order
-- column: assignment_ids | Assignments | their assignment ids
-- column: credit_grants | Credit grants | credit grants for the order
-- column: ledger_ids | Ledger entries | their ledger entries
-- column: amount | Amount | the order's amount, in major units
--
-- Cases of DUPLICATE_FULFILLMENT that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- An order given more than one seat (not revoked) or credit grant;
-- amount is the order's.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, o.*, d.seats, d.assignment_ids,
       d.credit_grants, d.credits_granted, d.ledger_ids, c.amount, c.currency,
       c.first_seen, c.last_seen, c.occurrences, c.age_days, c.accepted_until,
       c.accepted_note
  from tally_report_cases($3, 'DUPLICATE_FULFILLMENT') c,
       tally_report_case_order(c.keys, c.details) o,
       jsonb_to_record(c.details) as d(seats integer, assignment_ids text,
           credit_grants integer, credits_granted bigint, ledger_ids text)
 order by c.rank
