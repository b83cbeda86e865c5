-- 093_report_usage_stats.sql - the measures of the image service's calls
-- that the model-stats sheets show per day ("Daily totals"), per day and
-- model ("Per model and day") and per model ("Models"), written once.
--
-- LANGUAGE sql, STABLE and SECURITY INVOKER (the default): a sheet runs
-- it as tally_report, with its rights.  A single SELECT over
-- tally_report_usage() (sql/020), so the planner inlines both into the
-- sheet (partition pruning still applies) and computes only the measures
-- the sheet reads (unused outputs of an inlined query are dropped).

-- The usage of [p_from, p_to) as of p_asof, one row per day of started_at
-- (in the session's time zone) when p_by_day, per model when p_by_model,
-- both, or neither (one row; none without calls).  day or model_id is
-- NULL where not grouped by.  Durations in ms: the mean and the exact
-- percentiles (tally_percentile_of, sql/092), of every call and of the
-- successful ones (ok_*), rounded to 0.1.
create function tally_report_usage_stats(p_from timestamptz,
    p_to timestamptz, p_asof timestamptz, p_by_day boolean,
    p_by_model boolean)
returns table (day date, model_id bigint, calls bigint, generate bigint,
    edit bigint, ok bigint, errors bigint, users bigint, credits numeric,
    avg_ms numeric, p50_ms numeric, p95_ms numeric, ok_avg_ms numeric,
    ok_p50_ms numeric, ok_p95_ms numeric, max_ms integer,
    last_call timestamptz)
language sql stable as $$
	select case when p_by_day then u.started_at::date end,
	       case when p_by_model then u.model_id end,
	       count(*),
	       count(*) filter (where u.kind = 'generate'),
	       count(*) filter (where u.kind = 'edit'),
	       count(*) filter (where u.status = 'ok'),
	       count(*) filter (where u.status = 'error'),
	       count(distinct u.user_id),
	       sum(u.credits),
	       round(avg(u.duration_ms), 1),
	       round(tally_percentile_of(0.5) within group (order by u.duration_ms), 1),
	       round(tally_percentile_of(0.95) within group (order by u.duration_ms), 1),
	       round(avg(u.duration_ms) filter (where u.status = 'ok'), 1),
	       round(tally_percentile_of(0.5) within group (order by u.duration_ms)
	                 filter (where u.status = 'ok'), 1),
	       round(tally_percentile_of(0.95) within group (order by u.duration_ms)
	                 filter (where u.status = 'ok'), 1),
	       max(u.duration_ms),
	       max(u.started_at)
	  from tally_report_usage(p_from, p_to, p_asof) u
	 group by 1, 2
$$;

grant execute on function tally_report_usage_stats(timestamptz, timestamptz,
    timestamptz, boolean, boolean) to tally_report;
