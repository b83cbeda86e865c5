-- sheet: Fulfilment SLA
-- percent: success_rate
-- total: orders=All paid orders
-- column: orders | Orders | the kind of product paid for, then all orders
-- column: paid | Paid | orders paid in the week, refunded ones included
-- column: fulfilled | Fulfilled | given their seat or credits by the as-of
--     instant
-- column: within_sla | Within the SLA | fulfilled within fulfil_sla_minutes
--     of the payment
-- column: unfulfilled | Not fulfilled | still without a seat or credits
-- column: success_rate | Success rate | within the SLA / paid
-- column: median_seconds | Median delay (s) | seconds from payment to
--     fulfilment, the median of the fulfilled orders
-- column: p95_seconds | 95th percentile delay (s) | 95 of 100 fulfilled
--     orders waited no longer (continuous percentile, exact)
--
-- Assignment success rate: of the orders paid in the week, how many were
-- fulfilled (a seat assigned, or credits granted) within the service level
-- (config fulfil_sla_minutes from the settings in $5, 5 minutes when
-- absent), measured as fulfilments.created_at - orders.paid_at.  The denominator is every order
-- paid in the week, refunded ones too: a customer who paid waited either way.
-- A fulfilment made after the as-of instant does not count yet.
-- Per kind of product (seat plans first), then all orders together; an
-- order whose product is unknown (sku not configured) can never be
-- fulfilled and is its own row when there is one.  The "All paid orders"
-- row is there even in a week without orders.
-- Delays are in seconds: median and 95th percentile (continuous,
-- computed exactly by tally_percentile_of, sql/092, and rounded half away
-- from zero).
with sla(seconds) as (
	select 60 * coalesce(($5::jsonb ->> 'fulfil_sla_minutes')::numeric, 5)
),
o as (
	select case p.kind when 'SEAT' then 1 when 'CREDITS' then 2 else 3 end
	           as ord,
	       extract(epoch from f.created_at - o.paid_at) as delay,
	       extract(epoch from f.created_at - o.paid_at) <= sla.seconds
	           as within
	  from sla
	 cross join orders o
	  left join products p on p.id = o.product_id
	  left join fulfilments f on f.order_id = o.id
	                         and f.created_at <= $3::timestamptz
	 where o.paid_at >= $1::timestamptz and o.paid_at < $2::timestamptz
	   and o.paid_at <= $3::timestamptz and o.created_at <= $3::timestamptz
)
select case when grouping(o.ord) = 1 then 'All paid orders'
            when o.ord = 1 then 'Seat plans'
            when o.ord = 2 then 'Credit packages'
            else 'Unknown product' end as orders,
       count(*) as paid,
       count(o.delay) as fulfilled,
       count(*) filter (where o.within) as within_sla,
       count(*) - count(o.delay) as unfulfilled,
       round(count(*) filter (where o.within)::numeric
             / nullif(count(*), 0), 4) as success_rate,
       round(tally_percentile_of(0.5) within group (order by o.delay)
                 filter (where o.delay is not null), 1)
           as median_seconds,
       round(tally_percentile_of(0.95) within group (order by o.delay)
                 filter (where o.delay is not null), 1)
           as p95_seconds
  from o
 group by grouping sets ((o.ord), ())
 order by grouping(o.ord), o.ord
