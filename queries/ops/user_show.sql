-- One user of the image service by id ($1), with the credit balance its
-- ledger sums to.
SELECT u.id, u.external_id, u.email,
       (SELECT coalesce(sum(l.delta), 0) FROM credit_ledger l
         WHERE l.user_id = u.id)::bigint AS balance,
       u.registered_at, u.last_login_at, u.status, u.status_reason,
       u.status_changed_at, u.created_at
  FROM app_users u WHERE u.id = $1
