-- Accounts with $1 free seats between them, locked, in the seat policy's
-- order (tally_pick_seats() in sql/010_allocate.sql).
insert into pg_temp.alloc_pick (account_id, seats, rank)
select account_id, seats, rank
  from tally_pick_seats($1::integer)
