-- sheet: Paid not fulfilled
-- money: amount=currency
--
-- Cases of PAID_NOT_FULFILLED that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A paid order that has no seat and no credits once allocate had its
-- minutes (fulfil_sla_minutes); allocate_error is why allocate could
-- not fulfil it when it tried.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.id as case_id, c.status, c.severity,
       (c.keys->>'order_id')::bigint as order_id,
       c.details->>'source' as source,
       c.details->>'provider_ref' as provider_ref,
       c.details->>'customer_email' as customer_email,
       c.details->>'sku' as sku,
       c.details->>'product_kind' as product_kind,
       c.details->>'order_status' as order_status,
       (c.details->>'paid_at')::timestamptz as paid_at,
       tally_major(c.amount_minor, c.currency) as amount,
       c.currency,
       c.details->>'allocate_error' as allocate_error,
       (c.details->>'allocate_attempts')::integer as allocate_attempts,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.category = 'PAID_NOT_FULFILLED' and c.status <> 'CLOSED'
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
