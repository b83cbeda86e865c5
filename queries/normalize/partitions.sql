-- The usage_events partitions of the months met, and one either side (a
-- month boundary in another time zone than the session's).
select coalesce(sum(tally_ensure_usage_partitions(
           (m - interval '1 month')::date, (m + interval '2 months')::date)), 0)
  from (select distinct date_trunc('month', occurred_at)::date as m
          from pg_temp.alloc_usage
         where err is null and fact = 'USAGE') x
