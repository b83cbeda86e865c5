-- Held orders whose reason is gone are released (tally_order_unhold(),
-- sql/041_held_orders.sql): the sku names a product now, the product is
-- active again, its price or currency was changed so that the payment
-- passes.  Back to their paid status and into the queue, where claim.sql
-- checks them like any other (and holds one again, with its new reason,
-- when another check fails now: tally_order_hold_reason_now(), sql/043).
-- Once per run, before the fulfilment batches.  SKIP LOCKED: an admin
-- acting on one right now keeps it.  Returns how many.
select count(tally_order_unhold(o.id, null))
  from (select o.id
          from orders o
         where o.status = 'HELD'
           and tally_order_hold_reason_now(o.id) is distinct from o.hold_reason
         order by o.id
           for no key update skip locked) o
