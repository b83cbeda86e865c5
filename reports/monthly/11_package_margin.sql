-- sheet: Margin per package
-- money: net=currency, provider_cost=cost_currency, gross_margin=currency
-- percent: margin_pct
--
-- Gross margin of each credit package sold in the month: its net revenue
-- (as in "Credit packages": payments minus refunds and chargebacks in the
-- month) minus what the credits sold would cost at the month's provider
-- cost per credit.  Cost per credit, per provider currency k = provider
-- cost in k of all calls in the month / all credits consumed in the month
-- (a credit is the same whatever model spends it); the package's cost is
-- credits_sold x that, rounded to the minor unit.  Nothing is converted
-- between currencies: gross_margin is given only where the package's
-- currency is the provider's, and is empty elsewhere.  A package is listed
-- once per provider currency (normally one); a month with no calls has no
-- cost basis and lists the packages with an empty cost.  By sku, currency.
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
	       sum(r.amount_minor) as amount
	  from refunds r
	  join orders o on o.id = r.order_id
	 where coalesce(r.refunded_at, r.created_at) >= $1::timestamptz
	   and coalesce(r.refunded_at, r.created_at) < $2::timestamptz
	   and coalesce(r.refunded_at, r.created_at) <= $3::timestamptz
	   and r.created_at <= $3::timestamptz
	 group by o.product_id, r.currency
),
pkg as (
	select pr.sku, pr.credits,
	       coalesce(pay.currency, ref.currency) as currency,
	       coalesce(pay.n, 0) as n,
	       (coalesce(pay.amount, 0) - coalesce(ref.amount, 0))::bigint as net_minor
	  from pay
	  full join ref on ref.product_id = pay.product_id
	               and ref.currency = pay.currency
	  join products pr on pr.id = coalesce(pay.product_id, ref.product_id)
	                  and pr.kind = 'CREDITS'
),
use as (
	select * from tally_report_model_usage($1::timestamptz, $2::timestamptz,
	                                       $3::timestamptz)
),
cost as (
	select u.cost_currency, sum(u.cost_minor) as cost_minor,
	       (select sum(credits) from use) as consumed
	  from use u
	 group by u.cost_currency
	having (select sum(credits) from use) > 0
),
line as (
	select k.sku, k.currency, k.n, k.n * k.credits as credits_sold, k.net_minor,
	       c.cost_currency,
	       round(k.n * k.credits * c.cost_minor::numeric / c.consumed)::bigint
	           as cost_minor
	  from pkg k
	  left join cost c on true
)
select l.sku as package,
       l.currency,
       l.n as packages_sold,
       l.credits_sold,
       tally_major(l.net_minor, l.currency) as net,
       tally_major(l.cost_minor, l.cost_currency) as provider_cost,
       l.cost_currency,
       case when l.currency = l.cost_currency
            then tally_major(l.net_minor - l.cost_minor, l.currency) end
           as gross_margin,
       case when l.currency = l.cost_currency and l.net_minor <> 0
            then round((l.net_minor - l.cost_minor)::numeric / l.net_minor, 4)
       end as margin_pct
  from line l
 order by l.sku, l.currency, l.cost_currency nulls last
