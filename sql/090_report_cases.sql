-- 090_report_cases.sql - what every case sheet of the reconcile report
-- shows of a case, written once: the exception report has a sheet per
-- category (reports/reconcile/), each the same case columns around the
-- category's own keys and details; the settlement row and the order that
-- several categories are about are read from them alike.
--
-- The functions are LANGUAGE sql, STABLE and SECURITY INVOKER (the
-- default): a sheet runs them as tally_report, with its rights (it reads
-- reconcile_cases, never raw_events' body or payload).

-- The cases of category p_category (NULL: of every category) not closed
-- (OPEN, and ACCEPTED with the admin's note and date), seen at p_asof:
--   keys, details  as kept, for a sheet to take the category's own
--             columns from (jsonb_to_record())
--   amount    amount_minor in major units of the currency
--   age_days  whole days from when it happened (else from when it was
--             first seen) to p_asof
--   rank      the order sheets list cases in: the most severe first,
--             then by when it happened (unknown last), then by id
create function tally_report_cases(p_asof timestamptz, p_category text)
returns table (case_id bigint, category text, status text, severity text,
    keys jsonb, details jsonb, amount numeric, amount_minor money_minor,
    currency currency_code, first_seen timestamptz, last_seen timestamptz,
    occurrences integer, age_days integer, accepted_until date,
    accepted_note text, rank bigint)
language sql stable as $$
	select c.id, c.category, c.status, c.severity, c.keys, c.details,
	       tally_major(c.amount_minor, c.currency), c.amount_minor,
	       c.currency, c.first_seen, c.last_seen, c.occurrences,
	       floor(extract(epoch from p_asof
	                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer,
	       c.accepted_until, c.accepted_note,
	       row_number() over (order by tally_severity_rank(c.severity) desc,
	                                   c.occurred_at nulls last, c.id)
	  from reconcile_cases c
	 where c.status <> 'CLOSED'
   and (p_category is null or c.category = p_category)
$$;

-- A settlement row as a case about it keeps it in its details (the
-- settlement file's row: lib/books/reconcile_find.c), in the columns the
-- sheets show it with: created_at is when the provider settled it.
create function tally_report_settlement_row(p_details jsonb)
returns table (category text, gross numeric, fee numeric, net numeric,
    payment_ref text, charge_ref text, order_ref text, payout_id text,
    settled_at timestamptz, file text, line integer)
language sql stable as $$
	select r.category, r.gross, r.fee, r.net, r.payment_ref, r.charge_ref,
	       r.order_ref, r.payout_id, r.created_at, r.file, r.line
	  from jsonb_to_record(p_details) as r(category text, gross numeric,
	       fee numeric, net numeric, payment_ref text, charge_ref text,
	       order_ref text, payout_id text, created_at timestamptz,
	       file text, line integer)
$$;

-- The order a case is about, for the categories keyed by it: its id (the
-- key) and how the provider and the customer know it (details).
create function tally_report_case_order(p_keys jsonb, p_details jsonb)
returns table (order_id bigint, source text, provider_ref text,
    customer_email text)
language sql stable as $$
	select (p_keys ->> 'order_id')::bigint, r.source, r.provider_ref,
	       r.customer_email
	  from jsonb_to_record(p_details) as r(source text, provider_ref text,
	       customer_email text)
$$;

grant execute on function tally_report_cases(timestamptz, text),
    tally_report_settlement_row(jsonb),
    tally_report_case_order(jsonb, jsonb) to tally_report;
