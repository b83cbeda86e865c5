-- The n-th order (oldest first) gets the n-th seat in policy order.  The
-- plan starts at paid_at, or at "now" ($1, the run's as-of; NULL: now())
-- when the order waited longer than the SLA ($2 minutes, config
-- fulfil_sla_minutes) for a seat, so the customer gets the whole plan.
-- Inserted in account order: the seat trigger locks accounts in that order
-- (they are already locked by tally_pick_seats).
with o as (
	select order_id, customer_id, days, paid_at,
	       row_number() over (order by order_id) as rn
	  from pg_temp.alloc_work
	 where kind = 'SEAT' and problem is null
),
s as (
	select p.account_id, row_number() over (order by p.rank, g) as rn
	  from pg_temp.alloc_pick p
	 cross join lateral generate_series(1, p.seats) g
),
a as (
	insert into assignments (account_id, customer_id, order_id, starts_at,
	                         ends_at)
	select s.account_id, o.customer_id, o.order_id, x.st,
	       x.st + make_interval(days => o.days)
	  from o
	  join s on s.rn = o.rn
	 cross join lateral (select case when o.paid_at >= coalesce($1::timestamptz, now())
	                                          - make_interval(mins => $2::integer)
	                                 then o.paid_at
	                                 else coalesce($1::timestamptz, now()) end as st) x
	 order by s.account_id, o.order_id
	returning id, order_id
),
f as (
	insert into fulfilments (order_id, kind, assignment_id)
	select order_id, 'SEAT', id from a
	returning order_id
)
update pg_temp.alloc_work w
   set done = true
  from f
 where w.order_id = f.order_id
