-- One ADJUSTMENT in a user's credit ledger ($1 the user, $2 the delta,
-- $3 the request id or NULL for a generated reference, $4 the reason),
-- with the balance before and after it; before and after are the audit's.
WITH bal AS (SELECT coalesce(sum(delta), 0)::bigint AS b
               FROM credit_ledger WHERE user_id = $1),
     ins AS (INSERT INTO credit_ledger AS l (user_id, delta, kind, ref, reason)
             VALUES ($1, $2::bigint, 'ADJUSTMENT',
                     coalesce($3, 'tallyctl:' || gen_random_uuid()), $4)
             RETURNING l.*)
SELECT ins.id AS ledger_id, ins.user_id, ins.delta,
       bal.b AS balance_before, bal.b + ins.delta AS balance, ins.ref,
       ins.reason, ins.created_at,
       jsonb_build_object('user_id', ins.user_id, 'balance', bal.b) AS before,
       to_jsonb(ins) || jsonb_build_object('balance', bal.b + ins.delta)
         AS after
  FROM ins, bal
