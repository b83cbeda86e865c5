-- The image service's latest balance per user (a credits.balance event
-- received by as-of, or the --balances file, which counts as of as-of)
-- against our ledger at that instant.  A usage debit counts from the
-- moment the call started, not from when allocate wrote it (a minute
-- later), so a snapshot taken between the two agrees.  The amount is ours
-- minus theirs, in credits.
SELECT 'CREDIT_BALANCE_MISMATCH', jsonb_build_object('user_id', u.id),
       NULL, s.at, NULL, o.ours - s.balance,
       jsonb_build_object('external_id', u.external_id, 'email', u.email,
         'ours', o.ours, 'theirs', s.balance, 'snapshot_at', s.at,
         'snapshot_from', s.origin, 'raw_event_id', s.raw_event_id)
  FROM (SELECT DISTINCT ON (z.ext) z.ext, z.balance, z.at, z.origin,
               z.raw_event_id
          FROM (SELECT coalesce(r.payload->'user'->>'id',
                                r.payload->>'user_id') AS ext,
                       CASE WHEN jsonb_typeof(r.payload->'balance')
                                 IN ('number', 'string')
                             AND (r.payload->>'balance') ~ '^-?[0-9]{1,18}$'
                            THEN (r.payload->>'balance')::bigint END
                         AS balance,
                       coalesce(tally_try_timestamptz(
                                  r.payload->>'occurred_at'),
                                r.received_at) AS at,
                       'event' AS origin, r.id AS raw_event_id
                  FROM raw_events r, rc_params p
                 WHERE r.payload->>'type' = 'credits.balance'
                   AND r.received_at <= p.as_of
                UNION ALL
                SELECT b.ext, b.balance, p.as_of, 'file', NULL
                  FROM rc_balances b, rc_params p) z
         WHERE z.ext IS NOT NULL AND z.balance IS NOT NULL
         ORDER BY z.ext, z.at DESC, z.raw_event_id DESC NULLS FIRST) s
  JOIN app_users u ON u.external_id = s.ext
 CROSS JOIN LATERAL (SELECT coalesce(sum(l.delta), 0) AS ours
                       FROM credit_ledger l
                       LEFT JOIN usage_events ue
                              ON l.kind = 'USAGE' AND ue.event_id = l.ref
                             AND ue.user_id = u.id
                      WHERE l.user_id = u.id
                        AND coalesce(ue.started_at, l.created_at) <= s.at) o
 WHERE o.ours <> s.balance
