-- A panel session seen again ($1 the hex SHA-256 of its id, $2 the idle
-- and $3 the absolute limit in seconds): its user, when the session is
-- within both limits and the user may still log in; the notice it carried
-- is answered once and cleared.
WITH s AS (SELECT s.id_hash, s.notice, u.id, u.name, u.role
             FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id
            WHERE s.id_hash = decode($1, 'hex') AND NOT u.disabled
              AND u.removed_at IS NULL
              AND s.last_seen_at > now() - make_interval(secs => $2::bigint)
              AND s.created_at > now() - make_interval(secs => $3::bigint)
              FOR UPDATE OF s)
UPDATE admin_sessions t SET last_seen_at = now(), notice = NULL
  FROM s WHERE t.id_hash = s.id_hash
RETURNING s.id, s.name, s.role, s.notice
