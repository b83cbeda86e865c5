-- sheet: Inactive models
-- column: model | Model | the model
-- column: active | Active | whether the image service may call it
-- column: status | Status | INACTIVE: active but not called in the window;
--     DEACTIVATED_BUT_CALLED: switched off, yet called in it
-- column: last_access | Last call | its latest call by the as-of instant
-- column: days_since_last_access | Days since | days from that call to the
--     as-of instant
-- column: calls_in_window | Calls in the window | calls in the last
--     window_days days
-- column: window_days | Window (days) | config inactive_model_days (7 when
--     absent)
--
-- Models that need a look at the as-of instant: INACTIVE (active, but no
-- call in the last inactive_model_days days, $5 from the configuration,
-- default 7) or DEACTIVATED_BUT_CALLED (switched off, yet called in those
-- days).  Relative to $3, not to the period: "is anyone using it now".
-- Whether a model was called is an EXISTS (the first call found ends the
-- search); only the few models listed have their calls counted.
with s as (
	select coalesce(($5::jsonb ->> 'inactive_model_days')::integer, 7)
	       as days
), m as (
	select m.id, m.name, m.active, s.days,
	       $3 - make_interval(days => s.days) as since,
	       exists (select 1
	                 from tally_report_usage($3 - make_interval(days => s.days),
	                                         'infinity', $3) r
	                where r.model_id = m.id) as called
	  from models m, s
	 where m.created_at <= $3
)
select m.name as model,
       m.active,
       case when m.active then 'INACTIVE' else 'DEACTIVATED_BUT_CALLED' end
           as status,
       l.last_access,
       round((extract(epoch from $3 - l.last_access) / 86400)::numeric, 1)
           as days_since_last_access,
       case when m.called
            then (select count(*)
                    from tally_report_usage(m.since, 'infinity', $3) r
                   where r.model_id = m.id)
            else 0 end as calls_in_window,
       m.days as window_days
  from m
 left join lateral (
	select u.started_at as last_access
	  from tally_report_usage('-infinity', 'infinity', $3) u
	 where u.model_id = m.id
	 order by u.started_at desc
	 limit 1) l on true
 where m.active <> m.called
 order by 3, 1
