-- Every dispute still open at the provider, whatever its date: the
-- deadline to answer runs whether or not the period covers it.
SELECT 'DISPUTE_OPEN', jsonb_build_object('dispute_id', d.id),
       NULL, coalesce(d.opened_at, d.updated_at), d.currency, d.amount_minor,
       jsonb_build_object('source', d.source,
         'provider_dispute_id', d.provider_dispute_id,
         'order_id', d.order_id, 'provider_ref', o.provider_ref,
         'customer_email', c.email, 'reason', d.reason,
         'opened_at', coalesce(d.opened_at, d.updated_at))
  FROM disputes d
 CROSS JOIN rc_params p
  LEFT JOIN orders o ON o.id = d.order_id
  LEFT JOIN customers c ON c.id = o.customer_id
 WHERE d.status = 'OPEN'
   AND coalesce(d.opened_at, d.updated_at) <= p.as_of
