-- 040_reversal_totals.sql - one definition of "what went back" for an
-- order, shared by the statements that revoke seats and debit credits
-- (queries/normalize/revoke.sql, debit.sql).  A single-SELECT SQL
-- function: the planner inlines it into the LATERAL join that calls it.

-- The refunds and the chargebacks of one order, summed, and their
-- provider references (for the reason an audit row and an assignment
-- show).
create function tally_order_reversed(p_order bigint)
returns table (refunded bigint, chargeback bigint, refs text)
language sql stable as $$
	select coalesce(sum(r.amount_minor) filter (where r.kind = 'REFUND'), 0)::bigint,
	       coalesce(sum(r.amount_minor) filter (where r.kind = 'CHARGEBACK'), 0)::bigint,
	       string_agg(r.provider_refund_id, ', ' order by r.id)
	  from refunds r
	 where r.order_id = p_order
$$;
grant execute on function tally_order_reversed(bigint)
	to tally_batch, tally_admin, tally_report;
