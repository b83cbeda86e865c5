-- Each fact's order: first the ones the upsert returned ...
update pg_temp.alloc_facts f
   set order_id = t.order_id
  from pg_temp.alloc_touched t
 where t.source = f.source and t.provider_ref = f.order_ref
   and f.err is null and f.fact <> 'IGNORE'
