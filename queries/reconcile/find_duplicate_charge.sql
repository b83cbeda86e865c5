-- An order with more than one succeeded payment that kept more than its
-- first payment: refunding the extra payment is the fix, so refunds of
-- the order count against it.  The amount is what is still kept beyond
-- the first payment.
SELECT 'DUPLICATE_CHARGE', jsonb_build_object('order_id', o.id),
       NULL, d.last_at, o.currency, d.kept - d.first_amount,
       jsonb_build_object('source', o.source, 'provider_ref', o.provider_ref,
         'customer_email', c.email, 'payments', d.n,
         'order_amount', tally_major(o.amount_minor, o.currency),
         'charged', tally_major(d.total, o.currency),
         'refunded', tally_major(d.total - d.kept, o.currency),
         'payment_ids', d.ids)
  FROM (SELECT y.order_id FROM payments y WHERE y.status = 'SUCCEEDED'
         GROUP BY y.order_id HAVING count(*) > 1) g
 CROSS JOIN LATERAL (SELECT count(*) AS n,
               sum(y.amount_minor)::bigint AS total,
               sum(y.amount_minor)::bigint
                 - coalesce((SELECT sum(r.amount_minor) FROM refunds r,
                                    rc_params p
                              WHERE r.order_id = g.order_id
                                AND coalesce(r.refunded_at, r.created_at)
                                    <= p.as_of), 0)::bigint AS kept,
               (array_agg(y.amount_minor ORDER BY y.id))[1] AS first_amount,
               max(coalesce(y.paid_at, y.created_at)) AS last_at,
               jsonb_agg(y.provider_payment_id ORDER BY y.id) AS ids
          FROM payments y
         WHERE y.order_id = g.order_id AND y.status = 'SUCCEEDED') d
  JOIN orders o ON o.id = g.order_id
 CROSS JOIN rc_params p
  LEFT JOIN customers c ON c.id = o.customer_id
 WHERE d.kept > d.first_amount
   AND d.last_at >= p.p_from AND d.last_at < p.p_to AND d.last_at <= p.as_of
