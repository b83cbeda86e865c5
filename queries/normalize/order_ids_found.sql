-- ... then the ones it only locked (stored before, nothing to fill in),
-- which merge_orders.sql found unless another allocator created them
-- meanwhile.
update pg_temp.alloc_facts f
   set order_id = (select o.id from orders o
                    where o.source = f.source and o.provider_ref = f.order_ref)
 where f.err is null and f.fact <> 'IGNORE' and f.order_id is null
