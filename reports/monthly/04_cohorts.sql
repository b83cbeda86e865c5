-- sheet: Cohorts
-- percent: m1,m2,m3,m4,m5,m6,m7,m8,m9,m10,m11
-- heatmap: m1,m2,m3,m4,m5,m6,m7,m8,m9,m10,m11
-- column: cohort | Cohort | the month of the customers' first paid order
-- column: customers | Customers | customers in the cohort
-- column: m1 | +1 month | the share of the cohort that paid again 1 month later
-- column: m2 | +2 months | the share of the cohort that paid again 2 months later
-- column: m3 | +3 months | the share of the cohort that paid again 3 months later
-- column: m4 | +4 months | the share of the cohort that paid again 4 months later
-- column: m5 | +5 months | the share of the cohort that paid again 5 months later
-- column: m6 | +6 months | the share of the cohort that paid again 6 months later
-- column: m7 | +7 months | the share of the cohort that paid again 7 months later
-- column: m8 | +8 months | the share of the cohort that paid again 8 months later
-- column: m9 | +9 months | the share of the cohort that paid again 9 months later
-- column: m10 | +10 months | the share of the cohort that paid again 10 months later
-- column: m11 | +11 months | the share of the cohort that paid again 11 months later
--
-- Customer retention by cohort.  A customer's cohort is the month of their
-- first paid order (any product; months in the report time zone); m1..m11
-- is the share of the cohort who paid for an order again 1..11 months
-- later (a customer paying twice in one month counts once).  The twelve
-- cohorts up to the report month are listed, empty ones too; a cell whose
-- month is after the report month is empty, not zero.  Orders count as of
-- the as-of instant, up to the end of the report month.
with paid as (
	select o.customer_id, date_trunc('month', o.paid_at) as month
	  from orders o
	 where o.customer_id is not null
	   and o.paid_at < $2::timestamptz
	   and o.paid_at <= $3::timestamptz
	   and o.created_at <= $3::timestamptz
	 group by o.customer_id, date_trunc('month', o.paid_at)
),
firsts as (
	select customer_id, min(month) as cohort from paid group by customer_id
),
m as (
	select p.customer_id, f.cohort,
	       ((extract(year from p.month) - extract(year from f.cohort)) * 12
	        + extract(month from p.month) - extract(month from f.cohort))::integer
	           as since
	  from paid p
	  join firsts f on f.customer_id = p.customer_id
),
c as (
	select g as cohort, date_trunc('month', $1::timestamptz) as last_month
	  from generate_series(date_trunc('month', $1::timestamptz) - interval '11 months',
	                       date_trunc('month', $1::timestamptz),
	                       interval '1 month') g
)
select c.cohort::date as cohort,
       count(distinct m.customer_id) filter (where m.since = 0) as customers,
       case when c.cohort + interval '1 months' <= c.last_month
            then round(count(distinct m.customer_id) filter (where m.since = 1)
                       / nullif(count(distinct m.customer_id) filter (where m.since = 0), 0)::numeric, 4)
       end as m1,
       case when c.cohort + interval '2 months' <= c.last_month
            then round(count(distinct m.customer_id) filter (where m.since = 2)
                       / nullif(count(distinct m.customer_id) filter (where m.since = 0), 0)::numeric, 4)
       end as m2,
       case when c.cohort + interval '3 months' <= c.last_month
            then round(count(distinct m.customer_id) filter (where m.since = 3)
                       / nullif(count(distinct m.customer_id) filter (where m.since = 0), 0)::numeric, 4)
       end as m3,
       case when c.cohort + interval '4 months' <= c.last_month
            then round(count(distinct m.customer_id) filter (where m.since = 4)
                       / nullif(count(distinct m.customer_id) filter (where m.since = 0), 0)::numeric, 4)
       end as m4,
       case when c.cohort + interval '5 months' <= c.last_month
            then round(count(distinct m.customer_id) filter (where m.since = 5)
                       / nullif(count(distinct m.customer_id) filter (where m.since = 0), 0)::numeric, 4)
       end as m5,
       case when c.cohort + interval '6 months' <= c.last_month
            then round(count(distinct m.customer_id) filter (where m.since = 6)
                       / nullif(count(distinct m.customer_id) filter (where m.since = 0), 0)::numeric, 4)
       end as m6,
       case when c.cohort + interval '7 months' <= c.last_month
            then round(count(distinct m.customer_id) filter (where m.since = 7)
                       / nullif(count(distinct m.customer_id) filter (where m.since = 0), 0)::numeric, 4)
       end as m7,
       case when c.cohort + interval '8 months' <= c.last_month
            then round(count(distinct m.customer_id) filter (where m.since = 8)
                       / nullif(count(distinct m.customer_id) filter (where m.since = 0), 0)::numeric, 4)
       end as m8,
       case when c.cohort + interval '9 months' <= c.last_month
            then round(count(distinct m.customer_id) filter (where m.since = 9)
                       / nullif(count(distinct m.customer_id) filter (where m.since = 0), 0)::numeric, 4)
       end as m9,
       case when c.cohort + interval '10 months' <= c.last_month
            then round(count(distinct m.customer_id) filter (where m.since = 10)
                       / nullif(count(distinct m.customer_id) filter (where m.since = 0), 0)::numeric, 4)
       end as m10,
       case when c.cohort + interval '11 months' <= c.last_month
            then round(count(distinct m.customer_id) filter (where m.since = 11)
                       / nullif(count(distinct m.customer_id) filter (where m.since = 0), 0)::numeric, 4)
       end as m11
  from c
  left join m on m.cohort = c.cohort
 group by c.cohort, c.last_month
 order by c.cohort
