-- What the batch knows about each order, merged with the order as stored
-- (merge_*.sql, in this order).  First: the product each fact's sku names.
-- A sku that names no product is kept (merge_orders.sql): its paid order
-- is stored all the same, and held (UNKNOWN_PRODUCT) until the product
-- exists (queries/allocate/claim.sql, release.sql).
update pg_temp.alloc_facts f
   set product_id = p.id
  from products p
 where p.sku = f.sku and f.err is null
