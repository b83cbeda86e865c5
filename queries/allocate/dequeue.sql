-- Fulfilled orders, and orders that need nothing more, leave the queue.
delete from fulfil_queue
 where order_id = any (array(select order_id from pg_temp.alloc_work
                              where done or problem in ('fulfilled', 'stale')))
