-- One fact per claimed stripe event: what its payload means is
-- tally_fact_stripe() in sql/011_normalize.sql.
insert into pg_temp.alloc_facts (raw_id, source, fact, order_ref, obs_status,
	payment_ref, sku, email, amount_minor, currency, event_at, refund_ref,
	refund_kind, refund_minor, dispute_ref, dispute_status, dispute_reason,
	details_required, err)
select r.id, r.source, f.*
  from pg_temp.alloc_claim c
  join raw_events r on r.id = c.raw_id
 cross join lateral tally_fact_stripe(r.payload) f
 where c.scheme = 'stripe'
