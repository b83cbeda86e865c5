-- sheet: Duplicate fulfillment
-- money: amount=currency
--
-- Cases of DUPLICATE_FULFILLMENT that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- An order given more than one seat (not revoked) or credit grant;
-- amount is the order's.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.id as case_id, c.status, c.severity,
       (c.keys->>'order_id')::bigint as order_id,
       c.details->>'source' as source,
       c.details->>'provider_ref' as provider_ref,
       c.details->>'customer_email' as customer_email,
       (c.details->>'seats')::integer as seats,
       c.details->'assignment_ids' #>> '{}' as assignment_ids,
       (c.details->>'credit_grants')::integer as credit_grants,
       (c.details->>'credits_granted')::bigint as credits_granted,
       c.details->'ledger_ids' #>> '{}' as ledger_ids,
       tally_major(c.amount_minor, c.currency) as amount,
       c.currency,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.category = 'DUPLICATE_FULFILLMENT' and c.status <> 'CLOSED'
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
