-- sheet: Capacity forecast
-- chart: line; category=month; values=peak_seats,seat_capacity; title=Seat demand and capacity
--
-- Seat demand next month, from the trend of the last six months (the
-- report month and the five before it), and the accounts to add so that
-- capacity keeps a buffer of free seats.
--   actual rows: peak_seats (most seats held at once in the month),
--     avg_seats (time-weighted), seat_capacity (seats on accounts not
--     suspended at the month's end, or at the as-of instant if earlier)
--   forecast row (the month after the report month): peak_seats is the
--     least-squares line through the actual peaks (regr_slope and
--     regr_intercept over the month index 0..5) extended one month,
--     never below zero; months before the pool had any account or seat
--     use are left out of the fit (they would fake a steep rise); with a
--     single month the forecast is that month's peak.  seat_capacity is
--     the capacity at the report month's end (or at as-of); buffer is
--     config alert_seat_threshold from the settings in $5 (the free seats
--     below which an alert fires; 5 when absent); seats_short = forecast
--     + buffer - capacity, rounded up, at least 0; accounts_to_add =
--     seats_short / the most common capacity among the accounts in use
--     (the larger one on a tie; 1 for an empty pool), rounded up.
with hist as (
	select k as x,
	       date_trunc('month', $1::timestamptz) - (5 - k) * interval '1 month' as m
	  from generate_series(0, 5) k
),
act as (
	select h.x, h.m, d.peak_seats, d.avg_seats,
	       (select coalesce(sum(p.capacity) filter (where not p.suspended), 0)
	          from tally_report_pool_at(tally_report_instant(
	                   h.m + interval '1 month', $3::timestamptz)) p) as capacity,
	       (select count(*)
	          from tally_report_pool_at(tally_report_instant(
	                   h.m + interval '1 month', $3::timestamptz)) p) as accounts
	  from hist h
	  cross join lateral tally_report_seat_demand(h.m, h.m + interval '1 month',
	                                              $3::timestamptz) d
),
fit as (
	select regr_slope(a.peak_seats, a.x) as slope,
	       regr_intercept(a.peak_seats, a.x) as intercept,
	       avg(a.peak_seats) as mean
	  from act a
	 where a.accounts > 0 or a.peak_seats > 0
),
buf(seats) as (
	select coalesce(($5::jsonb ->> 'alert_seat_threshold')::integer, 5)
),
pool as (
	select p.*
	  from tally_report_pool_at(tally_report_instant($2::timestamptz,
	                                                 $3::timestamptz)) p
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
select a.m::date as month,
       'actual' as basis,
       a.peak_seats::numeric as peak_seats,
       round(a.avg_seats, 2) as avg_seats,
       a.capacity as seat_capacity,
       null::integer as buffer,
       null::integer as seats_short,
       null::integer as accounts_to_add
  from act a
union all
select (date_trunc('month', $1::timestamptz) + interval '1 month')::date,
       'forecast',
       fc.peak,
       null,
       fc.capacity,
       buf.seats,
       greatest(0, ceil(fc.peak + buf.seats - fc.capacity))::integer,
       ceil(greatest(0, ceil(fc.peak + buf.seats - fc.capacity))
            / fc.typical)::integer
  from fc, buf
order by month
