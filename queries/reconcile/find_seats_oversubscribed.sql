-- More seats held at once than the account has, at any instant of the
-- period: a seat is held from the assignment's creation (when the
-- trigger counts it) until it ended.  The counter and its check make this
-- impossible through the triggers; history shows it when they were
-- bypassed.  A running sum of +1 at each start and -1 at each end, ends
-- first at the same instant.
-- the intervals counted, clipped to the period
WITH rc_iv AS (
 SELECT x.account_id, greatest(x.created_at, p.p_from) AS s,
        least(coalesce(x.ended_at, 'infinity'), w.hi) AS e, w.hi
   FROM assignments x
  CROSS JOIN rc_params p
  CROSS JOIN LATERAL (SELECT least(p.p_to, p.as_of) AS hi) w
  WHERE x.created_at < w.hi
    AND coalesce(x.ended_at, 'infinity') > p.p_from)
 SELECT 'SEATS_OVERSUBSCRIBED', jsonb_build_object('account_id', a.id),
       NULL, pk.first_at, NULL, NULL,
       jsonb_build_object('email', a.email,
         'capacity', coalesce(a.max_seats, 1), 'peak_seats', pk.peak,
         'first_over_at', pk.first_at,
         'active_now', (SELECT count(*) FROM assignments z
                         WHERE z.account_id = a.id AND z.status = 'ACTIVE'))
  FROM (SELECT r.account_id, max(r.lvl) AS peak,
               min(r.t) FILTER (WHERE r.lvl > coalesce(q.max_seats, 1))
                 AS first_at
          FROM (SELECT e.account_id, e.t,
                       sum(e.d) OVER (PARTITION BY e.account_id
                                      ORDER BY e.t, e.d
                                      ROWS UNBOUNDED PRECEDING) AS lvl
                  FROM (SELECT iv.account_id, iv.s AS t, 1 AS d FROM rc_iv iv
                        UNION ALL
                        SELECT iv.account_id, iv.e, -1 FROM rc_iv iv
                         WHERE iv.e < iv.hi) e) r
          JOIN pool_accounts q ON q.id = r.account_id
         GROUP BY r.account_id) pk
  JOIN pool_accounts a ON a.id = pk.account_id
 WHERE pk.peak > coalesce(a.max_seats, 1)
