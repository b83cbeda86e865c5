-- After the run: paid orders an allocator tried and could not fulfil,
-- every queued order, and the orders held.
select (select count(*) filter (where last_error is not null) from fulfil_queue),
       (select count(*) from fulfil_queue),
       (select count(*) from orders where status = 'HELD')
