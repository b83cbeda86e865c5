-- Money went back in full (refunds reaching what was paid: the order's
-- amount, or more when it was paid twice and one payment was refunded,
-- which is not a full refund), by a chargeback, or by a lost dispute, but
-- the seat is still ACTIVE or the
-- credits granted were not taken back (debits of the order: REFUND,
-- CHARGEBACK or an admin's ADJUSTMENT).  A partial refund keeps the seat
-- (allocate's rule, sql/010), so it is not a case here.
SELECT 'REFUND_NOT_REFLECTED', jsonb_build_object('order_id', t.id),
       NULL, t.at, t.currency, t.refunded,
       jsonb_build_object('source', t.source, 'provider_ref', t.provider_ref,
         'customer_email', c.email,
         'order_amount', tally_major(t.amount_minor, t.currency),
         'chargeback', t.chargeback, 'refunded_at', t.at,
         'active_assignment_ids', sa.ids,
         'credits_granted', cg.granted, 'credits_taken_back', cg.taken)
  FROM (SELECT o.id, o.source, o.provider_ref, o.currency, o.amount_minor,
               o.customer_id,
               coalesce(r.refunded, 0) AS refunded,
               coalesce(r.chargeback, false) OR d.order_id IS NOT NULL
                 AS chargeback,
               greatest(r.at, d.at) AS at
          FROM (SELECT x.order_id FROM refunds x
                UNION
                SELECT z.order_id FROM disputes z
                 WHERE z.status = 'LOST' AND z.order_id IS NOT NULL) k
          JOIN orders o ON o.id = k.order_id
          LEFT JOIN (SELECT x.order_id, sum(x.amount_minor) AS refunded,
                            bool_or(x.kind = 'CHARGEBACK') AS chargeback,
                            max(coalesce(x.refunded_at, x.created_at)) AS at
                       FROM refunds x, rc_params p
                      WHERE coalesce(x.refunded_at, x.created_at) <= p.as_of
                      GROUP BY x.order_id) r ON r.order_id = o.id
          LEFT JOIN (SELECT z.order_id, max(z.updated_at) AS at
                       FROM disputes z, rc_params p
                      WHERE z.status = 'LOST' AND z.order_id IS NOT NULL
                        AND z.updated_at <= p.as_of
                      GROUP BY z.order_id) d ON d.order_id = o.id
         WHERE (r.order_id IS NOT NULL
                AND (r.chargeback
                     OR r.refunded >= greatest(o.amount_minor,
                          (SELECT coalesce(sum(y.amount_minor), 0)
                             FROM payments y WHERE y.order_id = o.id
                              AND y.status = 'SUCCEEDED'))))
            OR d.order_id IS NOT NULL) t
 CROSS JOIN rc_params p
  LEFT JOIN customers c ON c.id = t.customer_id
 CROSS JOIN LATERAL (SELECT count(*) AS n, jsonb_agg(a.id ORDER BY a.id) AS ids
                       FROM assignments a
                      WHERE a.order_id = t.id AND a.status = 'ACTIVE') sa
 CROSS JOIN LATERAL (SELECT coalesce(sum(l.delta)
                              FILTER (WHERE l.kind = 'PURCHASE'), 0) AS granted,
                            coalesce(-sum(l.delta) FILTER (WHERE l.kind IN
                              ('REFUND', 'CHARGEBACK', 'ADJUSTMENT')), 0) AS taken
                       FROM credit_ledger l WHERE l.order_id = t.id) cg
 WHERE t.at >= p.p_from AND t.at < p.p_to AND t.at <= p.as_of
   AND t.at <= p.as_of - make_interval(mins => p.sla_minutes)
   AND (sa.n > 0 OR cg.taken < cg.granted)
