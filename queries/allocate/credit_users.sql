-- Credits go to the app user with the buyer's e-mail (the lowest id if
-- several); without one, a placeholder user 'email:<address>' is created,
-- which the image service's first event for that address adopts
-- (queries/normalize/users_adopt.sql).
insert into app_users (external_id, email)
select distinct 'email:' || lower(w.email), lower(w.email)
  from pg_temp.alloc_work w
  left join lateral (select 1 as x from app_users u
                      where lower(u.email) = lower(w.email) limit 1) u on true
 where w.kind = 'CREDITS' and w.problem is null and u.x is null
 order by 1
    on conflict (external_id) do nothing
