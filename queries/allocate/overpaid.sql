-- An order that paid more than its product's price keeps the price it was
-- compared with (the first time it is claimed), so overpaid_cases.sql and
-- reconcile can tell the excess.
update orders o
   set price_minor = w.price_minor, updated_at = now()
  from pg_temp.alloc_work w
 where o.id = w.order_id and w.overpaid and w.problem is null
   and o.price_minor is distinct from w.price_minor
