-- A fulfilment for an order that no record says was paid: no succeeded
-- payment, and a status only an unpaid order has (allocate counts a
-- refund or dispute as proof of payment, sql/010).
SELECT 'FULFILLED_NOT_PAID', jsonb_build_object('order_id', o.id),
       NULL, f.created_at, o.currency, o.amount_minor,
       jsonb_build_object('source', o.source, 'provider_ref', o.provider_ref,
         'customer_email', c.email, 'order_status', o.status,
         'fulfilment_kind', f.kind, 'assignment_id', f.assignment_id,
         'ledger_id', f.ledger_id, 'fulfilled_at', f.created_at)
  FROM fulfilments f
  JOIN orders o ON o.id = f.order_id
 CROSS JOIN rc_params p
  LEFT JOIN customers c ON c.id = o.customer_id
 WHERE f.created_at >= p.p_from AND f.created_at < p.p_to AND f.created_at <= p.as_of
   AND o.status NOT IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED', 'DISPUTED')
   AND NOT EXISTS (SELECT 1 FROM payments y
                    WHERE y.order_id = o.id AND y.status = 'SUCCEEDED')
