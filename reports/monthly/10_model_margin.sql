-- sheet: Margin per model
-- money: credit_value=currency, provider_cost=cost_currency, cost_in_currency=currency, gross_margin=currency
-- percent: credit_share, margin_pct
-- cellnote: cost_in_currency=margin_note, gross_margin=margin_note
-- column: model | Model | the model called
-- column: currency | Sales currency | a currency credits were sold in: the
--     model's credits are valued in each, in proportion
-- column: credit_share | Share of credits | the part of all credits sold
--     (twelve months) that was sold in this currency
-- column: credits_consumed | Credits | the model's credits of the month
--     attributed to this currency
-- column: credit_price | Price per credit | what a credit sold for in this
--     currency over the twelve months, in major units
-- column: credit_value | Credit value | credits x price per credit
-- column: provider_cost | Provider cost | this slice of what the provider
--     charged for the model's calls, in the provider's currency
-- column: cost_currency | Provider currency | ISO 4217
-- column: fx_rate | Exchange rate used | the rate from the provider's
--     currency to the sales currency (tallyctl fx set) in force on the
--     month's last day; empty when they are the same
-- column: cost_in_currency | Cost in sales currency | the provider cost
--     converted with that rate
-- column: gross_margin | Gross margin | credit value - cost, in the sales
--     currency
-- column: margin_pct | Margin | gross margin / credit value
-- column: margin_note | Why empty | why the margin is missing: no rate
--     set, or no credit sales to value the credits with
--
-- Gross margin of each model used in the month.  Valuation:
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
--   - the slice's cost is converted into the sales currency with the rate
--     from the provider's currency in force on the month's last day as
--     recorded by the as-of instant (tally_fx, sql/060; 1 for the same
--     currency), rounded to the minor unit, half away from zero;
--   - gross_margin = credit_value - that cost.  Without a rate it stays
--     empty and margin_note, also a note on the cell, names the rate to
--     set.
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
),
day(last_day, first_day) as (
	select ($2::timestamptz - interval '1 microsecond')::date,
	       $1::timestamptz::date
),
conv as (
	select v.*, fx.rate, fx.label,
	       round(v.cost_minor * fx.rate
	             * 10::numeric ^ (tally_currency_exponent(v.currency)
	                              - tally_currency_exponent(v.cost_currency)))::bigint
	           as cost_conv_minor
	  from valued v
	  left join lateral tally_fx(v.cost_currency, v.currency,
	                             (select last_day from day), $3::timestamptz)
	            fx on v.currency is not null
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
       v.label as fx_rate,
       tally_major(v.cost_conv_minor, v.currency) as cost_in_currency,
       tally_major(v.value_minor - v.cost_conv_minor, v.currency)
           as gross_margin,
       case when v.value_minor <> 0
            then round((v.value_minor - v.cost_conv_minor)::numeric
                       / v.value_minor, 4)
       end as margin_pct,
       case when v.currency is null
            then 'no credit sales in the twelve months: nothing to value '
                 'the credits with'
            when v.rate is null
            then format('no exchange rate from %s to %s in force on %s: '
                        'tallyctl fx set %s %s RATE --from %s',
                        v.cost_currency, v.currency, d.last_day,
                        v.cost_currency, v.currency, d.first_day)
       end as margin_note
  from conv v, day d
 order by v.model, v.currency nulls last
