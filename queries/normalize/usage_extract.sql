-- One fact per claimed usage event (Standard Webhooks sources): what its
-- payload means is tally_fact_usage() in sql/011_normalize.sql.
insert into pg_temp.alloc_usage (raw_id, source, fact, event_id, occurred_at,
	user_ext, user_email, model, kind, duration_ms, credits, ustatus, uerror,
	err)
select r.id, r.source, f.*
  from pg_temp.alloc_claim c
  join raw_events r on r.id = c.raw_id
 cross join lateral tally_fact_usage(r.payload) f
 where c.scheme = 'standard-webhooks'
