-- sheet: Fulfilled not paid
-- money: amount=currency
--
-- Cases of FULFILLED_NOT_PAID that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A seat or a credit grant for an order with no succeeded payment.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.id as case_id, c.status, c.severity,
       (c.keys->>'order_id')::bigint as order_id,
       c.details->>'source' as source,
       c.details->>'provider_ref' as provider_ref,
       c.details->>'customer_email' as customer_email,
       c.details->>'order_status' as order_status,
       c.details->>'fulfilment_kind' as fulfilment_kind,
       (c.details->>'assignment_id')::bigint as assignment_id,
       (c.details->>'ledger_id')::bigint as ledger_id,
       (c.details->>'fulfilled_at')::timestamptz as fulfilled_at,
       tally_major(c.amount_minor, c.currency) as amount,
       c.currency,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.category = 'FULFILLED_NOT_PAID' and c.status <> 'CLOSED'
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
