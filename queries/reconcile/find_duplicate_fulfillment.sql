-- An order that got more than one seat (assignments not revoked: a
-- revoked extra seat is the fix) or credit grant, or both kinds.
SELECT 'DUPLICATE_FULFILLMENT', jsonb_build_object('order_id', o.id),
       NULL, greatest(a.last_at, g.last_at), o.currency, o.amount_minor,
       jsonb_build_object('source', o.source, 'provider_ref', o.provider_ref,
         'customer_email', c.email, 'seats', a.n,
         'assignment_ids', a.ids, 'credit_grants', g.n,
         'credits_granted', g.credits, 'ledger_ids', g.ids)
  FROM (SELECT u.order_id
          FROM (SELECT x.order_id FROM assignments x, rc_params p
                 WHERE x.order_id IS NOT NULL AND x.status <> 'REVOKED'
                   AND x.created_at <= p.as_of
                UNION ALL
                SELECT l.order_id FROM credit_ledger l, rc_params p
                 WHERE l.order_id IS NOT NULL AND l.kind = 'PURCHASE'
                   AND l.created_at <= p.as_of) u
         GROUP BY u.order_id HAVING count(*) > 1) k
  JOIN orders o ON o.id = k.order_id
 CROSS JOIN rc_params p
 CROSS JOIN LATERAL (SELECT count(*) AS n, max(x.created_at) AS last_at,
                            jsonb_agg(x.id ORDER BY x.id) AS ids
                       FROM assignments x
                      WHERE x.order_id = o.id AND x.status <> 'REVOKED'
                        AND x.created_at <= p.as_of) a
 CROSS JOIN LATERAL (SELECT count(*) AS n, max(l.created_at) AS last_at,
                            sum(l.delta) AS credits,
                            jsonb_agg(l.id ORDER BY l.id) AS ids
                       FROM credit_ledger l
                      WHERE l.order_id = o.id AND l.kind = 'PURCHASE'
                        AND l.created_at <= p.as_of) g
  LEFT JOIN customers c ON c.id = o.customer_id
 WHERE greatest(a.last_at, g.last_at) >= p.p_from
   AND greatest(a.last_at, g.last_at) < p.p_to
   AND greatest(a.last_at, g.last_at) <= p.as_of
