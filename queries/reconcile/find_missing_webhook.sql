-- A settled charge without a succeeded payment of ours: the webhook that
-- says it was paid never came.  (Unmatched rows come from the partial
-- index settlement_rows_unmatched; matched ones whose payment did not
-- succeed from the few such payments: neither scans a million-row
-- join.)  A delivery that did come but is still waiting or failed (it
-- names the payment) explains it: that one is an UNPROCESSABLE_EVENT, or
-- allocate's next run.
SELECT 'MISSING_WEBHOOK',
       jsonb_build_object('provider', s.provider, 'txn_id', s.txn_id),
       NULL, s.created_at, s.currency, s.gross_minor,
       tally_settlement_details(s.srow) || jsonb_build_object(
         'sku', s.sku, 'order_id', s.order_id,
         'payment_status', s.payment_status)
  FROM (SELECT u.*, u AS srow, NULL::text AS payment_status
          FROM settlement_rows u
         WHERE u.payment_id IS NULL AND u.kind = 'charge'
        UNION ALL
        SELECT u.*, u, y.status
          FROM settlement_rows u
          JOIN payments y ON y.id = u.payment_id
         WHERE u.kind = 'charge' AND y.status <> 'SUCCEEDED') s
 CROSS JOIN rc_params p
 WHERE s.created_at >= p.p_from AND s.created_at < p.p_to AND s.created_at <= p.as_of
   AND NOT EXISTS (SELECT 1 FROM raw_events r
                    WHERE r.scheme = s.provider
                      AND r.status IN ('NEW', 'FAILED')
                      AND r.received_at <= p.as_of
                      AND (strpos(r.payload::text, '"' || s.payment_ref || '"') > 0
                        OR strpos(r.payload::text, '"' || s.charge_ref || '"') > 0
                        OR strpos(r.payload::text, '"' || s.order_ref || '"') > 0))
