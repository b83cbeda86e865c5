-- A settled charge whose currency differs from our payment's
-- (CURRENCY_MISMATCH, the amount is the settled gross), or whose gross
-- differs from our amount by more than the tolerance (AMOUNT_MISMATCH,
-- settled minus recorded).  One pass over the matched rows for both: the
-- join is the expensive part.
SELECT CASE WHEN s.currency <> y.currency THEN 'CURRENCY_MISMATCH'
            ELSE 'AMOUNT_MISMATCH' END,
       jsonb_build_object('provider', s.provider, 'txn_id', s.txn_id),
       NULL, s.created_at, s.currency,
       CASE WHEN s.currency <> y.currency THEN s.gross_minor
            ELSE s.gross_minor - y.amount_minor END,
       tally_settlement_details(s) || jsonb_build_object(
         'payment_id', y.id, 'source', y.source,
         'provider_payment_id', y.provider_payment_id,
         'order_id', y.order_id,
         'recorded', tally_major(y.amount_minor, y.currency),
         'recorded_currency', y.currency)
  FROM settlement_rows s
  JOIN payments y ON y.id = s.payment_id
 CROSS JOIN rc_params p
 WHERE s.kind = 'charge'
   AND s.created_at >= p.p_from AND s.created_at < p.p_to AND s.created_at <= p.as_of
   AND (s.currency <> y.currency
        OR abs(s.gross_minor::numeric - y.amount_minor) > p.tolerance)
