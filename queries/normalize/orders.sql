-- One row per order, sorted (lock order: ON CONFLICT DO UPDATE locks the
-- row even when its WHERE skips the update, so two batches touching the
-- same orders queue instead of deadlocking).  A new order takes its amount
-- from the batch's best fact (a paid one first); recompute.sql sets
-- status, amount and paid_at from everything stored.
--
-- A new order known from a single payment event (the common case) is
-- "settled": inserted with exactly the status and paid_at the recompute
-- would give it (payments.paid_at is the same coalesce(event_at, now()),
-- now() being the transaction's; no refund or dispute can exist for an
-- order that did not exist), so the recompute skips it and only queues it
-- when it is PAID.  Anything else starts PENDING and the recompute decides.
-- The orders the upsert wrote are listed in alloc_touched.
with up as (
	insert into orders (source, provider_ref, customer_id, product_id, sku,
	                    amount_minor, currency, status, paid_at)
	select distinct on (f.source, f.order_ref)
	       f.source, f.order_ref, f.m_customer_id, f.m_product_id, f.m_sku,
	       f.amount_minor, f.currency,
	       case when f.n = 1 and f.fact = 'PAYMENT' then f.obs_status
	            else 'PENDING' end,
	       case when f.n = 1 and f.fact = 'PAYMENT' and f.obs_status = 'PAID'
	            then coalesce(f.event_at, now()) end
	  from (select *, count(*) over (partition by source, order_ref) as n
	          from pg_temp.alloc_facts
	         where err is null and fact <> 'IGNORE') f
	 order by f.source, f.order_ref,
	          (f.fact = 'PAYMENT' and f.obs_status = 'PAID') desc,
	          (f.fact = 'PAYMENT') desc, f.raw_id
	    on conflict (source, provider_ref) do update
	   set customer_id = coalesce(orders.customer_id, excluded.customer_id),
	       product_id = coalesce(orders.product_id, excluded.product_id),
	       sku = coalesce(orders.sku, excluded.sku),
	       updated_at = now()
	 where (orders.customer_id is null and excluded.customer_id is not null)
	    or (orders.product_id is null and excluded.product_id is not null)
	    or (orders.sku is null and excluded.sku is not null)
	returning id, source, provider_ref, status, xmax = 0 as inserted
)
insert into pg_temp.alloc_touched (order_id, source, provider_ref, settled,
                                   status)
select up.id, up.source, up.provider_ref, up.inserted and c.n = 1, up.status
  from up
  join (select source, order_ref, count(*) as n
          from pg_temp.alloc_facts
         where err is null and fact <> 'IGNORE'
         group by 1, 2) c
    on c.source = up.source and c.order_ref = up.provider_ref
