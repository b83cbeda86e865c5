-- The counter the trigger keeps (sql/001) against a recount.
SELECT 'SEAT_COUNTER_DRIFT', jsonb_build_object('account_id', a.id),
       NULL, NULL, NULL, NULL,
       jsonb_build_object('email', a.email, 'status', a.status,
         'max_seats', a.max_seats,
         'current_seats_used', a.current_seats_used,
         'active_assignments', coalesce(x.n, 0))
  FROM pool_accounts a
  LEFT JOIN (SELECT account_id, count(*) AS n FROM assignments
              WHERE status = 'ACTIVE' GROUP BY account_id) x
         ON x.account_id = a.id
 WHERE a.current_seats_used <> coalesce(x.n, 0)
