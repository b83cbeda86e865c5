-- sheet: Refund not reflected
-- money: order_amount=currency, amount=currency
--
-- Cases of REFUND_NOT_REFLECTED that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- Refunded in full, charged back or a dispute lost, but a seat is still
-- ACTIVE or the credits were not taken back; amount is what was
-- refunded.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.id as case_id, c.status, c.severity,
       (c.keys->>'order_id')::bigint as order_id,
       c.details->>'source' as source,
       c.details->>'provider_ref' as provider_ref,
       c.details->>'customer_email' as customer_email,
       (c.details->>'chargeback')::boolean as chargeback,
       (c.details->>'refunded_at')::timestamptz as refunded_at,
       (c.details->>'order_amount')::numeric as order_amount,
       c.details->'active_assignment_ids' #>> '{}' as active_assignment_ids,
       (c.details->>'credits_granted')::bigint as credits_granted,
       (c.details->>'credits_taken_back')::bigint as credits_taken_back,
       tally_major(c.amount_minor, c.currency) as amount,
       c.currency,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.category = 'REFUND_NOT_REFLECTED' and c.status <> 'CLOSED'
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
