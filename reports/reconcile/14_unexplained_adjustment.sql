-- sheet: Unexplained adjustment
-- money: gross=currency, fee=currency, net=currency, amount=currency
--
-- Cases of UNEXPLAINED_ADJUSTMENT that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A settlement row our records do not explain: an adjustment, or a
-- refund or dispute row for an order without one; amount is the row's
-- net.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.id as case_id, c.status, c.severity,
       c.keys->>'provider' as provider,
       c.keys->>'txn_id' as txn_id,
       c.details->>'kind' as kind,
       c.details->>'category' as category,
       (c.details->>'gross')::numeric as gross,
       (c.details->>'fee')::numeric as fee,
       (c.details->>'net')::numeric as net,
       c.details->>'payment_ref' as payment_ref,
       c.details->>'charge_ref' as charge_ref,
       c.details->>'order_ref' as order_ref,
       c.details->>'payout_id' as payout_id,
       (c.details->>'created_at')::timestamptz as settled_at,
       c.details->>'file' as file,
       (c.details->>'line')::integer as line,
       (c.details->>'order_id')::bigint as order_id,
       tally_major(c.amount_minor, c.currency) as amount,
       c.currency,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.category = 'UNEXPLAINED_ADJUSTMENT' and c.status <> 'CLOSED'
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
