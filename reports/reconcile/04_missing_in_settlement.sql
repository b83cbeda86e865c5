-- sheet: Missing in settlement
-- money: amount=currency
--
-- Cases of MISSING_IN_SETTLEMENT that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A succeeded payment that the provider's settlement (over the dates it
-- covers, settled_from..settled_until) does not contain after
-- settlement_grace_days; older than 7 days is an error.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.id as case_id, c.status, c.severity,
       (c.keys->>'payment_id')::bigint as payment_id,
       c.details->>'provider' as provider,
       c.details->>'source' as source,
       c.details->>'provider_payment_id' as provider_payment_id,
       (c.details->>'order_id')::bigint as order_id,
       c.details->>'provider_ref' as provider_ref,
       (c.details->>'paid_at')::timestamptz as paid_at,
       tally_major(c.amount_minor, c.currency) as amount,
       c.currency,
       (c.details->>'settled_from')::timestamptz as settled_from,
       (c.details->>'settled_until')::timestamptz as settled_until,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.category = 'MISSING_IN_SETTLEMENT' and c.status <> 'CLOSED'
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
