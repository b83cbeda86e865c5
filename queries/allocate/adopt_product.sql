-- An order whose sku named no product when it was paid takes the product
-- that sku names now (claim.sql found it).
update orders o
   set product_id = w.product_id, updated_at = now()
  from pg_temp.alloc_work w
 where o.id = w.order_id and o.product_id is null and w.product_id is not null
