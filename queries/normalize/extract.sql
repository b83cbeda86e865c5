-- One fact per claimed payment event, by its scheme:
--   stripe: what its payload means (tally_fact_stripe() in
--     sql/011_normalize.sql);
--   midtrans, xendit: what the provider's status API answered about it
--     (claim.sql took only events it answered for), laid over the
--     notification (tally_fact_confirmed() in sql/042_provider_checks.sql;
--     what a payload means: tally_fact_midtrans() and tally_fact_xendit()
--     in sql/011_normalize.sql).
-- Other schemes (usage) give no fact here: usage_extract.sql reads them.
insert into pg_temp.alloc_facts (raw_id, source, fact, order_ref, obs_status,
	payment_ref, sku, email, amount_minor, currency, event_at, refund_ref,
	refund_kind, refund_minor, dispute_ref, dispute_status, dispute_reason,
	details_required, err)
select r.id, r.source, f.*
  from pg_temp.alloc_claim c
  join raw_events r on r.id = c.raw_id
  left join provider_checks pc on pc.raw_event_id = r.id
 cross join lateral (
	select * from tally_fact_stripe(r.payload) where c.scheme = 'stripe'
	union all
	select * from tally_fact_confirmed(c.scheme, r.payload, pc.outcome,
	                                   pc.answer)
	 where c.scheme in ('midtrans', 'xendit')) f
