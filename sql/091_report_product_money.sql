-- 091_report_product_money.sql - the money of a period per product and
-- currency, written once for the sheets that show it: weekly "Revenue",
-- monthly "Credit packages" and "Package margin".
--
-- LANGUAGE sql, STABLE and SECURITY INVOKER (the default): a sheet runs
-- it as tally_report, with its rights; a single SELECT, so the planner
-- inlines it into the sheet's query.

-- Every product (product_id NULL: orders of no known product) and
-- currency with money in [p_from, p_to) as of p_asof: succeeded payments
-- by the time they were paid, refunds and chargebacks by the time they
-- were made (whatever period the payment was in), each counted and
-- summed in minor units.  Currencies are never added together.
create function tally_report_product_money(p_from timestamptz,
    p_to timestamptz, p_asof timestamptz)
returns table (product_id bigint, currency text, payments bigint,
    gross numeric, refunds bigint, refunded numeric, chargebacks bigint,
    charged_back numeric)
language sql stable as $$
	with pay as (
		select o.product_id, p.currency::text as currency,
		       count(*) as n, sum(p.amount_minor) as amount
		  from payments p
		  join orders o on o.id = p.order_id
		 where p.status = 'SUCCEEDED'
		   and coalesce(p.paid_at, p.created_at) >= p_from
		   and coalesce(p.paid_at, p.created_at) < p_to
		   and coalesce(p.paid_at, p.created_at) <= p_asof
		   and p.created_at <= p_asof
		 group by o.product_id, p.currency
	),
	ref as (
		select o.product_id, r.currency::text as currency,
		       count(*) filter (where r.kind = 'REFUND') as refunds,
		       coalesce(sum(r.amount_minor) filter (where r.kind = 'REFUND'), 0)
		           as refunded,
		       count(*) filter (where r.kind = 'CHARGEBACK') as chargebacks,
		       coalesce(sum(r.amount_minor)
		                filter (where r.kind = 'CHARGEBACK'), 0)
		           as charged_back
		  from refunds r
		  join orders o on o.id = r.order_id
		 where coalesce(r.refunded_at, r.created_at) >= p_from
		   and coalesce(r.refunded_at, r.created_at) < p_to
		   and coalesce(r.refunded_at, r.created_at) <= p_asof
		   and r.created_at <= p_asof
		 group by o.product_id, r.currency
	)
	select coalesce(pay.product_id, ref.product_id),
	       coalesce(pay.currency, ref.currency),
	       coalesce(pay.n, 0), coalesce(pay.amount, 0),
	       coalesce(ref.refunds, 0), coalesce(ref.refunded, 0),
	       coalesce(ref.chargebacks, 0), coalesce(ref.charged_back, 0)
	  from pay
	  full join ref on coalesce(ref.product_id, -1) = coalesce(pay.product_id, -1)
	               and ref.currency = pay.currency
$$;

grant execute on function tally_report_product_money(timestamptz,
    timestamptz, timestamptz) to tally_report;
