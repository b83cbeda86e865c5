-- Held orders whose sku names a product now are released
-- (tally_order_unhold(), sql/041_held_orders.sql): back to their paid
-- status and into the queue, where claim.sql checks their price like any
-- other.  Once per run, before the fulfilment batches.  SKIP LOCKED: an
-- admin acting on one right now keeps it.  Returns how many.
select count(tally_order_unhold(o.id, null))
  from (select o.id
          from orders o
         where o.status = 'HELD' and o.hold_reason = 'UNKNOWN_PRODUCT'
           and exists (select 1 from products p where p.sku = o.sku)
         order by o.id
           for no key update skip locked) o
