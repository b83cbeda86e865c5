-- 050_login_roles.sql - each program logs in as its own role.
--
-- Before, programs logged in as one login (in the embedded cluster: the
-- superuser) and SET ROLE to theirs, so RESET ROLE in a program's session
-- gave back everything the login could do.  Now tally_receiver,
-- tally_batch, tally_admin and tally_report are LOGIN roles and a program
-- connects as its own (lib/pg/db.c): no role is a member of another, so
-- there is nothing to SET ROLE to.  Only the schema owner (tallyctl db,
-- tallyctl migrate, backups) logs in as itself.
--
-- Making a role LOGIN needs CREATEROLE (or a superuser).  An owner without
-- it gets a warning and the DBA runs the ALTER ROLE (docs/DEPLOY.md).
do $$
declare
	r text;
	may boolean;
begin
	select rolsuper or rolcreaterole into may
	  from pg_roles where rolname = current_user;
	foreach r in array array['tally_receiver', 'tally_batch', 'tally_admin',
	                         'tally_report'] loop
		if exists (select 1 from pg_roles where rolname = r and rolcanlogin) then
			continue;
		end if;
		if may then
			execute format('alter role %I login', r);
		else
			raise warning 'role % cannot log in and % may not change that: '
			    'run ALTER ROLE % LOGIN as a superuser (docs/DEPLOY.md)',
			    r, current_user, r;
		end if;
	end loop;
end $$;

-- A report program may record its own run (the reports can run as
-- tally_report, which reads and writes nothing else).  jobrun_reap()
-- closes abandoned rows of its program, hence UPDATE.
grant insert (program, as_of, host, pid) on job_runs to tally_report;
grant update (finished_at, status, counts, outputs, message) on job_runs
	to tally_report;
