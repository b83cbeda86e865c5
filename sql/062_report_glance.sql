-- 062_report_glance.sql - what the reports' Summary sheets share with the
-- sheets they summarise: exact percentiles, and the capacity forecast
-- (the monthly "Capacity forecast" sheet, the monthly and weekly
-- "Add N accounts" actions).

-- The continuous percentile p (0..1) of the sorted values v, exactly:
-- the value at position (n - 1) x p, interpolated linearly between its
-- neighbours, in numeric arithmetic.  percentile_cont works in double
-- precision, where 2.05 is 2.04999..., so a p95 rounded to 0.1 could come
-- out one step low; this one rounds the exact value.  v must be sorted
-- ascending without NULLs (array_agg(x order by x) filter (where x is not
-- null)); NULL for an empty or NULL array.
create function tally_percentile(v numeric[], p numeric) returns numeric
language sql immutable parallel safe as $$
	select v[1 + floor(f)::integer]
	       + (f - floor(f)) * (v[1 + ceil(f)::integer] - v[1 + floor(f)::integer])
	  from (select (cardinality(v) - 1) * p as f) x
	 where cardinality(v) > 0
$$;

-- Seat demand and capacity of the six months ending with the month that
-- starts at p_month (the report month), and the forecast for the month
-- after it, as of p_asof; p_to is the end of the report's period (the
-- capacity forecast compares with the pool at its last instant).
--   actual rows: peak_seats (most seats held at once in the month),
--     avg_seats (time-weighted), seat_capacity (seats on accounts not
--     suspended at the month's end, or at p_asof if earlier)
--   forecast row: forecast_peak_seats is the least-squares line through
--     the actual peaks (regr_slope and regr_intercept over the month
--     index 0..5) extended one month, never below zero, to one decimal;
--     months before the pool had any account or seat use are left out
--     of the fit (they would fake a steep rise); with a single month the
--     forecast is that month's peak.  seat_capacity is the capacity at
--     p_to (or p_asof); buffer is p_buffer, the free seats wanted;
--     seats_short = forecast + buffer - capacity, rounded up, at least
--     0; account_seats is the most common capacity among the accounts in
--     use (the larger one on a tie; 1 for an empty pool); accounts_to_add
--     = seats_short / account_seats, rounded up.
--   The report month's row also carries forecast_peak_seats (its actual
--   peak): the forecast line starts there.
create function tally_report_capacity(p_month timestamptz, p_to timestamptz,
    p_asof timestamptz, p_buffer integer)
returns table (month date, basis text, peak_seats numeric,
    forecast_peak_seats numeric, avg_seats numeric, seat_capacity bigint,
    buffer integer, seats_short integer, account_seats integer,
    accounts_to_add integer)
language sql stable as $$
	with hist as (
		select k as x, p_month - (5 - k) * interval '1 month' as m
		  from generate_series(0, 5) k
	),
	act as (
		select h.x, h.m, d.peak_seats, d.avg_seats,
		       (select coalesce(sum(p.capacity) filter (where not p.suspended), 0)
		          from tally_report_pool_at(tally_report_instant(
		                   h.m + interval '1 month', p_asof)) p) as capacity,
		       (select count(*)
		          from tally_report_pool_at(tally_report_instant(
		                   h.m + interval '1 month', p_asof)) p) as accounts
		  from hist h
		  cross join lateral tally_report_seat_demand(h.m,
		                         h.m + interval '1 month', p_asof) d
	),
	fit as (
		select regr_slope(a.peak_seats, a.x) as slope,
		       regr_intercept(a.peak_seats, a.x) as intercept,
		       avg(a.peak_seats) as mean
		  from act a
		 where a.accounts > 0 or a.peak_seats > 0
	),
	pool as (
		select p.*
		  from tally_report_pool_at(tally_report_instant(p_to, p_asof)) p
		 where not p.suspended
	),
	fc as (
		select round(greatest(0, coalesce(f.intercept + f.slope * 6, f.mean, 0))::numeric,
		             1) as peak,
		       (select coalesce(sum(capacity), 0) from pool) as capacity,
		       coalesce((select capacity from pool
		                  group by capacity
		                  order by count(*) desc, capacity desc limit 1), 1)
		           as typical
		  from fit f
	)
	select a.m::date,
	       'actual',
	       a.peak_seats::numeric,
	       case when a.x = 5 then a.peak_seats::numeric end,
	       round(a.avg_seats, 2),
	       a.capacity,
	       null::integer,
	       null::integer,
	       null::integer,
	       null::integer
	  from act a
	union all
	select (p_month + interval '1 month')::date,
	       'forecast',
	       null,
	       fc.peak,
	       null,
	       fc.capacity,
	       p_buffer,
	       greatest(0, ceil(fc.peak + p_buffer - fc.capacity))::integer,
	       fc.typical,
	       ceil(greatest(0, ceil(fc.peak + p_buffer - fc.capacity))
	            / fc.typical)::integer
	  from fc
	 order by 1
$$;

-- s as one word of a POSIX shell command line: as it is when it holds only
-- characters no shell treats specially, else in single quotes (a ' inside
-- written '"'"').  The Summary's actions name tallyctl commands an admin
-- may paste into a shell, and a model's name comes from outside (usage
-- events register unknown names): "x; rm -rf ~" must stay one argument.
create function tally_shell_word(s text) returns text
language sql immutable parallel safe as $$
	select case when s ~ '^[A-Za-z0-9._@:/+=,-]+$' then s
	            else '''' || replace(s, '''', '''"''"''') || '''' end
$$;

-- Net revenue per currency over [p_from, p_to) as of p_asof, in minor
-- units: succeeded payments by the time they were paid, less refunds and
-- chargebacks by the time they were made (whatever period the payment was
-- in), as the weekly "Revenue" and the monthly "Credit packages" sheets
-- count them.  Currencies are never added together.
create function tally_report_net_revenue(p_from timestamptz,
    p_to timestamptz, p_asof timestamptz)
returns table (currency text, net_minor bigint)
language sql stable as $$
	select m.currency, sum(m.amount)::bigint
	  from (select p.currency::text as currency, p.amount_minor as amount
	          from payments p
	         where p.status = 'SUCCEEDED'
	           and coalesce(p.paid_at, p.created_at) >= p_from
	           and coalesce(p.paid_at, p.created_at) < p_to
	           and coalesce(p.paid_at, p.created_at) <= p_asof
	           and p.created_at <= p_asof
	        union all
	        select r.currency::text, -r.amount_minor
	          from refunds r
	         where coalesce(r.refunded_at, r.created_at) >= p_from
	           and coalesce(r.refunded_at, r.created_at) < p_to
	           and coalesce(r.refunded_at, r.created_at) <= p_asof
	           and r.created_at <= p_asof) m
	 group by m.currency
$$;
