-- Claim queued orders not tried yet in this run ($1: when the run began,
-- by the database's clock; $2: at most this many).  First the queue
-- entries (SKIP LOCKED: another allocator has them), then their orders
-- (SKIP LOCKED: a normaliser is changing one right now; its queue entry
-- stays locked by us until commit and is claimed again by a later batch).
-- The order lock serialises fulfilment with the normaliser's refunds (see
-- lib/books/normalize.c).
--
-- Each order's product is the one it names, or, for an order whose sku
-- named no product when it was paid, the product that sku names now.  The
-- payment is checked against the product before anything is given
-- (tally_hold_reason() in sql/043_product_inactive.sql): a product
-- deactivated before the payment, another currency, or less than the
-- lowest accepted price, holds the order (hold.sql); more
-- than the price is fulfilled, and a case (overpaid.sql).  An approved
-- order is not checked.  Orders that need no work or cannot be fulfilled
-- get a problem.  Returns how many queue entries and orders were claimed.
with q as materialized (
	select order_id
	  from fulfil_queue
	 where tried_at is null or tried_at < $1::timestamptz
	 order by order_id
	 limit $2::integer
	   for update skip locked
),
o as materialized (
	select o.id, o.status, o.product_id, o.sku, o.customer_id, o.paid_at,
	       o.amount_minor, o.currency, o.approved_at
	  from orders o
	 where o.id = any (array(select order_id from q))
	   for no key update skip locked
),
ins as (
	insert into pg_temp.alloc_work (order_id, kind, days, credits,
	                                customer_id, email, paid_at, product_id,
	                                price_minor, hold, overpaid, problem)
	select o.id, p.kind, p.duration_days, p.credits, o.customer_id, c.email,
	       o.paid_at, p.id, p.price_minor, chk.hold,
	       coalesce(chk.hold is null and o.currency = p.currency
	                and o.amount_minor > p.price_minor
	                and o.approved_at is null, false),
	       case when f.x is not null then 'fulfilled'
	            when o.status not in ('PAID', 'PARTIALLY_REFUNDED', 'DISPUTED')
	                 then 'stale'
	            when chk.hold is not null then 'held'
	            when p.id is null then 'order has no product'
	            when o.customer_id is null then 'order has no customer e-mail'
	       end
	  from o
	  left join lateral (select p.* from products p
	                      where p.id = coalesce(o.product_id,
	                                (select x.id from products x
	                                  where x.sku = o.sku))
	                      limit 1) p on true
	  left join lateral (select c.email from customers c
	                      where c.id = o.customer_id limit 1) c on true
	  left join lateral (select 1 as x from fulfilments f
	                      where f.order_id = o.id limit 1) f on true
	 cross join lateral (select tally_hold_reason(p.id is not null, o.sku,
	                                o.amount_minor, o.currency, p.price_minor,
	                                p.min_price_minor, p.currency,
	                                o.approved_at is not null, p.active,
	                                p.deactivated_at, o.paid_at) as hold) chk
	returning 1
)
select (select count(*) from q), (select count(*) from ins)
