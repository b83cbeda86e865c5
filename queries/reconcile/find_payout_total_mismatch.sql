-- The payout row of a payout carries minus the sum of its other rows' net
-- (docs/PROVIDERS.md); a payout whose rows do not add up to it is a case, per
-- currency.  Only payouts whose payout row was loaded: a file cut in the
-- middle of a payout cannot be judged.  The amount is the rows' net plus
-- the payout row: what was settled but not paid out (or the reverse).
SELECT 'PAYOUT_TOTAL_MISMATCH',
       jsonb_build_object('provider', x.provider, 'payout_id', x.payout_id,
         'currency', x.currency),
       NULL, x.payout_at, x.currency,
       CASE WHEN abs(x.items_net + x.payout_net) <= 9223372036854775807
            THEN (x.items_net + x.payout_net)::bigint END,
       jsonb_build_object(
         'payout_amount', round(-x.payout_net
             / power(10::numeric, tally_currency_exponent(x.currency)),
             tally_currency_exponent(x.currency)),
         'rows_net', round(x.items_net
             / power(10::numeric, tally_currency_exponent(x.currency)),
             tally_currency_exponent(x.currency)),
         'rows', x.items, 'payout_rows', x.payout_rows,
         'payout_at', x.payout_at)
  FROM (SELECT s.provider, s.payout_id, s.currency,
               sum(s.net_minor::numeric) FILTER (WHERE s.kind = 'payout')
                 AS payout_net,
               count(*) FILTER (WHERE s.kind = 'payout') AS payout_rows,
               coalesce(sum(s.net_minor::numeric)
                        FILTER (WHERE s.kind <> 'payout'), 0) AS items_net,
               count(*) FILTER (WHERE s.kind <> 'payout') AS items,
               min(s.created_at) FILTER (WHERE s.kind = 'payout')
                 AS payout_at
          FROM settlement_rows s
         WHERE (s.provider, s.payout_id) IN
               (SELECT z.provider, z.payout_id FROM settlement_rows z
                 CROSS JOIN rc_params p
                 WHERE z.kind = 'payout' AND z.payout_id IS NOT NULL
                   AND z.created_at >= p.p_from AND z.created_at < p.p_to
                   AND z.created_at <= p.as_of)
         GROUP BY s.provider, s.payout_id, s.currency) x
 WHERE x.payout_rows > 0 AND x.items_net + x.payout_net <> 0
