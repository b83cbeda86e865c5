-- A paid order with no fulfilment once allocate has had its minutes.
-- fulfil_queue (sql/010) says why allocate could not fulfil it, when it
-- tried.
SELECT 'PAID_NOT_FULFILLED', jsonb_build_object('order_id', o.id),
       NULL, t.at, o.currency, o.amount_minor,
       jsonb_build_object('source', o.source, 'provider_ref', o.provider_ref,
         'customer_email', c.email, 'sku', pr.sku, 'product_kind', pr.kind,
         'order_status', o.status, 'paid_at', t.at,
         'allocate_error', q.last_error, 'allocate_attempts', q.attempts)
  FROM orders o
 CROSS JOIN rc_params p
 CROSS JOIN LATERAL (SELECT coalesce(o.paid_at, o.created_at) AS at) t
  LEFT JOIN customers c ON c.id = o.customer_id
  LEFT JOIN products pr ON pr.id = o.product_id
  LEFT JOIN fulfil_queue q ON q.order_id = o.id
 WHERE o.status IN ('PAID', 'PARTIALLY_REFUNDED')
   AND t.at >= p.p_from AND t.at < p.p_to AND t.at <= p.as_of
   AND t.at <= p.as_of - make_interval(mins => p.sla_minutes)
   AND NOT EXISTS (SELECT 1 FROM fulfilments f
                    WHERE f.order_id = o.id AND f.created_at <= p.as_of)
