-- 071_admin_users.sql - the browser panel's admin users and their
-- sessions (lib/ops/admin_user.c), and tally-admin's right to run every
-- function tallyctl may.
--
-- Who may do what, as for api_tokens (070): tallyctl (tally_admin) adds,
-- changes and removes admin users; tally-admin (tally_admin_api), which
-- faces the network, reads only the columns a login checks, stamps
-- last_login_at, and keeps the sessions.  It can never make an admin user
-- or change a password or a role.  It makes sessions, so a flaw that
-- reached its SQL could make one for any user; that gives it no right its
-- role lacks (tally_admin_api may run every admin operation already), only
-- another actor's name, and of a session it may change only the idle
-- stamp and the one-time notice, never whose it is or when it began.

-- A name is never reused, not even after a removal: the audit log's actor
-- admin:NAME must stay unambiguous.  password_hash is crypt(3) yescrypt
-- ("$y$..."), made and checked by lib/ops/admin_user.c.
create table admin_users (
	id bigint generated always as identity primary key,
	name text not null unique
		check (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
	role text not null check (role in ('read', 'write', 'admin')),
	password_hash text not null check (password_hash like '$y$%'),
	disabled boolean not null default false,
	created_at timestamptz not null default now(),
	created_by text not null,
	password_changed_at timestamptz not null default now(),
	last_login_at timestamptz,
	removed_at timestamptz
);

-- A session: the cookie holds 32 random bytes (hex); only their SHA-256
-- is kept, so the table's contents cannot be used to log in.  The CSRF
-- token is derived from the cookie's secret (HMAC-SHA256), so it needs
-- no column.  notice: the one-time message the next page shows (after a
-- change answered with 303).
create table admin_sessions (
	id_hash bytea primary key check (length(id_hash) = 32),
	user_id bigint not null references admin_users (id) on delete cascade,
	created_at timestamptz not null default now(),
	last_seen_at timestamptz not null default now(),
	client text check (length(client) <= 64),
	notice text check (length(notice) <= 500)
);
create index admin_sessions_user on admin_sessions (user_id);
create index admin_sessions_seen on admin_sessions (last_seen_at);

-- the default privileges of 002 and 070 gave every program role select,
-- insert, update on both: take it back, then give each what it needs
revoke all on admin_users, admin_sessions
	from tally_batch, tally_report, tally_admin, tally_admin_api;
-- tallyctl admin-user add | list | passwd | disable | enable | remove;
-- it ends a user's sessions when it disables, removes or changes them
grant select, insert, update on admin_users to tally_admin;
grant select, delete on admin_sessions to tally_admin;
-- tally-admin checks a login and stamps it; nothing else of the users
grant select (id, name, role, password_hash, disabled, removed_at,
	last_login_at) on admin_users to tally_admin_api;
grant update (last_login_at) on admin_users to tally_admin_api;
grant select, insert, delete on admin_sessions to tally_admin_api;
grant update (last_seen_at, notice) on admin_sessions to tally_admin_api;

-- Functions.  070 granted tally_admin_api execute on the functions that
-- existed then; one made later and closed to public (081's
-- tally_replicas(), which `GET /api/admin/status` calls) was granted to
-- tally_admin only, so the API answered 500 "permission denied for
-- function".  What exists is granted as tally_admin has it, and every
-- function a later migration makes is executable by tally_admin_api (one
-- closed to public is meant for tallyctl or the programs, whose rights
-- the API copies).  (On a database that has 081 already,
-- the loop below covers it; on a new one, 081 runs after this and the
-- default privileges cover it.)
do $$
declare
	g record;
begin
	for g in
		select p.oid::regprocedure as f
		  from pg_proc p
		  join pg_namespace n on n.oid = p.pronamespace
		 where n.nspname = 'public'
		   and has_function_privilege('tally_admin', p.oid, 'execute')
	loop
		execute format('grant execute on function %s to tally_admin_api',
		    g.f);
	end loop;
end $$;
alter default privileges in schema public
	grant execute on functions to tally_admin_api;
