-- The orders the upsert locked without writing (nothing to fill in).
insert into pg_temp.alloc_touched (order_id)
select distinct order_id
  from pg_temp.alloc_facts
 where err is null and order_id is not null
    on conflict do nothing
