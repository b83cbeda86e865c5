-- A full (ASSIGNED) account none of whose ACTIVE assignments is still
-- running: all ended more than stuck_minutes ago and tally-expire has not
-- released them, so the seats cannot be sold.
SELECT 'STUCK_ASSIGNED', jsonb_build_object('account_id', a.id),
       NULL, x.last_end, NULL, NULL,
       jsonb_build_object('email', a.email, 'max_seats', a.max_seats,
         'current_seats_used', a.current_seats_used,
         'active_assignments', x.n, 'last_ends_at', x.last_end)
  FROM pool_accounts a
 CROSS JOIN rc_params p
 CROSS JOIN LATERAL (SELECT count(*) AS n, max(z.ends_at) AS last_end,
                            count(*) FILTER (WHERE z.ends_at > p.as_of
                              - make_interval(mins => p.stuck_minutes))
                              AS running
                       FROM assignments z
                      WHERE z.account_id = a.id AND z.status = 'ACTIVE') x
 WHERE a.status = 'ASSIGNED' AND x.running = 0
