-- 081_replication_status.sql - the standbys streaming from this server,
-- for `tallyctl status` (lib/ops/status.c).  pg_stat_replication shows a
-- standby's positions only to superusers and members of
-- pg_read_all_stats, which tally's roles are not; this function shows
-- those few facts, with the rights of the migration's owner (on a server
-- whose owner lacks them too, the positions are NULL and status says so).
--
-- One row per standby streaming now, and one per replication slot no
-- standby uses: a stopped standby's slot keeps WAL on the primary (up to
-- max_slot_wal_keep_size), which is worth seeing.
create function tally_replicas()
returns table (name text, state text, sync_state text, slot text,
               behind_bytes bigint, replay_lag_seconds double precision,
               wal_status text)
language sql stable security definer set search_path = pg_catalog as $$
	select r.application_name, r.state, r.sync_state, s.slot_name,
	       case when not pg_is_in_recovery()
	            then pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)::bigint
	       end,
	       extract(epoch from r.replay_lag)::float8, s.wal_status
	  from pg_stat_replication r
	  left join pg_replication_slots s on s.active_pid = r.pid
	union all
	select null, 'no standby', null, s.slot_name,
	       case when not pg_is_in_recovery()
	            then pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint
	       end,
	       null, s.wal_status
	  from pg_replication_slots s
	 where not s.active and s.slot_type = 'physical'
	 order by 1, 4
$$;
revoke all on function tally_replicas() from public;
grant execute on function tally_replicas() to tally_admin, tally_report;
