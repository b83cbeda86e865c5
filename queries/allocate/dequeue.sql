-- Fulfilled orders, orders that need nothing more, and held orders (they
-- wait for a product or an admin, not for an allocator) leave the queue.
delete from fulfil_queue
 where order_id = any (array(select order_id from pg_temp.alloc_work
                              where done or problem in ('fulfilled', 'stale',
                                                        'held')))
