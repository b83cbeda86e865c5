-- sheet: Missing in settlement
-- money: amount=currency
-- column: amount | Amount | the payment's amount, in major units
-- column: settled_from | Settlement from | the first day the settlement
--     covers
-- column: settled_until | Settlement until | the last instant the
--     settlement covers
--
-- Cases of MISSING_IN_SETTLEMENT that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A succeeded payment that the provider's settlement (over the dates it
-- covers, settled_from..settled_until) does not contain after
-- settlement_grace_days; older than 7 days is an error.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, k.payment_id, d.provider, d.source,
       d.provider_payment_id, d.order_id, d.provider_ref, d.paid_at, c.amount,
       c.currency, d.settled_from, d.settled_until, c.first_seen, c.last_seen,
       c.occurrences, c.age_days, c.accepted_until, c.accepted_note
  from tally_report_cases($3, 'MISSING_IN_SETTLEMENT') c,
       jsonb_to_record(c.keys) as k(payment_id bigint),
       jsonb_to_record(c.details) as d(provider text, source text,
           provider_payment_id text, order_id bigint, provider_ref text,
           paid_at timestamptz, settled_from timestamptz,
           settled_until timestamptz)
 order by c.rank
