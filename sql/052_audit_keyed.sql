-- 052_audit_keyed.sql - the audit chain keyed with a secret, and anchors.
--
-- Each row's hash was sha256(prev_hash || content): anyone who could write
-- the table (a superuser with the triggers off) could edit a row and
-- recompute every hash after it, or delete the newest rows, and
-- `tallyctl audit verify` said "intact".  Now audit_record() (lib/pg/
-- audit.c) writes HMAC-SHA256(key, prev_hash || content) with a key that
-- is never in the database, and the chain head is copied outside
-- audit_log (job_runs rows, log lines, backup manifests, what `tallyctl
-- audit anchor` prints) so that removing the newest rows is found too.
--
-- Rows written before this migration keep their unkeyed sha256 hashes:
-- verify checks them as such, and the first keyed row's MAC covers the
-- last of them (its prev_hash), which seals them.

-- The head of the chain, one row.  Writers lock it (SELECT ... FOR UPDATE)
-- before they read it, which serialises them until commit, and in a
-- REPEATABLE READ transaction a head that moved since the snapshot is a
-- serialization failure that the caller retries, never a fork.
create table audit_head (
	one boolean primary key default true check (one),
	id bigint not null,
	hash bytea not null
);
insert into audit_head (id, hash)
	select coalesce((select max(id) from audit_log), 0),
	       coalesce((select hash from audit_log order by id desc limit 1),
	                '\x'::bytea);
revoke all on audit_head from tally_receiver, tally_batch, tally_admin,
	tally_report;
grant select, update on audit_head to tally_batch, tally_admin;

-- Ids are dense (head + 1, drawn under the head's lock and given back on
-- rollback) and a row with a MAC must name the head as its previous hash.
-- A row that comes without a MAC (hash NULL or empty: a writer without the
-- key, such as the tests' report fixtures, or one written for the old
-- trigger) is chained here with the old unkeyed hash; verify reports such
-- a row after a keyed one as written without the key.
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
	update audit_head set id = new.id, hash = new.hash;
	return new;
end $$;

-- Verification needs the key: it is in C now (audit_verify()).  Ids come
-- from the head now; audit_log_id_seq draws none any more (it stays: the
-- report engine's tests use it as a thing a read-only run may not change).
drop function tally_audit_verify();

-- Anchors: the chain head when a run finished (lib/pg/jobrun.c).
alter table job_runs add column audit_anchor_id bigint,
	add column audit_anchor_mac bytea;
grant update (audit_anchor_id, audit_anchor_mac) on job_runs to tally_report;
