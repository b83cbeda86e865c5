-- Orders whose payment is wrong for their product are HELD: nothing is
-- given, they leave the queue (dequeue.sql) and wait for the product or an
-- admin.  The price they were compared with is kept.  Returns each order
-- held and why.
update orders o
   set status = 'HELD', hold_reason = w.hold, held_at = now(),
       price_minor = w.price_minor, updated_at = now()
  from pg_temp.alloc_work w
 where o.id = w.order_id and w.problem = 'held'
returning o.id, o.hold_reason
