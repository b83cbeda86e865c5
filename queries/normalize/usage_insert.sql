-- The model calls, once per service event id.
insert into usage_events (event_id, raw_event_id, user_id, model_id, kind,
                          started_at, duration_ms, credits, status, error)
select distinct on (event_id) event_id, raw_id, user_id, model_id, kind,
       occurred_at, duration_ms, credits, ustatus, uerror
  from pg_temp.alloc_usage
 where err is null and fact = 'USAGE'
 order by event_id, raw_id
    on conflict (event_id, started_at) do nothing
