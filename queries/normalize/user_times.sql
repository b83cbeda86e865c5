-- Registration keeps the earliest time, login the latest: arrival order
-- does not matter.
update app_users a
   set registered_at = least(a.registered_at, x.reg),
       last_login_at = greatest(a.last_login_at, x.login)
  from (select user_id,
               min(occurred_at) filter (where fact = 'REGISTER') as reg,
               max(occurred_at) filter (where fact = 'LOGIN') as login
          from pg_temp.alloc_usage
         where err is null and fact in ('REGISTER', 'LOGIN')
         group by user_id) x
 where a.id = x.user_id
   and (a.registered_at is distinct from least(a.registered_at, x.reg)
        or a.last_login_at is distinct from greatest(a.last_login_at, x.login))
