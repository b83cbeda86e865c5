-- Seat orders left without a seat stay queued, marked as tried.
update fulfil_queue q
   set tried_at = now(), attempts = q.attempts + 1,
       last_error = 'no account with a free seat'
 where q.order_id = any (array(select order_id from pg_temp.alloc_work
                                where kind = 'SEAT' and problem is null
                                  and not done))
