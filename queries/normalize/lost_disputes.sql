-- A lost dispute is a chargeback: stored as one, it takes the same
-- reversal path as a refund.
insert into refunds (order_id, source, provider_refund_id, amount_minor,
                     currency, kind, refunded_at)
select d.order_id, d.source, 'dispute:' || d.provider_dispute_id,
       d.amount_minor, d.currency, 'CHARGEBACK', d.updated_at
  from (select distinct source, dispute_ref
          from pg_temp.alloc_facts
         where err is null and fact = 'DISPUTE') f
 cross join lateral (select * from disputes d
                      where d.source = f.source
                        and d.provider_dispute_id = f.dispute_ref
                      limit 1) d
 where d.status = 'LOST' and d.order_id is not null
 order by 1, 3
    on conflict (source, provider_refund_id) do nothing
