-- sheet: Assignments
-- column: new_assignments | New | assignments that started in the week
-- column: expired | Expired | ended in the week when their plan ran out,
--     as of the as-of instant (one revoked later still counts as running)
-- column: extended | Extended | extensions in the week (tallyctl assignment
--     extend, from the audit log: one assignment extended twice counts
--     twice)
-- column: revoked | Revoked | ended in the week by an admin or a refund
-- column: active_at_end | Held at the end | seats held at the end of the
--     week (its last instant, or the as-of instant if earlier)
-- column: avg_days_planned | Average days planned | mean planned length
--     (end minus start) of the new assignments, in days of 86,400 seconds
-- column: avg_days_served | Average days served | mean time from start to
--     end of the assignments that ended in the week, in days
--
-- Assignment activity in the week, one row (zeros for a quiet week).
-- Days are 86,400 seconds, rounded to two decimals.
with a as (
	select * from tally_report_assignments($3::timestamptz)
),
t(at) as (
	select tally_report_instant($2::timestamptz, $3::timestamptz)
)
select
	count(*) filter (where a.starts_at >= $1::timestamptz
	                   and a.starts_at < $2::timestamptz) as new_assignments,
	count(*) filter (where a.status = 'EXPIRED'
	                   and a.ended_at >= $1::timestamptz
	                   and a.ended_at < $2::timestamptz) as expired,
	(select count(*) from audit_log l
	  where l.action = 'assignment.extend'
	    and l.at >= $1::timestamptz and l.at < $2::timestamptz
	    and l.at <= $3::timestamptz) as extended,
	count(*) filter (where a.status = 'REVOKED'
	                   and a.ended_at >= $1::timestamptz
	                   and a.ended_at < $2::timestamptz) as revoked,
	count(*) filter (where a.created_at <= t.at
	                   and (a.ended_at is null or a.ended_at > t.at))
	    as active_at_end,
	round(avg(extract(epoch from a.ends_at - a.starts_at))
	          filter (where a.starts_at >= $1::timestamptz
	                    and a.starts_at < $2::timestamptz) / 86400, 2)
	    as avg_days_planned,
	round(avg(extract(epoch from a.ended_at - a.starts_at))
	          filter (where a.ended_at >= $1::timestamptz
	                    and a.ended_at < $2::timestamptz) / 86400, 2)
	    as avg_days_served
  from a
 cross join t
