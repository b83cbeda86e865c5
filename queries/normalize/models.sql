-- An unknown model is registered inactive and flagged for an admin.
insert into models (name, active, flagged)
select distinct model, false, true
  from pg_temp.alloc_usage
 where err is null and fact = 'USAGE'
 order by 1
    on conflict (name) do nothing
