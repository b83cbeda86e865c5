-- Each order held by this batch is a case at once (the alert and the
-- reconcile report show it before any reconcile run), with the fingerprint
-- reconcile gives it (tally_held_cases in sql/041_held_orders.sql, which
-- reconcile reads too): reconcile finds it again, and closes it once the
-- order is no longer held.
select count(*) filter (where tally_case_open(v.category, v.keys,
           v.occurred_at, v.currency, v.amount_minor, v.details))
  from tally_held_cases v
 where v.order_id = any (array(select order_id from pg_temp.alloc_work
                                where problem = 'held'))
