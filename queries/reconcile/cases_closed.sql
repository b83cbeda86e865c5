-- Not found, and this run looked where it was: closed.
UPDATE reconcile_cases c
   SET status = 'CLOSED',
       closed_at = greatest(p.as_of, c.last_seen), closed_run_id = p.run_id
  FROM rc_params p, reconcile_categories k
 WHERE k.category = c.category AND c.status <> 'CLOSED'
   AND c.last_run_id IS DISTINCT FROM p.run_id
   AND c.first_seen <= p.as_of
   AND (NOT k.scoped OR (c.occurred_at >= p.p_from
                         AND c.occurred_at < p.p_to))
