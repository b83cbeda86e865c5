-- sheet: Dispute open
-- money: amount=currency
-- column: dispute_id | Dispute | tally's dispute id
-- column: provider_dispute_id | Provider dispute id | how the provider
--     knows the dispute
-- column: reason | Reason | the reason the provider gives
-- column: opened_at | Opened at | when the dispute was opened
-- column: amount | Amount | the disputed amount, in major units
--
-- Cases of DISPUTE_OPEN that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A dispute the provider still has open, whatever the period.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, k.dispute_id, d.source,
       d.provider_dispute_id, d.order_id, d.provider_ref, d.customer_email,
       d.reason, d.opened_at, c.amount, c.currency, c.first_seen, c.last_seen,
       c.occurrences, c.age_days, c.accepted_until, c.accepted_note
  from tally_report_cases($3, 'DISPUTE_OPEN') c,
       jsonb_to_record(c.keys) as k(dispute_id bigint),
       jsonb_to_record(c.details) as d(source text, provider_dispute_id text,
           order_id bigint, provider_ref text, customer_email text,
           reason text, opened_at timestamptz)
 order by c.rank
