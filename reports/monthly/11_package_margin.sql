-- sheet: Margin per package
-- money: net=currency, provider_cost=currency, gross_margin=currency
-- percent: margin_pct
-- cellnote: provider_cost=margin_note, gross_margin=margin_note
-- column: package | Package | the credit package's sku
-- column: currency | Currency | what it was sold in (ISO 4217); every
--     amount of the row is in it
-- column: packages_sold | Sold | succeeded payments in the month
-- column: credits_sold | Credits sold | packages sold x credits per package
-- column: net | Net revenue | payments minus refunds and chargebacks in
--     the month
-- column: provider_cost | Provider cost | what the credits sold cost at
--     the month's cost per credit, every provider's cost converted into the
--     package's currency
-- column: fx_rates | Exchange rates used | the rates of tallyctl fx set in
--     force on the month's last day; empty when no conversion was needed
-- column: gross_margin | Gross margin | net revenue - provider cost
-- column: margin_pct | Margin | gross margin / net revenue
-- column: margin_note | Why empty | why the cost or the margin is missing:
--     no calls to cost, or an exchange rate nobody has set
--
-- Gross margin of each credit package sold in the month: its net revenue
-- (as in "Credit packages": payments minus refunds and chargebacks in the
-- month) minus what the credits sold would cost at the month's provider
-- cost per credit.  Cost per credit, per provider currency k = provider
-- cost in k of all calls in the month / all credits consumed in the month
-- (a credit is the same whatever model spends it).  The package's cost is
-- the sum over k of credits_sold x that, each converted into the
-- package's currency with the rate from k in force on the month's last
-- day as recorded by the as-of instant (tally_fx, sql/060), rounded once
-- to the minor unit, half away from zero.  One row per package and
-- currency.  Where a rate is missing the cost and margin stay empty and
-- margin_note (also a note on those cells) names the rate to set; a
-- month with no calls has no cost per credit and says so.  By sku,
-- currency.
with pkg as (
	select pr.sku, pr.credits, m.currency, m.payments as n,
	       (m.gross - m.refunded - m.charged_back)::bigint as net_minor
	  from tally_report_product_money($1::timestamptz, $2::timestamptz,
	                                  $3::timestamptz) m
	  join products pr on pr.id = m.product_id and pr.kind = 'CREDITS'
),
use as (
	select * from tally_report_model_usage($1::timestamptz, $2::timestamptz,
	                                       $3::timestamptz)
),
day(last_day, first_day) as (
	select ($2::timestamptz - interval '1 microsecond')::date,
	       $1::timestamptz::date
),
cost as (
	select u.cost_currency, sum(u.cost_minor) as cost_minor
	  from use u
	 group by u.cost_currency
),
line as (
	select k.sku, k.currency, k.n, k.n * k.credits as credits_sold,
	       k.net_minor, c.cost_currency, fx.rate, fx.label,
	       -- the package's share of provider k's cost, in k's minor
	       -- units, exactly, then in the package's minor units
	       k.n * k.credits * c.cost_minor::numeric
	           / nullif((select sum(credits) from use), 0)
	           * fx.rate
	           * 10::numeric ^ (tally_currency_exponent(k.currency)
	                            - tally_currency_exponent(c.cost_currency))
	           as cost_exact
	  from pkg k
	  left join cost c on true
	  left join lateral tally_fx(c.cost_currency, k.currency,
	                             (select last_day from day), $3::timestamptz)
	            fx on true
),
agg as (
	select l.sku, l.currency, l.n, l.credits_sold, l.net_minor,
	       coalesce((select sum(credits) from use), 0) > 0 as costed,
	       string_agg(format('no exchange rate from %s to %s in force on %s: '
	                         'tallyctl fx set %s %s RATE --from %s',
	                         l.cost_currency, l.currency, d.last_day,
	                         l.cost_currency, l.currency, d.first_day),
	                  E'\n' order by l.cost_currency)
	           filter (where l.cost_currency is not null and l.rate is null)
	           as missing,
	       string_agg(l.label, ', ' order by l.cost_currency)
	           filter (where l.label is not null) as rates,
	       round(sum(l.cost_exact))::bigint as cost_minor
	  from line l, day d
	 group by l.sku, l.currency, l.n, l.credits_sold, l.net_minor
),
res as (
	select a.*, a.costed and a.missing is null as known
	  from agg a
)
select r.sku as package,
       r.currency,
       r.n as packages_sold,
       r.credits_sold,
       tally_major(r.net_minor, r.currency) as net,
       case when r.known then tally_major(r.cost_minor, r.currency) end
           as provider_cost,
       r.rates as fx_rates,
       case when r.known
            then tally_major(r.net_minor - r.cost_minor, r.currency) end
           as gross_margin,
       case when r.known and r.net_minor <> 0
            then round((r.net_minor - r.cost_minor)::numeric / r.net_minor, 4)
       end as margin_pct,
       case when not r.costed
            then 'no calls this month: there is no cost per credit'
            else r.missing end as margin_note
  from res r
 order by r.sku, r.currency
