-- Not found, and this run looked where it was: closed.  A held order's
-- case (tally_held_cases in sql/041: keyed by the order alone) is state,
-- found while the order is held whatever the period, so it is looked for
-- everywhere even when its category is also a period-scoped one
-- (CURRENCY_MISMATCH of a settlement row): an order paid before the
-- window and approved since has its case closed.
UPDATE reconcile_cases c
   SET status = 'CLOSED',
       closed_at = greatest(p.as_of, c.last_seen), closed_run_id = p.run_id
  FROM rc_params p, reconcile_categories k
 WHERE k.category = c.category AND c.status <> 'CLOSED'
   AND c.last_run_id IS DISTINCT FROM p.run_id
   AND c.first_seen <= p.as_of
   AND (NOT k.scoped
        OR (c.category IN ('UNKNOWN_PRODUCT', 'PRODUCT_INACTIVE',
                           'CURRENCY_MISMATCH', 'UNDERPAID')
            AND c.keys = jsonb_build_object('order_id', c.keys->'order_id'))
        OR (c.occurred_at >= p.p_from
            AND c.occurred_at < p.p_to))
