-- sheet: Revenue trend
-- money: gross=currency, refunded=currency, net=currency
-- column: currency | Currency | ISO 4217: one block of months per currency
-- column: month | Month | the month, in the report time zone
-- column: payments | Payments | succeeded payments paid in the month
-- column: gross | Gross | what they brought in
-- column: refunded | Refunded | refunds and chargebacks made in the month
-- column: net | Net | gross - refunded
--
-- Revenue of the twelve months ending with the report month, per currency
-- (amounts of different currencies are never added up): one block of
-- twelve rows per currency that had any payment or refund in those months,
-- zeros for quiet months.  gross: succeeded payments by the time they were
-- paid; refunded: refunds and chargebacks by the time they were made;
-- net = gross - refunded.  There is no chart here on purpose: one series
-- over rows of several currencies would add them up visually.
with mon as (
	select g as m
	  from generate_series(date_trunc('month', $1::timestamptz) - interval '11 months',
	                       date_trunc('month', $1::timestamptz),
	                       interval '1 month') g
),
mv as (
	select date_trunc('month', coalesce(p.paid_at, p.created_at)) as m,
	       p.currency::text as currency, 1 as payments,
	       p.amount_minor as gross, 0 as refunded
	  from payments p
	 where p.status = 'SUCCEEDED'
	   and coalesce(p.paid_at, p.created_at) <= $3::timestamptz
	   and p.created_at <= $3::timestamptz
	union all
	select date_trunc('month', coalesce(r.refunded_at, r.created_at)),
	       r.currency::text, 0, 0, r.amount_minor
	  from refunds r
	 where coalesce(r.refunded_at, r.created_at) <= $3::timestamptz
	   and r.created_at <= $3::timestamptz
),
w as (
	select mv.* from mv
	 where mv.m >= (select min(m) from mon) and mv.m <= (select max(m) from mon)
),
cur as (
	select distinct currency from w
)
select cur.currency,
       mon.m::date as month,
       coalesce(sum(w.payments), 0) as payments,
       tally_major(coalesce(sum(w.gross), 0)::bigint, cur.currency) as gross,
       tally_major(coalesce(sum(w.refunded), 0)::bigint, cur.currency) as refunded,
       tally_major(coalesce(sum(w.gross - w.refunded), 0)::bigint, cur.currency)
           as net
  from cur
  cross join mon
  left join w on w.currency = cur.currency and w.m = mon.m
 group by cur.currency, mon.m
 order by cur.currency, mon.m
