-- 095_audit_keyed_only.sql - no unkeyed audit rows once the keyed chain began.
--
-- 052 gave a row inserted without a MAC the old unkeyed hash, at any time.
-- Such a hash is one anyone can compute, so after the first keyed row an
-- unkeyed one is either a writer without the audit key or an attempt to
-- pass off rows nobody signed.  Now the trigger refuses it.  Before the
-- first keyed row (a database still on its pre-052 rows, or a test
-- fixture loaded into an empty log) it is chained as before.
--
-- This is a guard against mistakes and against roles that are not the
-- owner: the owner can switch the trigger off or clear the flag.  What
-- holds against the owner is `tallyctl audit verify` (lib/pg/audit.c),
-- which accepts unkeyed rows only when the admin vouches for them from
-- outside the database (--legacy-until ID or --anchor ID:HEX).

-- Whether a keyed row was written: the first row whose hash is not its
-- unkeyed hash, at migration time; from then on set by the trigger.
alter table audit_head add column keyed boolean not null default false;
update audit_head set keyed = exists (
	select 1 from audit_log a
	 where a.hash <> sha256(a.prev_hash || tally_audit_content(a)));

create or replace function tally_audit_chain() returns trigger
language plpgsql as $$
declare
	h audit_head%rowtype;
begin
	select * into h from audit_head for update;
	if not found then
		raise exception 'audit_head is empty: the chain has no head'
			using errcode = 'check_violation';
	end if;
	if new.hash is null or length(new.hash) = 0 then
		if h.keyed then
			raise exception 'audit_log: a row without a MAC after the '
			    'keyed chain began (audit rows are written by '
			    'audit_record(), with the audit key)'
				using errcode = 'check_violation';
		end if;
		new.id := h.id + 1;
		new.prev_hash := h.hash;
		new.hash := null;
	end if;
	new.id := coalesce(new.id, h.id + 1);
	new.prev_hash := coalesce(new.prev_hash, h.hash);
	if new.id <> h.id + 1 or new.prev_hash <> h.hash then
		raise exception 'audit_log row % does not follow the chain head % '
		    '(audit rows are written by audit_record())', new.id, h.id
			using errcode = 'check_violation';
	end if;
	if new.hash is null then
		new.hash := sha256(new.prev_hash || tally_audit_content(new));
	elsif length(new.hash) <> 32 then
		raise exception 'audit_log row %: a MAC is 32 bytes', new.id
			using errcode = 'check_violation';
	end if;
	update audit_head set id = new.id, hash = new.hash,
		keyed = h.keyed or new.hash <> sha256(new.prev_hash ||
		    tally_audit_content(new));
	return new;
end $$;
