-- 012_seat_trigger_per_statement.sql - the seat accounting of 001 once per
-- statement instead of once per row.
--
-- Why: tally-allocate inserts a batch of assignments in one statement.  The
-- row-level trigger of 001 locked and updated the account once per
-- assignment: 55 updates of one pool_accounts row per batch, each a new row
-- version (and, once the page is full, new index entries), plus two PL/pgSQL
-- calls per assignment (this trigger and the pool_accounts guard).  That was
-- ~80% of the cost of allocating a seat (measured: 100,000 assignments in
-- one INSERT took 11.2 s with the row trigger, 2.9 s with none).  Per
-- statement, each account touched is locked and updated once, with the
-- number of seats the statement added or released.
--
-- What stays the same (001's contract, and tests/test_schema.c checks it):
--   - current_seats_used always equals the number of ACTIVE assignments of
--     the account, and the account's status follows its fill level unless
--     it is SUSPENDED;
--   - the account row lock serialises concurrent allocations: the
--     statement locks every account it adds seats to (in id order, so two
--     statements cannot deadlock on each other), then updates the count,
--     and the seats_not_oversubscribed check refuses the second of two
--     transactions racing for the last seat.  (The lock is FOR NO KEY
--     UPDATE, not 001's FOR UPDATE, which deadlocks racers against their
--     own foreign-key KEY SHARE locks - see below);
--   - an ACTIVE assignment cannot be added to a SUSPENDED account, cannot
--     move to another account, a non-ACTIVE one cannot change status, and
--     assignments are never deleted - with the same SQLSTATEs.
-- The checks run when the statement ends, as the AFTER ROW trigger's did.

drop trigger assignments_seats on assignments;

create function tally_assignment_seats_insert() returns trigger
language plpgsql as $$
declare
	bad text;
begin
	-- Lock first (id order), then look: the status read is the current one.
	-- FOR NO KEY UPDATE, the lock the UPDATE below takes anyway: FOR UPDATE
	-- would also conflict with the FOR KEY SHARE lock that every inserting
	-- transaction's foreign key check already holds on the account, and
	-- two racers each holding one and wanting the other would deadlock.
	perform 1 from pool_accounts
	 where id in (select account_id from new_rows where status = 'ACTIVE')
	 order by id for no key update;
	select a.email into bad from pool_accounts a
	 where a.status = 'SUSPENDED'
	   and a.id in (select account_id from new_rows where status = 'ACTIVE')
	 order by a.id limit 1;
	if found then
		raise exception 'account % is suspended', bad
			using errcode = 'check_violation';
	end if;
	update pool_accounts a
	   set current_seats_used = a.current_seats_used + n.added,
	       status = case when a.current_seats_used + n.added = coalesce(a.max_seats, 1)
	                     then 'ASSIGNED' else 'AVAILABLE' end,
	       updated_at = now()
	  from (select account_id, count(*)::integer as added from new_rows
	         where status = 'ACTIVE' group by account_id) n
	 where a.id = n.account_id;
	return null;
end $$;

create function tally_assignment_seats_update() returns trigger
language plpgsql as $$
declare
	r record;
begin
	select o.id, o.status as old_status, n.status as new_status,
	       o.account_id <> n.account_id as moved
	  into r
	  from old_rows o join new_rows n on n.id = o.id
	 where o.account_id <> n.account_id
	    or (o.status <> 'ACTIVE' and n.status <> o.status)
	 order by o.id limit 1;
	if found then
		if r.moved then
			raise exception 'an assignment cannot move to another account'
				using errcode = 'check_violation';
		end if;
		raise exception 'assignment % is % and cannot become %',
			r.id, r.old_status, r.new_status
			using errcode = 'check_violation';
	end if;
	-- seats released: ACTIVE -> EXPIRED / REVOKED
	perform 1 from pool_accounts
	 where id in (select o.account_id from old_rows o join new_rows n on n.id = o.id
	               where o.status = 'ACTIVE' and n.status <> 'ACTIVE')
	 order by id for no key update;
	update pool_accounts a
	   set current_seats_used = a.current_seats_used - x.released,
	       status = case when a.status = 'SUSPENDED' then a.status
	                     else 'AVAILABLE' end,
	       updated_at = now()
	  from (select o.account_id, count(*)::integer as released
	          from old_rows o join new_rows n on n.id = o.id
	         where o.status = 'ACTIVE' and n.status <> 'ACTIVE'
	         group by o.account_id) x
	 where a.id = x.account_id;
	return null;
end $$;

create function tally_assignment_no_delete() returns trigger
language plpgsql as $$
declare
	victim bigint;
begin
	select id into victim from old_rows order by id limit 1;
	if found then
		raise exception 'assignments are never deleted (assignment %)', victim
			using errcode = 'raise_exception';
	end if;
	return null;
end $$;

create trigger assignments_seats_insert
	after insert on assignments
	referencing new table as new_rows
	for each statement execute function tally_assignment_seats_insert();
create trigger assignments_seats_update
	after update on assignments
	referencing old table as old_rows new table as new_rows
	for each statement execute function tally_assignment_seats_update();
create trigger assignments_seats_delete
	after delete on assignments
	referencing old table as old_rows
	for each statement execute function tally_assignment_no_delete();
