-- The product, sku and customer may come from different events (a Stripe
-- payment intent carries no sku when the Checkout Session has it).  A
-- stored value wins over a new one; among new ones, the oldest event.
update pg_temp.alloc_facts f
   set order_id = g.order_id, m_product_id = g.product_id, m_sku = g.sku,
       m_customer_id = g.customer_id, m_email = g.email
  from (select b.source, b.order_ref, o.id as order_id,
               coalesce(o.product_id, (array_agg(b.product_id order by b.raw_id)
                   filter (where b.product_id is not null))[1]) as product_id,
               coalesce(o.sku, (array_agg(b.sku order by b.raw_id)
                   filter (where b.sku is not null))[1]) as sku,
               o.customer_id,
               (array_agg(b.email order by b.raw_id)
                   filter (where b.email is not null))[1] as email
          from pg_temp.alloc_facts b
          left join lateral (select o.id, o.product_id, o.sku, o.customer_id
                               from orders o
                              where o.source = b.source
                                and o.provider_ref = b.order_ref
                              limit 1) o on true
         where b.err is null and b.fact <> 'IGNORE'
         group by b.source, b.order_ref, o.id, o.product_id, o.sku,
                  o.customer_id) g
 where f.source = g.source and f.order_ref = g.order_ref
   and f.err is null and f.fact <> 'IGNORE'
