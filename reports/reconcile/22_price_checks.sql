-- sheet: Price checks
-- money: paid=paid_currency, price=price_currency, amount=currency
--
-- Cases tally-allocate opens when it checks a paid order against its
-- product, not closed after the run (OPEN, and ACCEPTED with the admin's
-- note and date): orders HELD (UNDERPAID, CURRENCY_MISMATCH, the product
-- unknown: UNKNOWN_PRODUCT, or deactivated before the payment:
-- PRODUCT_INACTIVE), and orders fulfilled that paid more than the
-- price (OVERPAID).  amount: what is missing (UNDERPAID), the excess kept
-- (OVERPAID), else what was paid.  A held order waits for an admin
-- (tallyctl order approve) or for its reason to go (the product added,
-- reactivated or repriced).
-- age_days: days from the payment to the as-of instant.
select c.id as case_id, c.category, c.status, c.severity,
       (c.keys->>'order_id')::bigint as order_id,
       c.details->>'source' as source,
       c.details->>'provider_ref' as provider_ref,
       c.details->>'customer_email' as customer_email,
       c.details->>'sku' as sku,
       (c.details->>'paid')::numeric as paid,
       coalesce(c.details->>'paid_currency', c.currency) as paid_currency,
       (c.details->>'price')::numeric as price,
       coalesce(c.details->>'price_currency', c.currency) as price_currency,
       (c.details->>'paid_at')::timestamptz as paid_at,
       (c.details->>'held_at')::timestamptz as held_at,
       tally_major(c.amount_minor, c.currency) as amount,
       c.currency,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.status <> 'CLOSED'
   and (c.category in ('UNDERPAID', 'UNKNOWN_PRODUCT', 'PRODUCT_INACTIVE',
                       'OVERPAID')
        or (c.category = 'CURRENCY_MISMATCH' and c.keys ? 'order_id'))
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
