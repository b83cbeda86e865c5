-- sheet: Summary
-- summary: Model statistics
--
-- The first page of the model statistics: the period's headline figures
-- and the models that need a look.  The engine adds the title, the period
-- in words, the as-of instant, the zone, the version, the windows of the
-- hour sheets ("Peak hours" and "Calls by hour" cover at least the last
-- 7 days), and a PARTIAL banner when the period is not over at the as-of
-- instant.  Usage counts as of the as-of instant (tally_report_usage).
-- Processing times are given for the successful calls, and for all calls
-- (a timeout's 30 s would hide what a user who got an image waited).
--
-- Actions: one rule per branch of `act`, each naming the tallyctl command
-- that acts on it, relative to the as-of instant as "Inactive models" is
-- (config inactive_model_days, 7 when absent):
--   inactive     an active model with no call in those days
--   called       a switched-off model that was called in them
--   flagged      a model registered from usage under an unknown name and
--                not reviewed (its prices are zero)
with u as (
	select * from tally_report_usage($1::timestamptz, $2::timestamptz,
	                                 $3::timestamptz)
),
s(days) as (
	select coalesce(($5::jsonb ->> 'inactive_model_days')::integer, 7)
),
recent as (
	select m.name, m.active, s.days,
	       exists (select 1
	                 from tally_report_usage($3::timestamptz
	                                         - make_interval(days => s.days),
	                                         'infinity', $3::timestamptz) r
	                where r.model_id = m.id) as called
	  from models m, s
	 where m.created_at <= $3::timestamptz
),
fig(ord, label, value, unit) as (
	select 10, 'Calls', count(*)::numeric, null::text from u
	union all
	select 11, 'Successful calls', count(*) filter (where u.status = 'ok'),
	       null
	  from u
	union all
	select 12, 'Error rate',
	       round(count(*) filter (where u.status = 'error')::numeric
	             / nullif(count(*), 0), 4),
	       'percent'
	  from u
	union all
	select 20, 'Processing time p95, successful calls',
	       round(tally_percentile_of(0.95) within group (order by u.duration_ms)
	                 filter (where u.status = 'ok'), 1),
	       'ms'
	  from u
	union all
	select 21, 'Processing time p95, all calls',
	       round(tally_percentile_of(0.95) within group (order by u.duration_ms), 1),
	       'ms'
	  from u
	union all
	select 30, 'Credits consumed', coalesce(sum(u.credits), 0), null from u
	union all
	select 31, 'Active users', count(distinct u.user_id), null from u
	union all
	select 32, 'Models called', count(distinct u.model_id), null from u
),
act(ord, label, command) as (
	select 10, format('Model %s is active but has had no call for %s days: '
	                  'switch it off if the service dropped it.', r.name,
	                  r.days),
	       'tallyctl model set ' || tally_shell_word(r.name) || ' --inactive'
	  from recent r
	 where r.active and not r.called
	union all
	select 20, format('Model %s is switched off but was called in the last '
	                  '%s days: switch it on, or tell the image service.',
	                  r.name, r.days),
	       'tallyctl model set ' || tally_shell_word(r.name) || ' --active'
	  from recent r
	 where not r.active and r.called
	union all
	select 30, format('Model %s was registered from usage under a name '
	                  'tally did not know: set its prices.', m.name),
	       'tallyctl model set ' || tally_shell_word(m.name)
	       || ' --credit-cost N --provider-cost DECIMAL --currency CUR'
	  from models m
	 where m.flagged and m.created_at <= $3::timestamptz
)
select x.section, x.label, x.value, x.unit, x.command
  from (select 'figure' as section, f.label, f.value, f.unit,
               null::text as command, f.ord
          from fig f
        union all
        select 'action', a.label, null, null, a.command, 100 + a.ord
          from act a) x
 order by x.ord, x.label
