-- Each usage fact's app user.
update pg_temp.alloc_usage f
   set user_id = (select a.id from app_users a where a.external_id = f.user_ext)
 where f.err is null and f.user_ext is not null
