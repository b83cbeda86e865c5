-- Orders fulfilled now whose refund arrived first (a partial one: a full
-- refund would have kept them out of the queue); the reversal step
-- (queries/normalize/revoke.sql, debit.sql) applies it.
insert into pg_temp.alloc_reversal (order_id)
select distinct r.order_id
  from refunds r
 where r.order_id = any (array(select order_id from pg_temp.alloc_work
                                where done))
    on conflict do nothing
