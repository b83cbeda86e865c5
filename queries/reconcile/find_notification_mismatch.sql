-- Notifications the provider's status API contradicted (lib/books/
-- confirm.h; the view tally_notification_cases, shared with allocate),
-- received in the period.
SELECT v.category, v.keys, NULL, v.occurred_at, v.currency,
       v.amount_minor, v.details
  FROM tally_notification_cases v
 CROSS JOIN rc_params p
 WHERE v.occurred_at >= p.p_from AND v.occurred_at < p.p_to AND v.occurred_at <= p.as_of
