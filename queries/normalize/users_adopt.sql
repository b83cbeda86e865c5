-- The service's user id is the app user's identity.  A user created by a
-- credit purchase before the service told us about them has the
-- placeholder id 'email:<address>'; the first event that names both the
-- real id and that address adopts the placeholder (ledger and all).
update app_users a
   set external_id = u.user_ext
  from (select distinct on (user_email) user_email, user_ext
          from (select distinct on (user_ext) user_ext, user_email
                  from pg_temp.alloc_usage
                 where err is null and user_email is not null
                   and fact in ('USAGE', 'REGISTER', 'LOGIN')
                 order by user_ext, raw_id) z
         order by user_email, user_ext) u
 where a.external_id = 'email:' || u.user_email
   and not exists (select 1 from app_users b where b.external_id = u.user_ext)
