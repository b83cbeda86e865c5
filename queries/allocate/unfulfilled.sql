-- After the run: paid orders an allocator tried and could not fulfil, and
-- every queued order.
select count(*) filter (where last_error is not null), count(*)
  from fulfil_queue
