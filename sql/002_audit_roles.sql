-- 002_audit_roles.sql - the append-only audit log with a hash chain, and
-- the least-privilege roles.

create sequence audit_log_id_seq;

-- Append-only: UPDATE, DELETE and TRUNCATE raise.  Each row also carries
-- sha256(prev_hash || its own content), so a row altered or removed with
-- the triggers disabled (by a superuser) is still found by
-- `tallyctl audit verify`.
create table audit_log (
	id bigint primary key,
	at timestamptz not null default now(),
	actor text not null check (length(actor) between 1 and 128),
	action text not null check (length(action) between 1 and 64),
	entity text not null,
	entity_id text,
	reason text,
	before jsonb,
	after jsonb,
	prev_hash bytea not null,
	hash bytea not null
);
create index audit_log_entity on audit_log (entity, entity_id);
create index audit_log_actor on audit_log (actor, at);

-- The canonical content a row's hash covers.  jsonb prints keys in a fixed
-- order, so the text is stable.
create function tally_audit_content(a audit_log) returns bytea
language sql immutable as $$
	select convert_to(concat_ws(E'\x1f', a.id::text,
		to_char(a.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
		a.actor, a.action, a.entity, coalesce(a.entity_id, ''),
		coalesce(a.reason, ''), coalesce(a.before::text, ''),
		coalesce(a.after::text, '')), 'UTF8')
$$;

-- Inserts are serialised by a transaction-level advisory lock, and the id is
-- drawn only once the lock is held: id order is chain order, even when
-- transactions commit in another order than they started.
create function tally_audit_chain() returns trigger
language plpgsql as $$
declare
	prev bytea;
begin
	perform pg_advisory_xact_lock(7283392, 1);
	new.id := nextval('audit_log_id_seq');
	select hash into prev from audit_log order by id desc limit 1;
	new.prev_hash := coalesce(prev, '\x'::bytea);
	new.hash := sha256(new.prev_hash || tally_audit_content(new));
	return new;
end $$;

create trigger audit_log_chain
	before insert on audit_log
	for each row execute function tally_audit_chain();

create function tally_audit_append_only() returns trigger
language plpgsql as $$
begin
	raise exception 'audit_log is append-only (% refused)', tg_op
		using errcode = 'insufficient_privilege';
end $$;

create trigger audit_log_no_update
	before update or delete on audit_log
	for each row execute function tally_audit_append_only();
create trigger audit_log_no_truncate
	before truncate on audit_log
	for each statement execute function tally_audit_append_only();

-- Rows whose chain is broken, first one first: the row's own hash does not
-- match its content (altered), or its prev_hash does not match the hash of
-- the row before it (a row was removed, or reordered).
create function tally_audit_verify()
returns table (id bigint, problem text)
language sql stable as $$
	select a.id,
	       case when a.hash <> a.computed
	            then 'row content does not match its hash (altered)'
	            else 'previous hash does not match row ' || coalesce(a.prev_id::text, 'none')
	                 || ' (a row before it was removed or altered)' end
	from (select l.id, l.hash, l.prev_hash,
	             sha256(l.prev_hash || tally_audit_content(l)) as computed,
	             lag(l.hash) over w as expect_prev,
	             lag(l.id) over w as prev_id
	      from audit_log l window w as (order by l.id)) a
	where a.hash <> a.computed
	   or a.prev_hash <> coalesce(a.expect_prev, '\x'::bytea)
	order by a.id
$$;

-- Roles are cluster-wide: create them once, grant per database.
do $$
declare
	r text;
begin
	foreach r in array array['tally_receiver', 'tally_batch', 'tally_admin',
	                         'tally_report'] loop
		if not exists (select 1 from pg_roles where rolname = r) then
			execute format('create role %I nologin', r);
		end if;
	end loop;
end $$;

revoke all on all tables in schema public from public;
revoke all on all sequences in schema public from public;

-- The receiver may add deliveries and nothing else.  Reading back its own
-- key columns is what lets INSERT ... ON CONFLICT DO NOTHING RETURNING tell
-- a duplicate from a new row; payloads stay unreadable to it.
grant usage on schema public to tally_receiver, tally_batch, tally_admin, tally_report;
grant insert (source, scheme, event_key, content_type, sig_headers, body, payload)
	on raw_events to tally_receiver;
grant select (source, event_key) on raw_events to tally_receiver;

grant select, insert, update on all tables in schema public to tally_batch, tally_admin;
grant usage, select on all sequences in schema public to tally_batch, tally_admin;
grant execute on all functions in schema public to tally_batch, tally_admin;
grant select on all tables in schema public to tally_report;
-- the audit log is insert-only for everyone who may write it
revoke update, delete, truncate on audit_log from tally_batch, tally_admin;
-- tables of later migrations get the same grants without repeating them
alter default privileges in schema public
	grant select, insert, update on tables to tally_batch, tally_admin;
alter default privileges in schema public
	grant usage, select on sequences to tally_batch, tally_admin;
alter default privileges in schema public
	grant select on tables to tally_report;
