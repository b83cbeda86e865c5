-- sheet: Credit packages
-- money: gross=currency, refunded=currency, net=currency
-- chart: pie; category=package; values=packages_sold; title=Credit packages sold
-- column: package | Package | sku and currency, the chart's label
-- column: sku | Sku | the package's sku
-- column: product | Name | the package's name
-- column: credits_per_package | Credits each | credits one package gives
-- column: currency | Currency | what it was sold in
-- column: packages_sold | Sold | succeeded payments in the month
-- column: credits_sold | Credits sold | sold x credits each
-- column: gross | Gross | what they brought in
-- column: refunded | Refunded | refunds and chargebacks in the month
-- column: net | Net | gross - refunded
-- column: price_per_credit | Price per credit | gross / credits sold, in
--     major units, six decimals
--
-- Revenue by credit package in the month, per package and currency
-- (never added across currencies; see "Revenue trend" for totals):
-- packages_sold counts succeeded payments by the time they were paid;
-- credits_sold = packages_sold x the package's credits; refunded covers
-- refunds and chargebacks made in the month (whenever the payment was);
-- net = gross - refunded; price_per_credit = gross / credits_sold in major
-- units, six decimals (an exact average, not a money amount to book).
-- Packages that neither sold nor were refunded in the month are not listed.
-- package is the label for the chart: sku and currency.
with line as (
	select m.product_id, m.currency, m.payments as n, m.gross,
	       m.refunded + m.charged_back as refunded
	  from tally_report_product_money($1::timestamptz, $2::timestamptz,
	                                  $3::timestamptz) m
)
select pr.sku || ' ' || l.currency as package,
       pr.sku,
       pr.name as product,
       pr.credits as credits_per_package,
       l.currency,
       l.n as packages_sold,
       l.n * pr.credits as credits_sold,
       tally_major(l.gross::bigint, l.currency) as gross,
       tally_major(l.refunded::bigint, l.currency) as refunded,
       tally_major((l.gross - l.refunded)::bigint, l.currency) as net,
       round(tally_major(l.gross::bigint, l.currency)
             / nullif(l.n * pr.credits, 0), 6) as price_per_credit
  from line l
  join products pr on pr.id = l.product_id and pr.kind = 'CREDITS'
 order by pr.sku, l.currency
