-- sheet: Trends
-- chart: column; category=month; values=new_assignments,ended_assignments; title=Assignments per month
-- chart: line; category=month; values=peak_seats,avg_seats; title=Seats in use
-- chart: line; category=month; values=images_generated,images_edited; title=Images per month
-- chart: column; category=month; values=credits_consumed; title=Credits consumed
-- chart: line; category=month; values=registrations,active_users,paying_customers; title=Users and customers
-- column: month | Month | the month, in the report time zone
-- column: new_assignments | New assignments | assignments started in the
--     month
-- column: ended_assignments | Ended assignments | expired or revoked in
--     the month
-- column: peak_seats | Peak seats | seats held at once at the busiest
--     instant
-- column: avg_seats | Average seats | seats held on average over the month
-- column: images_generated | Images generated | successful generate calls
-- column: images_edited | Images edited | successful edit calls
-- column: credits_consumed | Credits consumed | credits charged by all
--     calls
-- column: active_users | Active users | users with at least one call in
--     the month
-- column: registrations | Registrations | users registered in the month
-- column: paying_customers | Paying customers | customers with at least
--     one order paid in the month
-- column: registered_users | Registered users | every user registered by
--     the month's end
-- column: credits_per_active_user | Credits per active user | credits
--     consumed / active users, to one decimal
--
-- Twelve months ending with the report month, one row each (months in the
-- report time zone), zeros for quiet months; money is in "Revenue trend".
-- Everything as of the as-of instant: a month after it shows zeros.
with mon as (
	select g as m, g + interval '1 month' as m_end
	  from generate_series(date_trunc('month', $1::timestamptz) - interval '11 months',
	                       date_trunc('month', $1::timestamptz),
	                       interval '1 month') g
),
a as (
	select * from tally_report_assignments($3::timestamptz)
),
started as (
	select date_trunc('month', a.starts_at) as m, count(*) as n
	  from a group by 1
),
ended as (
	select date_trunc('month', a.ended_at) as m, count(*) as n
	  from a where a.ended_at is not null group by 1
),
usage as (
	select date_trunc('month', u.started_at) as m,
	       count(*) filter (where u.kind = 'generate' and u.status = 'ok') as gen,
	       count(*) filter (where u.kind = 'edit' and u.status = 'ok') as edit,
	       coalesce(sum(u.credits), 0) as credits,
	       count(distinct u.user_id) as users
	  from tally_report_usage(date_trunc('month', $1::timestamptz) - interval '11 months',
	                          date_trunc('month', $1::timestamptz) + interval '1 month',
	                          $3::timestamptz) u
	 group by 1
),
reg as (
	select date_trunc('month', coalesce(u.registered_at, u.created_at)) as m,
	       count(*) as n
	  from app_users u
	 where u.created_at <= $3::timestamptz
	 group by 1
),
cust as (
	select date_trunc('month', o.paid_at) as m,
	       count(distinct o.customer_id) as n
	  from orders o
	 where o.paid_at <= $3::timestamptz and o.created_at <= $3::timestamptz
	 group by 1
)
select mon.m::date as month,
       coalesce(started.n, 0) as new_assignments,
       coalesce(ended.n, 0) as ended_assignments,
       d.peak_seats,
       round(d.avg_seats, 2) as avg_seats,
       coalesce(usage.gen, 0) as images_generated,
       coalesce(usage.edit, 0) as images_edited,
       coalesce(usage.credits, 0)::bigint as credits_consumed,
       coalesce(usage.users, 0) as active_users,
       coalesce(reg.n, 0) as registrations,
       coalesce(cust.n, 0) as paying_customers,
       (select count(*) from app_users a
         where coalesce(a.registered_at, a.created_at) < mon.m_end
           and a.created_at <= $3::timestamptz) as registered_users,
       round(coalesce(usage.credits, 0)::numeric / nullif(usage.users, 0), 1)
           as credits_per_active_user
  from mon
  cross join lateral tally_report_seat_demand(mon.m, mon.m_end, $3::timestamptz) d
  left join started on started.m = mon.m
  left join ended on ended.m = mon.m
  left join usage on usage.m = mon.m
  left join reg on reg.m = mon.m
  left join cust on cust.m = mon.m
 order by mon.m
