-- 030_reconcile.sql - what tally-reconcile keeps: the provider settlement
-- rows it has loaded, one row per run, and the exception cases it tracks
-- from run to run.  The matching itself is SQL in lib/reconcile_find.c.

-- The exception categories, with what decides their default severity and
-- how a run may close them.  scoped: the case is about something dated
-- (a payment, a settlement row, an event), found only when that date is in
-- the run's period, so only a run whose period covers the date may close
-- it; not scoped: the case is about current state (seat counters, balances,
-- open disputes) and every run sees all of it.
create table reconcile_categories (
	category text primary key check (category ~ '^[A-Z_]{1,40}$'),
	sort integer not null unique,
	severity text not null check (severity in ('info', 'warning', 'error')),
	scoped boolean not null,
	title text not null,
	action text not null
);

insert into reconcile_categories (category, sort, severity, scoped, title, action) values
('PAID_NOT_FULFILLED', 1, 'error', true,
 'Paid order without a seat or credits',
 'find why tally-allocate could not fulfil it (tallyctl order list --unfulfilled); add room or assign by hand'),
('FULFILLED_NOT_PAID', 2, 'error', true,
 'Seat or credits given for an order that was never paid',
 'check the order with the provider; revoke the seat or debit the credits'),
('MISSING_IN_SETTLEMENT', 3, 'warning', true,
 'Payment we recorded that the provider''s settlement does not contain',
 'look the payment up at the provider; it may be a test, a reversal or a settlement still to come'),
('MISSING_WEBHOOK', 4, 'error', true,
 'Settled charge for which no webhook ever arrived',
 'check the webhook endpoint and the provider''s delivery log; the customer paid and tally does not know'),
('AMOUNT_MISMATCH', 5, 'error', true,
 'Settled amount differs from the recorded payment',
 'compare the charge at the provider with the order'),
('CURRENCY_MISMATCH', 6, 'error', true,
 'Settled currency differs from the recorded payment',
 'compare the charge at the provider with the order'),
('NET_INCONSISTENT', 7, 'error', true,
 'Settlement row where gross - fee is not net',
 'ask the provider; the export is inconsistent'),
('PAYOUT_TOTAL_MISMATCH', 8, 'error', true,
 'Payout that is not minus the sum of its rows',
 'compare the payout with the bank statement and the provider''s payout report'),
('DUPLICATE_CHARGE', 9, 'error', true,
 'Order paid more than once',
 'refund the extra payment'),
('DUPLICATE_FULFILLMENT', 10, 'error', true,
 'Order given more than one seat or credit grant',
 'revoke the extra seat or debit the extra credits'),
('REFUND_NOT_REFLECTED', 11, 'error', true,
 'Refunded or charged back, but the seat or credits are still there',
 'revoke the seat or debit the credits'),
('DISPUTE_OPEN', 12, 'warning', false,
 'Dispute still open at the provider',
 'answer the dispute at the provider before its deadline'),
('UNEXPLAINED_ADJUSTMENT', 13, 'warning', true,
 'Settlement row that our records do not explain',
 'find the reason with the provider (reserve, adjustment, refund made outside tally)'),
('SEAT_COUNTER_DRIFT', 14, 'error', false,
 'Account seat counter differs from its active assignments',
 'someone bypassed the triggers; recount with the database owner'),
('STUCK_ASSIGNED', 15, 'warning', false,
 'Full account whose assignments have all run out',
 'check that tally-expire runs (systemctl status tally-expire.timer)'),
('SEATS_OVERSUBSCRIBED', 16, 'error', true,
 'More seats held at once than the account has',
 'release the extra seat; find how the limit was bypassed'),
('CREDITS_OVERDRAWN', 17, 'warning', false,
 'User with a negative credit balance',
 'credit the user or collect the debt (a refund after use leaves this)'),
('CREDIT_BALANCE_MISMATCH', 18, 'error', false,
 'Our credit ledger and the image service disagree on a balance',
 'compare the ledger (tallyctl user list) with the service'),
('UNPROCESSABLE_EVENT', 19, 'warning', true,
 'Webhook tally could not understand',
 'read the reason (tallyctl event list --failed), fix the product or the data');

create function tally_severity_rank(s text) returns integer
language sql immutable parallel safe as $$
	select case s when 'info' then 1 when 'warning' then 2 when 'error' then 3 end
$$;

-- What a settlement row's reporting category means for matching:
--   charge      money in for a payment (must match one of ours)
--   refund      money back to a customer (must match a refund of ours)
--   dispute     money taken or returned by a dispute (must match one of ours)
--   fee         the provider's own charges
--   payout      the payout row of a payout: minus the sum of its other rows
--   transfer    other explained movements (a payout reversed, a top-up)
--   adjustment  anything else: each one is a case until someone explains it
-- Stripe's reporting categories, plus the status words of Midtrans and
-- Xendit exports ("settlement", "paid"); an empty category (a mapping
-- without a category column) is a charge.
create function tally_settlement_kind(category text) returns text
language sql immutable parallel safe as $$
	select case
	when category is null or category = '' then 'charge'
	when lower(category) in ('charge', 'payment', 'settlement', 'capture',
	                         'paid', 'settled', 'success', 'succeeded')
	     then 'charge'
	when lower(category) in ('refund', 'refund_failure',
	                         'partial_capture_reversal', 'partial_refund')
	     then 'refund'
	when lower(category) in ('dispute', 'dispute_reversal', 'chargeback',
	                         'partial_chargeback')
	     then 'dispute'
	when lower(category) in ('fee', 'network_cost', 'tax', 'stripe_fee',
	                         'application_fee', 'mdr', 'vat')
	     then 'fee'
	when lower(category) = 'payout' then 'payout'
	when lower(category) in ('payout_reversal', 'payout_failure', 'topup',
	                         'topup_reversal', 'transfer', 'transfer_reversal')
	     then 'transfer'
	else 'adjustment' end
