-- An order fulfilled now that paid more than the price is a case (a
-- warning: the customer may want the difference back), with the
-- fingerprint reconcile gives it (tally_overpaid_cases in
-- sql/041_held_orders.sql).  Returns how many were opened.
select count(*) filter (where tally_case_open(v.category, v.keys,
           v.occurred_at, v.currency, v.amount_minor, v.details))
  from tally_overpaid_cases v
 where v.order_id = any (array(select order_id from pg_temp.alloc_work
                                where done and overpaid))
