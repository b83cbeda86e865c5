-- sheet: Calls by hour
-- percent: error_rate
-- chart: column; category=hour; values=calls; title=Calls by hour of day
-- window: 7 days
-- column: hour | Hour | the hour of the day, local time
-- column: calls | Calls | calls started in that hour of any day of the
--     window
-- column: errors | Failed | calls that ended in an error
-- column: error_rate | Error rate | failed / calls
-- column: avg_ms | Average ms, all | mean processing time, failed calls
--     too
-- column: ok_avg_ms | Average ms, successful | mean processing time of the
--     successful calls
--
-- Every model together, by hour of the day in the report time zone, over
-- the same window as "Peak hours" (the 7 days ending at the period's end,
-- or the period when it is longer); all 24 hours, zeros included.
with c as (
	select extract(hour from u.started_at)::integer as h,
	       count(*) as calls,
	       count(*) filter (where u.status = 'error') as errors,
	       avg(u.duration_ms) as avg_ms,
	       avg(u.duration_ms) filter (where u.status = 'ok') as ok_avg_ms
	  from tally_report_usage(least($1, $2 - interval '7 days'), $2, $3) u
	 group by 1
)
select to_char(h.h, 'FM00') || ':00' as hour,
       coalesce(c.calls, 0) as calls,
       coalesce(c.errors, 0) as errors,
       round(c.errors::numeric / nullif(c.calls, 0), 4) as error_rate,
       round(c.avg_ms, 1) as avg_ms,
       round(c.ok_avg_ms, 1) as ok_avg_ms
  from generate_series(0, 23) as h(h)
  left join c on c.h = h.h
 order by h.h