$$;

create table reconcile_runs (
	id bigint generated always as identity primary key,
	job_run_id bigint references job_runs,
	started_at timestamptz not null default now(),
	finished_at timestamptz,
	as_of timestamptz not null,
	period_from timestamptz not null,
	period_to timestamptz not null,
	tz text not null,
	settlement_file text,
	settlement_format text,
	settlement_sha256 text check (settlement_sha256 ~ '^[0-9a-f]{64}$'),
	settlement_rows bigint not null default 0 check (settlement_rows >= 0),
	found integer not null default 0,
	opened integer not null default 0,
	closed integer not null default 0,
	reopened integer not null default 0,
	open_total integer not null default 0,
	status text not null check (status in ('OK', 'PROBLEMS')),
	check (period_to > period_from)
);
create index reconcile_runs_asof on reconcile_runs (as_of, period_from, period_to);

-- A provider's settlement export, one row per balance transaction, amounts
-- in minor units.  A file loaded again updates its rows in place (a later
-- export may add the payout a row was paid out in), so loading is
-- idempotent.  payment_id / order_id are the match with our records,
-- made at load and redone by each run for rows still unmatched (a webhook
-- that arrived after the file).
--
-- Built for million-row files: the natural key is the primary key (no
-- surrogate id to index), the match columns and run_id are derived data,
-- not foreign keys (a million key checks per load for nothing), and the
-- time index is BRIN (files arrive in time order; a btree would be written
-- a million times to speed up scans that read most of the table anyway).
create table settlement_rows (
	provider text not null check (provider in ('stripe', 'midtrans', 'xendit')),
	txn_id text not null check (length(txn_id) between 1 and 255),
	format text not null,
	category text not null,
	kind text not null check (kind in ('charge', 'refund', 'dispute', 'fee',
		'payout', 'transfer', 'adjustment')),
	created_at timestamptz not null,
	available_on timestamptz,
	currency currency_code not null,
	gross_minor money_minor not null,
	fee_minor money_minor not null,
	net_minor money_minor not null,
	payment_ref text,
	charge_ref text,
	source_ref text,
	order_ref text,
	payout_id text,
	sku text,
	payment_id bigint,
	order_id bigint,
	file_name text not null,
	file_line integer not null check (file_line > 0),
	run_id bigint not null,
	loaded_at timestamptz not null default now(),
	primary key (provider, txn_id)
);
create index settlement_rows_created on settlement_rows using brin (created_at);
-- rows that still need a match: few, once the webhooks have come
create index settlement_rows_unmatched on settlement_rows (provider, txn_id)
	where payment_id is null and kind in ('charge', 'refund', 'dispute');

-- Planner statistics for settlement_rows right after a load, inside the
-- loading transaction: the matching queries that follow must know the
-- table just grew by a million rows, or they pick nested loops.  ANALYZE
-- needs the table's owner; this runs as the owner for the batch role, and
-- does nothing else.
create function tally_settlement_analyze() returns void
language plpgsql security definer set search_path = public as $$
begin
	analyze settlement_rows;
end $$;
revoke execute on function tally_settlement_analyze() from public;
grant execute on function tally_settlement_analyze() to tally_batch, tally_admin;

-- One row per problem, tracked across runs.  The fingerprint is the
-- category and the problem's keys; at most one case per fingerprint is not
-- CLOSED, so a rerun finds the same case again (occurrences + 1) instead
-- of a new one.  ACCEPTED: an admin said it is fine (tallyctl case accept),
-- until accepted_until has passed (then a run reopens it; NULL: for good).
-- A case that a run in its scope no longer finds is CLOSED; if the problem
-- comes back, it is a new case.
create table reconcile_cases (
	id bigint generated always as identity primary key,
	category text not null references reconcile_categories,
	fingerprint text not null,
	keys jsonb not null,
	status text not null default 'OPEN' check (status in
		('OPEN', 'CLOSED', 'ACCEPTED')),
	severity text not null check (severity in ('info', 'warning', 'error')),
	currency currency_code,
	amount_minor money_minor,
	details jsonb not null default '{}',
	-- when the thing the case is about happened (the payment, the
	-- settlement row, the event); NULL for state (a counter, a balance)
	occurred_at timestamptz,
	first_seen timestamptz not null,
	last_seen timestamptz not null,
	occurrences integer not null default 1 check (occurrences > 0),
	first_run_id bigint references reconcile_runs,
	last_run_id bigint references reconcile_runs,
	closed_at timestamptz,
	closed_run_id bigint references reconcile_runs,
	accepted_at timestamptz,
	accepted_by text,
	accepted_note text,
	accepted_until date,
	check ((status = 'CLOSED') = (closed_at is not null)),
	check (status <> 'ACCEPTED' or (accepted_at is not null
	                                and accepted_note is not null)),
	check (last_seen >= first_seen)
);
create unique index reconcile_cases_fingerprint on reconcile_cases (fingerprint)
	where status <> 'CLOSED';
create index reconcile_cases_status on reconcile_cases (status, category);
create index reconcile_cases_last_run on reconcile_cases (last_run_id);
create index reconcile_cases_closed_run on reconcile_cases (closed_run_id)
	where closed_run_id is not null;

-- Reconcile reads the image service's credits.balance snapshots from
-- raw_events; without this the search is a scan of every usage event.
create index raw_events_credits_balance on raw_events (received_at)
	where payload->>'type' = 'credits.balance';
