-- 051_raw_events_immutable.sql - a delivery is kept exactly as it arrived.
--
-- raw_events holds the bytes a provider signed (body), the headers that
-- carried the signature and the parsed payload.  Downstream programs only
-- record what they did with a delivery (status, processed_at, attempts,
-- error).  Before, tally_batch and tally_admin could UPDATE body, payload
-- and event_key and INSERT unsigned rows, so "the exact signed bytes"
-- could be rewritten below the signature check.
--
-- The trigger holds for every role, the owner included; a superuser can
-- still disable it (ALTER TABLE ... DISABLE TRIGGER, or
-- session_replication_role), which no grant can prevent (README: Security).

create function tally_raw_events_immutable() returns trigger
language plpgsql as $$
begin
	if tg_op = 'UPDATE' then
		if new.id is distinct from old.id
		   or new.source is distinct from old.source
		   or new.scheme is distinct from old.scheme
		   or new.event_key is distinct from old.event_key
		   or new.received_at is distinct from old.received_at
		   or new.content_type is distinct from old.content_type
		   or new.sig_headers is distinct from old.sig_headers
		   or new.body is distinct from old.body
		   or new.payload is distinct from old.payload then
			raise exception 'raw_events % is kept as it arrived: only '
			    'status, processed_at, attempts and error may change', old.id
				using errcode = 'insufficient_privilege';
		end if;
		return new;
	end if;
	raise exception 'raw_events is append-only (% refused)', tg_op
		using errcode = 'insufficient_privilege';
end $$;

create trigger raw_events_immutable
	before update or delete on raw_events
	for each row execute function tally_raw_events_immutable();
create trigger raw_events_no_truncate
	before truncate on raw_events
	for each statement execute function tally_raw_events_immutable();

-- Only the receiver adds deliveries.
revoke insert, update, delete, truncate on raw_events
	from tally_batch, tally_admin, tally_report;
-- What the batch programs record about a delivery; tally_admin the same
-- (an admin re-queues a FAILED event: FAILED -> NEW).
grant update (status, processed_at, attempts, error) on raw_events
	to tally_batch, tally_admin;
-- Reports see what happened to deliveries, not what they said: neither the
-- signed bytes nor their parse (payload is body as JSON) nor the headers.
revoke select on raw_events from tally_report;
grant select (id, source, scheme, event_key, received_at, content_type,
	status, processed_at, attempts, error) on raw_events to tally_report;
