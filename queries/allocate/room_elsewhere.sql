-- Every picked account is full now; an AVAILABLE account outside them was
-- skipped because another transaction holds it (an allocator, an admin).
-- Read without locking: a hint whether to wait or to give up for now.
select count(*)
  from pool_accounts a
 where a.status = 'AVAILABLE'
   and not exists (select 1 from pg_temp.alloc_pick p where p.account_id = a.id)
