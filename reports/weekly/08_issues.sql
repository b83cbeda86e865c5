-- sheet: Issues
-- column: category | Category | what kind of problem (see below)
-- column: item | Item | the source, program, alert or reconcile category
-- column: occurrences | Occurrences | how many times in the week
-- column: first_at | First | the first occurrence in the week (for
--     reconcile cases: when the oldest open case was found)
-- column: last_at | Last | the last occurrence (the newest open case)
-- column: detail | Detail | the error, the alert's summary and what became
--     of it, or the case's severity and title
--
-- What went wrong in the week, grouped so a long outage is one line:
--   "Unprocessable event"  deliveries allocate marked FAILED (unknown
--                   sku, missing e-mail, bad amount...), received in the
--                   week, per source and error; see tallyctl event list --failed
--   "Waiting event"  deliveries still unprocessed at the end of the week
--                   (or at as-of) that had arrived more than 15 minutes
--                   before it: allocate is behind or not running
--   "Failed job run" batch runs that failed in the week, per program, with
--                   the message of the latest one
--   "Alert raised"  every raise of an alert in the week (sql/061
--                   alert_history: one raised twice is two lines), with
--                   what became of it by the end of the week: "(resolved
--                   2026-03-28 09:00)" or "(still active)"
--   "Alert resolved"  alerts raised before the week and resolved in it,
--                   with when they were raised
--   "Open reconcile case"  cases of tally-reconcile (sql/030) open at the
--                   end of the week: found by then, not closed by then and
--                   not accepted by an admin (or the acceptance ran out),
--                   per category and severity; detail is the severity and
--                   the category's title
-- first_at / last_at: the first and last occurrence in the group (for
-- reconcile cases: when the oldest and the newest open case was found).
-- Error texts partly come from outside (payloads): the engine writes them
-- as strings, never formulas.  Ordered by category, then item, then detail.
with t(at) as (
	select tally_report_instant($2::timestamptz, $3::timestamptz)
),
iss as (
	select 1 as ord, 'Unprocessable event' as category, r.source as item,
	       count(*) as occurrences, min(r.received_at) as first_at,
	       max(r.received_at) as last_at,
	       coalesce(left(r.error, 200), '(no reason recorded)') as detail
	  from raw_events r
	 where r.status = 'FAILED'
	   and r.received_at >= $1::timestamptz and r.received_at < $2::timestamptz
	   and coalesce(r.processed_at, r.received_at) <= $3::timestamptz
	 group by r.source, coalesce(left(r.error, 200), '(no reason recorded)')
	union all
	select 2, 'Waiting event', r.source, count(*), min(r.received_at),
	       max(r.received_at), 'unprocessed for more than 15 minutes'
	  from raw_events r, t
	 where r.received_at <= t.at - interval '15 minutes'
	   and (r.status = 'NEW' or r.processed_at > t.at)
	 group by r.source
	union all
	select 3, 'Failed job run', j.program, count(*), min(j.started_at),
	       max(j.started_at),
	       (array_agg(coalesce(j.message, '') order by j.started_at desc,
	                  j.id desc))[1]
	  from job_runs j
	 where j.status = 'FAILED'
	   and j.started_at >= $1::timestamptz and j.started_at < $2::timestamptz
	   and coalesce(j.finished_at, j.started_at) <= $3::timestamptz
	 group by j.program
	union all
	select 4, 'Alert raised', h.key, 1, h.at, h.at,
	       coalesce(h.summary, '')
	       || coalesce(' (resolved '
	                   || to_char(res.at, 'YYYY-MM-DD HH24:MI') || ')',
	                   ' (still active)')
	  from alert_history h
	 cross join t
	  left join lateral (select r.at from alert_history r
	                      where r.key = h.key and r.event = 'RESOLVED'
	                        and r.at >= h.at and r.at <= t.at
	                      order by r.at, r.id
	                      limit 1) res on true
	 where h.event = 'RAISED'
	   and h.at >= $1::timestamptz and h.at < $2::timestamptz
	   and h.at <= $3::timestamptz
	union all
	select 5, 'Alert resolved', h.key, 1, h.at, h.at,
	       coalesce(h.summary, '') || ' (raised '
	       || to_char(ra.at, 'YYYY-MM-DD HH24:MI') || ')'
	  from alert_history h
	 cross join lateral (select r.at from alert_history r
	                      where r.key = h.key and r.event = 'RAISED'
	                        and r.at <= h.at
	                      order by r.at desc, r.id desc
	                      limit 1) ra
	 where h.event = 'RESOLVED'
	   and h.at >= $1::timestamptz and h.at < $2::timestamptz
	   and h.at <= $3::timestamptz
	   and ra.at < $1::timestamptz
	union all
	select 6, 'Open reconcile case', c.category, count(*), min(c.first_seen),
	       max(c.first_seen), c.severity || ': ' || k.title
	  from reconcile_cases c
	  join reconcile_categories k on k.category = c.category
	  cross join t
	 where c.first_seen <= t.at
	   and (c.closed_at is null or c.closed_at > t.at)
	   and not (c.accepted_at is not null and c.accepted_at <= t.at
	            and (c.accepted_until is null
	                 or c.accepted_until >= t.at::date))
	 group by c.category, c.severity, k.title
)
select i.category, i.item, i.occurrences, i.first_at, i.last_at, i.detail
  from iss i
 order by i.ord, i.item, i.detail
