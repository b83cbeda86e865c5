-- sheet: Renewals
-- percent: renewal_rate
-- total: plan=All plans
-- column: plan | Plan | the sku of the assignment's order; "(no order)"
--     for seats an admin assigned by hand
-- column: ended | Ended | assignments whose plan ended in the month
-- column: customers | Customers | distinct customers among them
-- column: renewed | Renewed | bought another seat plan by 14 days after
--     the end
-- column: customers_renewed | Customers renewed | distinct customers who
--     renewed
-- column: lapsed | Lapsed | no renewal, and the 14 days are over
-- column: pending | Pending | no renewal yet, the 14 days still running
-- column: renewal_rate | Renewal rate | renewed / (renewed + lapsed)
--
-- Did customers whose plan ended this month buy again?  An assignment
-- "ends" in the month when its ends_at falls in it (by the as-of instant);
-- revoked ones are left out (a refund is not a lapse).  It was renewed when
-- the same customer paid another seat-plan order after the assignment
-- started and no later than 14 days after it ended (early renewals count).
-- Without a renewal it is pending while those 14 days are still running at
-- the as-of instant, else lapsed.  renewal_rate = renewed / (renewed +
-- lapsed): pending ones are not decided yet.  Counted per assignment (a
-- customer with two seats ending has two chances), with distinct customers
-- alongside.  Per plan (sku of the assignment's order; "(no order)" for
-- seats an admin assigned by hand), then "All plans", always present.
with a as (
	select x.id, x.customer_id, x.starts_at, x.ends_at,
	       coalesce(p.sku, '(no order)') as plan,
	       exists (select 1
	                 from orders o2
	                 join products p2 on p2.id = o2.product_id
	                where o2.customer_id = x.customer_id
	                  and p2.kind = 'SEAT'
	                  and o2.id is distinct from x.order_id
	                  and o2.paid_at > x.starts_at
	                  and o2.paid_at <= x.ends_at + interval '14 days'
	                  and o2.paid_at <= $3::timestamptz
	                  and o2.created_at <= $3::timestamptz) as renewed,
	       x.ends_at + interval '14 days' > $3::timestamptz as window_open
	  from tally_report_assignments($3::timestamptz) x
	  left join orders o on o.id = x.order_id
	  left join products p on p.id = o.product_id
	 where x.ends_at >= $1::timestamptz and x.ends_at < $2::timestamptz
	   and x.ends_at <= $3::timestamptz
	   and x.status <> 'REVOKED'
)
select case when grouping(a.plan) = 1 then 'All plans' else a.plan end as plan,
       count(*) as ended,
       count(distinct a.customer_id) as customers,
       count(*) filter (where a.renewed) as renewed,
       count(distinct a.customer_id) filter (where a.renewed)
           as customers_renewed,
       count(*) filter (where not a.renewed and not a.window_open) as lapsed,
       count(*) filter (where not a.renewed and a.window_open) as pending,
       round(count(*) filter (where a.renewed)::numeric
             / nullif(count(*) filter (where a.renewed or not a.window_open), 0),
             4) as renewal_rate
  from a
 group by grouping sets ((a.plan), ())
 order by grouping(a.plan), a.plan
