-- The account an admin named, locked: its status and its free seats.
SELECT status, coalesce(max_seats, 1) - current_seats_used
  FROM pool_accounts WHERE id = $1::bigint FOR NO KEY UPDATE
