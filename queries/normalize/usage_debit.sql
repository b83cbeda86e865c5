-- Each call's credits, debited once (the ledger's (kind, ref) key).
insert into credit_ledger (user_id, delta, kind, ref, reason)
select distinct on (event_id) user_id, -credits, 'USAGE', event_id,
       'usage: ' || model
  from pg_temp.alloc_usage
 where err is null and fact = 'USAGE' and credits > 0
 order by event_id, raw_id
    on conflict (kind, ref) do nothing
