-- A fact naming a sku that is no product fails its event.
update pg_temp.alloc_facts
   set err = 'unknown sku: ' || sku
 where err is null and sku is not null and product_id is null
