-- 095_audit_keyed_only.sql - no unkeyed audit rows once the keyed chain began.
--
-- 052's trigger gives a row inserted without a MAC the old unkeyed hash,
-- at any time.  Such a hash is one anyone can compute, so after the first
-- keyed row an unkeyed one is either a writer without the audit key or an
-- attempt to pass off rows nobody signed.  Now a guard refuses it.  Before
-- the first keyed row (a database still on its pre-052 rows, or a test
-- fixture loaded into an empty log) such a row is chained as before.
--
-- This is a guard against mistakes and against roles that are not the
-- owner: the owner can switch the trigger off or clear the flag.  What
-- holds against the owner is `tallyctl audit verify` (lib/pg/audit.c),
-- which accepts unkeyed rows only when the admin vouches for them from
-- outside the database (--legacy-until ID or --anchor ID:HEX).

-- Whether a row with a MAC was written: at migration time, a row whose
-- hash is not its unkeyed hash; from then on, set by the guard.
alter table audit_head add column keyed boolean not null default false;
update audit_head set keyed = exists (
	select 1 from audit_log a
	 where a.hash <> sha256(a.prev_hash || tally_audit_content(a)));

-- A row comes with a MAC (hash set: audit_record()) or without one.  The
-- head's lock is taken here already, so a writer without a MAC waits for
-- a concurrent first keyed row and then sees its flag.  A MAC of the wrong
-- length is tally_audit_chain()'s to refuse, which undoes the flag too.
create function tally_audit_keyed_only() returns trigger
language plpgsql as $$
declare
	was_keyed boolean;
begin
	select keyed into was_keyed from audit_head for update;
	if new.hash is null or length(new.hash) = 0 then
		if was_keyed then
			raise exception 'audit_log: a row without a MAC after the '
			    'keyed chain began (audit rows are written by '
			    'audit_record(), with the audit key)'
				using errcode = 'check_violation';
		end if;
	elsif was_keyed is false then
		update audit_head set keyed = true;
	end if;
	return new;
end $$;

-- Triggers for one event fire in the order of their names: this one
-- before audit_log_chain, which fills in the unkeyed hash.
create trigger audit_log_0_keyed_only
	before insert on audit_log
	for each row execute function tally_audit_keyed_only();
