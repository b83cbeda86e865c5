-- sheet: Dispute open
-- money: amount=currency
--
-- Cases of DISPUTE_OPEN that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A dispute the provider still has open, whatever the period.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.id as case_id, c.status, c.severity,
       (c.keys->>'dispute_id')::bigint as dispute_id,
       c.details->>'source' as source,
       c.details->>'provider_dispute_id' as provider_dispute_id,
       (c.details->>'order_id')::bigint as order_id,
       c.details->>'provider_ref' as provider_ref,
       c.details->>'customer_email' as customer_email,
       c.details->>'reason' as reason,
       (c.details->>'opened_at')::timestamptz as opened_at,
       tally_major(c.amount_minor, c.currency) as amount,
       c.currency,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.category = 'DISPUTE_OPEN' and c.status <> 'CLOSED'
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
