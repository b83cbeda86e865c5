-- gross - fee = net exactly: it is arithmetic, not a measurement.  The
-- amount is (gross - fee) - net, in numeric so no bigint can overflow.
SELECT 'NET_INCONSISTENT',
       jsonb_build_object('provider', s.provider, 'txn_id', s.txn_id),
       NULL, s.created_at, s.currency,
       CASE WHEN abs(d.diff) <= 9223372036854775807 THEN d.diff::bigint END,
       tally_settlement_details(s)
  FROM settlement_rows s
 CROSS JOIN rc_params p
 CROSS JOIN LATERAL (SELECT s.gross_minor::numeric - s.fee_minor
                            - s.net_minor AS diff) d
 WHERE s.created_at >= p.p_from AND s.created_at < p.p_to AND s.created_at <= p.as_of
   AND d.diff <> 0
