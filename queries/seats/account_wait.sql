-- Every account with room is locked by someone: the policy's first one
-- (the ORDER BY of tally_pick_seats()), waiting for its lock.
SELECT (SELECT a.id FROM pool_accounts a WHERE a.status = 'AVAILABLE'
         ORDER BY a.max_seats IS NULL, a.current_seats_used = 0,
                  coalesce(a.max_seats, 1) - a.current_seats_used, a.id
         LIMIT 1 FOR NO KEY UPDATE)
