-- Fulfilled orders that paid more than the price and kept the excess
-- (the view tally_overpaid_cases, shared with allocate), paid in the
-- period.
SELECT v.category, v.keys, NULL, v.occurred_at, v.currency,
       v.amount_minor, v.details
  FROM tally_overpaid_cases v
 CROSS JOIN rc_params p
 WHERE v.occurred_at >= p.p_from AND v.occurred_at < p.p_to AND v.occurred_at <= p.as_of
