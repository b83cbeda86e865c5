-- Deliveries allocate marked FAILED (unknown sku, missing e-mail, ...),
-- received in the period.
SELECT 'UNPROCESSABLE_EVENT',
       jsonb_build_object('source', r.source, 'event_key', r.event_key),
       NULL, r.received_at, NULL, NULL,
       jsonb_build_object('raw_event_id', r.id, 'scheme', r.scheme,
         'type', coalesce(r.payload->>'type', r.payload->>'transaction_status',
                          r.payload->>'status'),
         'error', left(r.error, 500), 'attempts', r.attempts,
         'received_at', r.received_at)
  FROM raw_events r
 CROSS JOIN rc_params p
 WHERE r.status = 'FAILED'
   AND r.received_at >= p.p_from AND r.received_at < p.p_to AND r.received_at <= p.as_of
