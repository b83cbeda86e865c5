-- A user's status set ($1 the user, $2 the status, $3 the reason); no row
-- when the user has that status already.  before and after are the
-- audit's.
WITH old AS (SELECT * FROM app_users WHERE id = $1)
UPDATE app_users u SET status = $2, status_reason = $3,
                       status_changed_at = now()
  FROM old WHERE u.id = old.id AND old.status <> $2
RETURNING u.id, u.external_id, u.email, u.status, u.status_reason,
          u.status_changed_at, to_jsonb(old) AS before, to_jsonb(u) AS after
