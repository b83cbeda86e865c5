-- sheet: Assignments by day
-- chart: column; category=day; values=new_assignments,expired,revoked,extended; title=Assignments per day
-- column: day | Day | the local day in the report zone
-- column: new_assignments | New | assignments that started that day
-- column: expired | Expired | ended that day when their plan ran out
-- column: revoked | Revoked | ended that day by an admin or a refund
-- column: extended | Extended | extensions made that day
--
-- The same counts as "Assignments", per local day of the week.  Days are
-- cut in the report time zone (the session's): a DST day is 23 or 25 hours
-- long and still one row, and a week that crosses a month is seven rows.
-- Every day of the period is listed, zeros included.
with d as (
	select g as day_start,
	       least(g + interval '1 day', $2::timestamptz) as day_end
	  from generate_series(date_trunc('day', $1::timestamptz),
	                       $2::timestamptz - interval '1 microsecond',
	                       interval '1 day') g
),
a as (
	select * from tally_report_assignments($3::timestamptz)
),
ev as (
	select a.starts_at as at, 'new' as what from a
	 where a.starts_at >= $1::timestamptz and a.starts_at < $2::timestamptz
	union all
	select a.ended_at, a.status from a
	 where a.status in ('EXPIRED', 'REVOKED')
	   and a.ended_at >= $1::timestamptz and a.ended_at < $2::timestamptz
	union all
	select l.at, 'extend' from audit_log l
	 where l.action = 'assignment.extend'
	   and l.at >= $1::timestamptz and l.at < $2::timestamptz
	   and l.at <= $3::timestamptz
)
select d.day_start::date as day,
       count(ev.at) filter (where ev.what = 'new') as new_assignments,
       count(ev.at) filter (where ev.what = 'EXPIRED') as expired,
       count(ev.at) filter (where ev.what = 'REVOKED') as revoked,
       count(ev.at) filter (where ev.what = 'extend') as extended
  from d
  left join ev on ev.at >= greatest(d.day_start, $1::timestamptz)
              and ev.at < d.day_end
 group by d.day_start
 order by d.day_start
