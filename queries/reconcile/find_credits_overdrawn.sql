-- Negative balances at as-of (allowed, flagged: issue 4).
SELECT 'CREDITS_OVERDRAWN', jsonb_build_object('user_id', u.id),
       NULL, b.last_at, NULL, b.balance,
       jsonb_build_object('external_id', u.external_id, 'email', u.email,
         'balance', b.balance, 'last_entry_at', b.last_at)
  FROM (SELECT l.user_id, sum(l.delta) AS balance,
               max(l.created_at) AS last_at
          FROM credit_ledger l, rc_params p
         WHERE l.created_at <= p.as_of
         GROUP BY l.user_id HAVING sum(l.delta) < 0) b
  JOIN app_users u ON u.id = b.user_id
