-- 092_report_percentile.sql - tally_percentile (sql/062) as an aggregate,
-- so a sheet writes a percentile the way PostgreSQL's own are written:
--   tally_percentile_of(0.95) within group (order by u.duration_ms)
-- rather than sorting an array_agg() for tally_percentile() itself.  The
-- value is the same, exactly: the values sorted ascending (NULLs last,
-- as array_agg(x order by x) has them; filter them out as before), then
-- tally_percentile().  NULL over no rows.

create function tally_percentile_final(v numeric[], p numeric)
returns numeric language sql immutable parallel safe as $$
	select tally_percentile(array(select x from unnest(v) x order by x), p)
$$;

-- An ordered-set aggregate sorts its input itself (the final function
-- does); the transition only collects it.
create aggregate tally_percentile_of(p numeric order by v numeric) (
	sfunc = array_append,
	stype = numeric[],
	finalfunc = tally_percentile_final
);

grant execute on function tally_percentile_final(numeric[], numeric),
    tally_percentile_of(numeric, numeric) to tally_report;
