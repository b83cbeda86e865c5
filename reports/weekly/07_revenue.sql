-- sheet: Revenue
-- money: gross=currency, refunded=currency, charged_back=currency, net=currency
-- total: sku=All products
-- column: currency | Currency | ISO 4217: amounts of different currencies
--     are never added up
-- column: sku | Product | the sku; "All products" is the currency's total
-- column: product | Name | the product's name
-- column: payments | Payments | succeeded payments paid in the week
-- column: gross | Gross | what those payments brought in
-- column: refunds | Refunds | refunds made in the week, whatever week the
--     payment was in
-- column: refunded | Refunded | the amount of those refunds
-- column: chargebacks | Chargebacks | chargebacks made in the week
-- column: charged_back | Charged back | the amount of those chargebacks
-- column: net | Net | gross - refunded - charged back
--
-- Money in and out in the week, per product and currency, then a total
-- per currency ("All products"): amounts of different currencies are never
-- added up.  gross: succeeded payments by the time they were paid
-- (paid_at, else when tally recorded them); refunded / charged_back:
-- refunds and chargebacks by the time they were made, whatever week the
-- payment was in; net = gross - refunded - charged_back.  Amounts are
-- major units (tally_major), exact.  A payment for an order whose product
-- is unknown is listed under sku "(unknown)".
-- Order: currency, then its products by sku, then its total.
with pay as (
	select o.product_id, p.currency::text as currency,
	       count(*) as n, sum(p.amount_minor) as amount
	  from payments p
	  join orders o on o.id = p.order_id
	 where p.status = 'SUCCEEDED'
	   and coalesce(p.paid_at, p.created_at) >= $1::timestamptz
	   and coalesce(p.paid_at, p.created_at) < $2::timestamptz
	   and coalesce(p.paid_at, p.created_at) <= $3::timestamptz
	   and p.created_at <= $3::timestamptz
	 group by o.product_id, p.currency
),
ref as (
	select o.product_id, r.currency::text as currency,
	       count(*) filter (where r.kind = 'REFUND') as refunds,
	       coalesce(sum(r.amount_minor) filter (where r.kind = 'REFUND'), 0)
	           as refunded,
	       count(*) filter (where r.kind = 'CHARGEBACK') as chargebacks,
	       coalesce(sum(r.amount_minor) filter (where r.kind = 'CHARGEBACK'), 0)
	           as charged_back
	  from refunds r
	  join orders o on o.id = r.order_id
	 where coalesce(r.refunded_at, r.created_at) >= $1::timestamptz
	   and coalesce(r.refunded_at, r.created_at) < $2::timestamptz
	   and coalesce(r.refunded_at, r.created_at) <= $3::timestamptz
	   and r.created_at <= $3::timestamptz
	 group by o.product_id, r.currency
),
line as (
	select coalesce(pay.product_id, ref.product_id) as product_id,
	       coalesce(pay.currency, ref.currency) as currency,
	       coalesce(pay.n, 0) as payments,
	       coalesce(pay.amount, 0) as gross,
	       coalesce(ref.refunds, 0) as refunds,
	       coalesce(ref.refunded, 0) as refunded,
	       coalesce(ref.chargebacks, 0) as chargebacks,
	       coalesce(ref.charged_back, 0) as charged_back
	  from pay
	  full join ref on coalesce(ref.product_id, -1) = coalesce(pay.product_id, -1)
	               and ref.currency = pay.currency
)
select l.currency,
       case when grouping(pr.sku) = 1 then 'All products'
            else coalesce(pr.sku, '(unknown)') end as sku,
       case when grouping(pr.sku) = 1 then null else pr.name end as product,
       sum(l.payments) as payments,
       tally_major(sum(l.gross)::bigint, l.currency) as gross,
       sum(l.refunds) as refunds,
       tally_major(sum(l.refunded)::bigint, l.currency) as refunded,
       sum(l.chargebacks) as chargebacks,
       tally_major(sum(l.charged_back)::bigint, l.currency) as charged_back,
       tally_major(sum(l.gross - l.refunded - l.charged_back)::bigint, l.currency)
           as net
  from line l
  left join products pr on pr.id = l.product_id
 group by grouping sets ((l.currency, pr.sku, pr.name), (l.currency))
 order by l.currency, grouping(pr.sku), pr.sku nulls last
