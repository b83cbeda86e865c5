-- What the batch knows about each order, merged with the order as stored
-- (merge_*.sql, in this order).  First: the product each fact names.
update pg_temp.alloc_facts f
   set product_id = p.id
  from products p
 where p.sku = f.sku and f.err is null
