-- sheet: Price checks
-- money: paid=paid_currency, price=price_currency, amount=currency
-- column: category | Check | UNDERPAID, CURRENCY_MISMATCH, UNKNOWN_PRODUCT,
--     PRODUCT_INACTIVE (held) or OVERPAID (fulfilled)
-- column: paid | Paid | what the payment paid, in major units
-- column: paid_currency | Paid currency | the payment's currency
-- column: price | Price | the product's price at the payment
-- column: price_currency | Price currency | the price's currency
-- column: held_at | Held at | when tally-allocate held the order (empty:
--     not held)
-- column: amount | Amount | what is missing (UNDERPAID), the excess kept
--     (OVERPAID), else what was paid
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
select c.case_id, c.category, c.status, c.severity, o.*, d.sku, d.paid,
       coalesce(d.paid_currency, c.currency) as paid_currency, d.price,
       coalesce(d.price_currency, c.currency) as price_currency, d.paid_at,
       d.held_at, c.amount, c.currency, c.first_seen, c.last_seen,
       c.occurrences, c.age_days, c.accepted_until, c.accepted_note
  from tally_report_cases($3, null) c,
       tally_report_case_order(c.keys, c.details) o,
       jsonb_to_record(c.details) as d(sku text, paid numeric,
           paid_currency text, price numeric, price_currency text,
           paid_at timestamptz, held_at timestamptz)
 where c.category in ('UNDERPAID', 'UNKNOWN_PRODUCT', 'PRODUCT_INACTIVE',
                      'OVERPAID')
    or (c.category = 'CURRENCY_MISMATCH' and c.keys ? 'order_id')
 order by c.rank
