-- 094_order_fulfilment.sql - an order with its fulfilment of one kind,
-- for the statements that take a fulfilment back when the money went back
-- (queries/normalize/revoke.sql: seats, debit.sql: credits), beside
-- tally_order_reversed() (sql/040).  A single-SELECT SQL function: the
-- planner inlines it into the LATERAL join that calls it.

-- Order p_order and its fulfilment if it is of kind p_kind (SEAT: the
-- assignment; CREDITS: the ledger row of the grant); no row otherwise.
create function tally_order_fulfilment(p_order bigint, p_kind text)
returns table (order_id bigint, amount_minor money_minor,
    assignment_id bigint, ledger_id bigint)
language sql stable as $$
	select o.id, o.amount_minor, f.assignment_id, f.ledger_id
	  from orders o
	  join fulfilments f on f.order_id = o.id and f.kind = p_kind
	 where o.id = p_order
$$;
grant execute on function tally_order_fulfilment(bigint, text)
	to tally_batch, tally_admin, tally_report;
