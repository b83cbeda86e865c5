-- Orders that cannot be fulfilled as they are (no product, no customer)
-- stay queued, with why and when an allocator tried.  (Held ones leave
-- the queue: dequeue.sql.)
update fulfil_queue q
   set tried_at = now(), attempts = q.attempts + 1, last_error = w.problem
  from pg_temp.alloc_work w
 where q.order_id = w.order_id
   and w.problem not in ('fulfilled', 'stale', 'held')
