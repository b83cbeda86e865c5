-- The seat: account $1, customer $2, order $3 (or none), from $4 (NULL:
-- now) for $5 days.  The seat trigger (sql/012) counts it and refuses
-- one too many.
INSERT INTO assignments (account_id, customer_id, order_id,
                         starts_at, ends_at)
SELECT $1::bigint, $2::bigint, $3::bigint, s,
       s + make_interval(days => $5::integer)
  FROM (SELECT coalesce($4::timestamptz, now()) AS s) t
RETURNING id
