-- sheet: Duplicate charge
-- money: order_amount=currency, charged=currency, refunded=currency, amount=currency
--
-- Cases of DUPLICATE_CHARGE that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- An order with more than one succeeded payment that kept more than the
-- first one (refunding the extra payment closes it); amount is what is
-- still kept beyond the first payment.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.id as case_id, c.status, c.severity,
       (c.keys->>'order_id')::bigint as order_id,
       c.details->>'source' as source,
       c.details->>'provider_ref' as provider_ref,
       c.details->>'customer_email' as customer_email,
       (c.details->>'payments')::integer as payments,
       c.details->'payment_ids' #>> '{}' as payment_ids,
       (c.details->>'order_amount')::numeric as order_amount,
       (c.details->>'charged')::numeric as charged,
       (c.details->>'refunded')::numeric as refunded,
       tally_major(c.amount_minor, c.currency) as amount,
       c.currency,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.category = 'DUPLICATE_CHARGE' and c.status <> 'CLOSED'
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
