-- Seats the batch's orders need.
select count(*)
  from pg_temp.alloc_work
 where kind = 'SEAT' and problem is null
