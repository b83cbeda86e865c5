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
  from tally_report_product_money($1::timestamptz, $2::timestamptz,
                                  $3::timestamptz) l
  left join products pr on pr.id = l.product_id
 group by grouping sets ((l.currency, pr.sku, pr.name), (l.currency))
 order by l.currency, grouping(pr.sku), pr.sku nulls last
