-- A credit package's credits, granted once per order (the ledger's
-- (kind, ref) key).
insert into credit_ledger (user_id, delta, kind, ref, reason, order_id)
select u.id, w.credits, 'PURCHASE', 'order:' || w.order_id, 'credit package',
       w.order_id
  from pg_temp.alloc_work w
 cross join lateral (select id from app_users u
                      where lower(u.email) = lower(w.email)
                      order by u.id limit 1) u
 where w.kind = 'CREDITS' and w.problem is null
 order by w.order_id
    on conflict (kind, ref) do nothing
