-- A succeeded payment with no settled charge.  Only where the provider's
-- settlement data covers the payment's time (between its first and last
-- loaded charge: a file not loaded yet is not a missing row) and after the
-- grace days a provider takes to settle.  Older than 7 days: error.
SELECT 'MISSING_IN_SETTLEMENT', jsonb_build_object('payment_id', y.id),
       CASE WHEN p.as_of - t.at > interval '7 days' THEN 'error'
            ELSE 'warning' END,
       t.at, y.currency, y.amount_minor,
       jsonb_build_object('source', y.source,
         'provider_payment_id', y.provider_payment_id,
         'order_id', y.order_id,
         'provider_ref', (SELECT o.provider_ref FROM orders o
                           WHERE o.id = y.order_id),
         'provider', c.scheme, 'paid_at', t.at,
         'settled_from', cov.since, 'settled_until', cov.until)
  FROM payments y
 CROSS JOIN rc_params p
 CROSS JOIN LATERAL (SELECT coalesce(y.paid_at, y.created_at) AS at) t
  JOIN rc_src c ON c.source = y.source
  JOIN (SELECT provider, min(created_at) AS since, max(created_at) AS until
          FROM settlement_rows WHERE kind = 'charge'
         GROUP BY provider) cov ON cov.provider = c.scheme
 WHERE y.status = 'SUCCEEDED'
   AND t.at >= p.p_from AND t.at < p.p_to AND t.at <= p.as_of
   AND t.at >= cov.since AND t.at <= cov.until
   AND t.at <= p.as_of - make_interval(days => p.grace_days)
   AND NOT EXISTS (SELECT 1 FROM settlement_rows s
                    WHERE s.payment_id = y.id AND s.kind = 'charge')
