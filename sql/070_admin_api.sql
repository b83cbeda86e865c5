-- 070_admin_api.sql - tally-admin: its own database role, bearer tokens,
-- Idempotency-Key answers and the admin access log.
--
-- tally-admin gets a role of its own, tally_admin_api, rather than
-- tallyctl's tally_admin.  It faces the network (tallyctl needs a shell
-- on the host), so what it may do is cut to what its routes need: every
-- admin operation, as tally_admin may, but it cannot mint, revoke or list
-- the bearer tokens it checks (it reads only the columns a check needs and
-- may only stamp last_used_at); the idempotency answers are its alone; the
-- access log is append-only for it.  And a DBA can tell its sessions
-- apart (pg_stat_activity), cap them (ALTER ROLE ... CONNECTION LIMIT) or
-- cut it off without touching tallyctl.

do $$
declare
	may boolean;
begin
	if not exists (select 1 from pg_roles where rolname = 'tally_admin_api') then
		create role tally_admin_api nologin;
	end if;
	-- programs log in as their own role (as migration 050 does for the
	-- others); that needs CREATEROLE or a superuser
	select rolsuper or rolcreaterole into may
	  from pg_roles where rolname = current_user;
	if not exists (select 1 from pg_roles
	               where rolname = 'tally_admin_api' and rolcanlogin) then
		if may then
			alter role tally_admin_api login;
		else
			raise warning 'role tally_admin_api cannot log in and % may '
			    'not change that: run ALTER ROLE tally_admin_api LOGIN as a '
			    'superuser (docs/DEPLOY.md)', current_user;
		end if;
	end if;
end $$;

-- The same rights on the domain as tallyctl's role, copied from
-- tally_admin's grants as they stand after every earlier migration (table
-- and column grants alike), so what an earlier migration took away from
-- tally_admin the API does not have either.
grant usage on schema public to tally_admin_api;
do $$
declare
	g record;
begin
	for g in
		select c.relname, a.privilege_type
		  from pg_class c
		  join pg_namespace n on n.oid = c.relnamespace
		  cross join lateral aclexplode(c.relacl) a
		 where n.nspname = 'public' and c.relkind in ('r', 'p', 'v')
		   and a.grantee = 'tally_admin'::regrole
	loop
		execute format('grant %s on table public.%I to tally_admin_api',
		    g.privilege_type, g.relname);
	end loop;
	for g in
		select c.relname, att.attname, a.privilege_type
		  from pg_attribute att
		  join pg_class c on c.oid = att.attrelid
		  join pg_namespace n on n.oid = c.relnamespace
		  cross join lateral aclexplode(att.attacl) a
		 where n.nspname = 'public' and att.attnum > 0
		   and not att.attisdropped and a.grantee = 'tally_admin'::regrole
	loop
		execute format('grant %s (%I) on table public.%I to tally_admin_api',
		    g.privilege_type, g.attname, g.relname);
	end loop;
end $$;
grant usage, select on all sequences in schema public to tally_admin_api;
grant execute on all functions in schema public to tally_admin_api;
-- tables of later migrations: as for tally_admin (002)
alter default privileges in schema public
	grant select, insert, update on tables to tally_admin_api;
alter default privileges in schema public
	grant usage, select on sequences to tally_admin_api;

-- Bearer tokens.  A token is tly_<key_id>_<secret>: key_id (50 random
-- bits, base32) names the row and is no secret; the whole token's
-- SHA-256 is all that is stored, so the table's contents cannot be used
-- to authenticate.  A name is never reused, even after a revoke: the
-- audit log's actor token:NAME must stay unambiguous.
create table api_tokens (
	id bigint generated always as identity primary key,
	name text not null unique
		check (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
	role text not null check (role in ('read', 'write', 'admin')),
	key_id text not null unique check (key_id ~ '^[a-z2-7]{10}$'),
	token_hash bytea not null check (length(token_hash) = 32),
	created_at timestamptz not null default now(),
	created_by text not null,
	expires_at timestamptz,
	revoked_at timestamptz,
	revoked_by text,
	revoke_reason text,
	last_used_at timestamptz,
	check ((revoked_at is null) = (revoked_by is null))
);

-- An answer kept for its Idempotency-Key: a retried POST with the same key
-- and the same request gets it again, with another request 422.  Written
-- in the transaction of the change it answers (lib/ops/ops.h, on_commit),
-- so a change is never kept without its answer or the other way round.
-- scope is the credential the key belongs to ("token:ID"): keys of two
-- tokens never meet.
create table admin_idempotency (
	scope text not null check (length(scope) between 1 and 64),
	key text not null check (length(key) between 1 and 255),
	fingerprint bytea not null check (length(fingerprint) = 32),
	status integer not null check (status between 200 and 299),
	content_type text not null,
	location text,
	body text not null,
	created_at timestamptz not null default now(),
	expires_at timestamptz not null,
	primary key (scope, key)
);
create index admin_idempotency_expires on admin_idempotency (expires_at);

-- Every request tally-admin answered, reads included (the access log the
-- image-site guide monitors).  actor is token:NAME or admin:NAME when the
-- request named one (also when it was refused), else NULL.
create table admin_access_log (
	id bigint generated always as identity primary key,
	at timestamptz not null default now(),
	client text not null check (length(client) <= 64),
	method text not null check (length(method) <= 16),
	path text not null check (length(path) <= 2048),
	query text check (length(query) <= 2048),
	actor text check (length(actor) <= 140),
	status integer not null check (status between 0 and 999),
	-- from the request line to the answer queued, in microseconds
	duration_us bigint not null check (duration_us >= 0)
);
create index admin_access_log_at on admin_access_log (at);
create index admin_access_log_actor on admin_access_log (actor, id);

-- Who may do what with them (the default privileges above gave every
-- program role select, insert, update; take back what is not theirs).
revoke all on api_tokens, admin_idempotency, admin_access_log
	from tally_batch, tally_report, tally_admin_api;
revoke all on admin_idempotency from tally_admin;
revoke update, delete, truncate on admin_access_log from tally_admin;
-- tallyctl token create | list | revoke
grant select, insert, update on api_tokens to tally_admin;
-- tally-admin checks a token and stamps its use; nothing else
grant select (id, name, role, key_id, token_hash, expires_at, revoked_at,
	last_used_at) on api_tokens to tally_admin_api;
grant update (last_used_at) on api_tokens to tally_admin_api;
grant select, insert, delete on admin_idempotency to tally_admin_api;
-- append-only for the API; tallyctl audit access and reports read it
grant select, insert on admin_access_log to tally_admin_api;
grant select on admin_access_log to tally_admin, tally_report;
