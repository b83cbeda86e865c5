-- Orders whose refunds or disputes changed: the reversal step looks only
-- at these (usually none).
insert into pg_temp.alloc_reversal (order_id)
select distinct order_id
  from pg_temp.alloc_facts
 where err is null and order_id is not null and fact in ('REFUND', 'DISPUTE')
    on conflict do nothing
