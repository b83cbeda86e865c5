-- A settlement row our records do not explain: an adjustment of any kind
-- (tally_settlement_kind, sql/030), a refund row for an order we have no
-- refund of, a dispute row for an order with no dispute or chargeback.
SELECT 'UNEXPLAINED_ADJUSTMENT',
       jsonb_build_object('provider', s.provider, 'txn_id', s.txn_id),
       NULL, s.created_at, s.currency, s.net_minor,
       tally_settlement_details(s) || jsonb_build_object(
         'kind', s.kind, 'order_id', s.order_id)
  FROM settlement_rows s
 CROSS JOIN rc_params p
 WHERE s.created_at >= p.p_from AND s.created_at < p.p_to AND s.created_at <= p.as_of
   AND (s.kind = 'adjustment'
     OR (s.kind = 'refund'
         AND NOT EXISTS (SELECT 1 FROM refunds r
                          WHERE r.order_id = s.order_id
                            AND r.kind = 'REFUND'))
     OR (s.kind = 'dispute'
         AND NOT EXISTS (SELECT 1 FROM disputes d
                          WHERE d.order_id = s.order_id)
         AND NOT EXISTS (SELECT 1 FROM refunds r
                          WHERE r.order_id = s.order_id
                            AND r.kind = 'CHARGEBACK')))
