-- sheet: Margin per model
-- money: credit_value=currency, provider_cost=cost_currency, gross_margin=currency
-- percent: credit_share, margin_pct
--
-- Gross margin of each model used in the month.  Valuation (credits are
-- sold in several currencies and there are no exchange rates, so nothing
-- is converted):
--   - credit price per currency c = what credit packages sold for in c
--     over the twelve months ending with the report month (succeeded
--     payments by paid time, before refunds: a refunded package's credits
--     are clawed back too, so the price per credit hardly moves) / credits
--     sold in c.  credit_price shows it in major units with six decimals,
--     finer than the currency's minor unit, so it is not a money column;
--   - a model's credits consumed in the month are split over the
--     currencies in proportion to the credits sold in each (credit_share):
--     the credits a customer spends were bought in that mix;
--   - credit_value = credits attributed to c x credit price in c, rounded
--     to the minor unit (= consumed x revenue in c / all credits sold);
--   - the model's provider cost (every call at its provider price, see
--     "Model cost") is split in the same proportion, rounded so the
--     slices add up exactly to the cost (largest remainder);
--   - gross_margin = credit_value - provider_cost, only on a slice whose
--     sales currency is the provider's currency; on other slices value and
--     cost are in different currencies and the margin is left empty.
-- One row per model and sales currency (currency order); a month with no
-- credit sales in the twelve months gives one row per model with the
-- cost only.  Models without calls in the month are not listed.
with sales as (
	select p.currency::text as currency,
	       sum(p.amount_minor) as revenue,
	       sum(pr.credits) as credits
	  from payments p
	  join orders o on o.id = p.order_id
	  join products pr on pr.id = o.product_id and pr.kind = 'CREDITS'
	 where p.status = 'SUCCEEDED'
	   and coalesce(p.paid_at, p.created_at)
	       >= date_trunc('month', $1::timestamptz) - interval '11 months'
	   and coalesce(p.paid_at, p.created_at)
	       < date_trunc('month', $1::timestamptz) + interval '1 month'
	   and coalesce(p.paid_at, p.created_at) <= $3::timestamptz
	   and p.created_at <= $3::timestamptz
	 group by p.currency
),
total as (
	select sum(credits) as credits from sales
),
slice as (
	select u.model, u.credits as consumed, u.cost_minor, u.cost_currency,
	       s.currency, s.revenue, s.credits as sold, t.credits as all_sold,
	       u.cost_minor::numeric * s.credits / t.credits as cost_exact
	  from tally_report_model_usage($1::timestamptz, $2::timestamptz,
	                                $3::timestamptz) u
	  left join sales s on true
	 cross join total t
),
ranked as (
	select sl.*,
	       floor(sl.cost_exact) as cost_floor,
	       sl.cost_minor - sum(floor(sl.cost_exact)) over (partition by sl.model)
	           as leftover,
	       row_number() over (partition by sl.model
	                          order by sl.cost_exact - floor(sl.cost_exact) desc,
	                                   sl.currency) as remainder_rank
	  from slice sl
),
valued as (
	select r.model, r.currency, r.cost_currency,
	       r.sold::numeric / r.all_sold as share,
	       r.consumed::numeric * r.sold / r.all_sold as credits,
	       round(r.revenue::numeric / r.sold, 6) as price_minor,
	       round(r.consumed::numeric * r.revenue / r.all_sold)::bigint as value_minor,
	       case when r.currency is null then r.cost_minor
	            else (r.cost_floor
	                  + case when r.remainder_rank <= r.leftover then 1 else 0 end)::bigint
	       end as cost_minor
	  from ranked r
)
select v.model,
       v.currency,
       round(v.share, 4) as credit_share,
       round(v.credits, 2) as credits_consumed,
       round(v.price_minor / (10 ^ tally_currency_exponent(v.currency))::numeric, 6)
           as credit_price,
       tally_major(v.value_minor, v.currency) as credit_value,
       tally_major(v.cost_minor, v.cost_currency) as provider_cost,
       v.cost_currency,
       case when v.currency = v.cost_currency
            then tally_major(v.value_minor - v.cost_minor, v.currency) end
           as gross_margin,
       case when v.currency = v.cost_currency and v.value_minor <> 0
            then round((v.value_minor - v.cost_minor)::numeric / v.value_minor, 4)
       end as margin_pct
  from valued v
 order by v.model, v.currency nulls last
