-- sheet: Issues
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
--   "Alert raised"  alerts (sql/010 `alerts`, one row per condition)
--                   raised in the week, with their state at the end of the
--                   week.  The table keeps only the latest raise of a
--                   condition, so one raised twice in the week is one line,
--                   and one raised again after the as-of instant has left
--                   this week's line (a rerun then shows one line fewer)
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
	select 4, 'Alert raised', a.key, 1, a.raised_at, a.raised_at,
	       coalesce(a.summary, '')
	       || case when a.resolved_at >= a.raised_at and a.resolved_at <= t.at
	               then ' (resolved)' else ' (still active)' end
	  from alerts a, t
	 where a.raised_at >= $1::timestamptz and a.raised_at < $2::timestamptz
	   and a.raised_at <= $3::timestamptz
	union all
	select 5, 'Open reconcile case', c.category, count(*), min(c.first_seen),
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
