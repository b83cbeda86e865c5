-- The grant is the credit order's fulfilment (fulfilments.order_id is
-- unique: one per order, whatever runs concurrently).
with f as (
	insert into fulfilments (order_id, kind, ledger_id)
	select w.order_id, 'CREDITS', l.id
	  from pg_temp.alloc_work w
	 cross join lateral (select l.id from credit_ledger l
	                      where l.kind = 'PURCHASE'
	                        and l.ref = 'order:' || w.order_id limit 1) l
	 where w.kind = 'CREDITS' and w.problem is null
	returning order_id
)
update pg_temp.alloc_work w
   set done = true
  from f
 where w.order_id = f.order_id
