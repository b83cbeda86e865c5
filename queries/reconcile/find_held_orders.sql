-- Orders tally-allocate holds (sql/041_held_orders.sql): UNDERPAID,
-- CURRENCY_MISMATCH (keys: the order, where a settlement row's case has
-- provider and txn_id), UNKNOWN_PRODUCT and PRODUCT_INACTIVE.  Found
-- while they are held, whatever the period (a hold is state), with the
-- keys and figures allocate opened them with (the view tally_held_cases
-- is shared).
SELECT v.category, v.keys, NULL, v.occurred_at, v.currency,
       v.amount_minor, v.details
  FROM tally_held_cases v
 CROSS JOIN rc_params p
 WHERE v.held_at <= p.as_of
