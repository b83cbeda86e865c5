-- 096_settlement_details.sql - what every reconcile case about one
-- settlement row shows, so the row can be found in its file: written once
-- for the finders that open such cases (queries/reconcile/find_*.sql:
-- missing webhook, amount and currency mismatch, net inconsistent,
-- unexplained adjustment), which add their own keys with ||.
--
-- LANGUAGE sql and STABLE as tally_major: a single SELECT, inlined into
-- the finder's query; runs with the caller's rights.
create function tally_settlement_details(s settlement_rows) returns jsonb
language sql stable as $$
	select jsonb_build_object(
	    'category', s.category,
	    'gross', tally_major(s.gross_minor, s.currency),
	    'fee', tally_major(s.fee_minor, s.currency),
	    'net', tally_major(s.net_minor, s.currency),
	    'payment_ref', s.payment_ref, 'charge_ref', s.charge_ref,
	    'order_ref', s.order_ref, 'payout_id', s.payout_id,
	    'created_at', s.created_at, 'file', s.file_name,
	    'line', s.file_line)
$$;
