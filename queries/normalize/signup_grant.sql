-- The signup grant ($1 credits, config signup_grant), once per user.
insert into credit_ledger (user_id, delta, kind, ref, reason)
select distinct on (user_id) user_id, $1::bigint, 'SIGNUP',
       'signup:' || user_ext, 'signup grant'
  from pg_temp.alloc_usage
 where err is null and fact = 'REGISTER' and $1::bigint > 0
 order by user_id
    on conflict (kind, ref) do nothing
