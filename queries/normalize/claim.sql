-- Claim up to $1 NEW events, oldest id first.  SKIP LOCKED: concurrent
-- allocators take different events; the lock is held to commit.
insert into pg_temp.alloc_claim (raw_id, scheme)
select id, scheme
  from raw_events
 where status = 'NEW'
 order by id
 limit $1::integer
   for update skip locked
