-- New app users; an e-mail learnt later fills in a missing one.
insert into app_users (external_id, email)
select distinct on (user_ext) user_ext, user_email
  from pg_temp.alloc_usage
 where err is null and fact in ('USAGE', 'REGISTER', 'LOGIN')
 order by user_ext, (user_email is null), raw_id
    on conflict (external_id) do update
   set email = excluded.email
 where app_users.email is null and excluded.email is not null
