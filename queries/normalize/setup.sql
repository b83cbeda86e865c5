-- The session's work tables of tally-allocate (lib/books/normalize.c and
-- allocate.c), created once per connection.  ON COMMIT DELETE ROWS empties
-- them at every commit; a dry run works in one long transaction, so there
-- each batch truncates them first (clear.sql).
--
-- The work tables have no statistics and the domain tables grow during a
-- run faster than autovacuum analyses them, so the planner's guesses are
-- poor.  So the work tables are analysed once filled (a few milliseconds),
-- the session assumes a cached database (random_page_cost 1.1: an index
-- probe per batch row, not a scan of the whole table), and statements that
-- meet a big table from a work table are written so that their cost
-- follows the batch, not the table: a LATERAL subquery with LIMIT (never
-- flattened into a hash join over the whole table), a correlated scalar
-- subquery, or "id = ANY (ARRAY(...))" for a DELETE or UPDATE without a
-- join (an index scan).

-- the events a batch claimed
create temp table if not exists alloc_claim (
	raw_id bigint primary key,
	scheme text not null
) on commit delete rows;

-- one payment fact per event (sql/011_normalize.sql), then what the batch
-- merged about its order (m_*)
create temp table if not exists alloc_facts (
	raw_id bigint not null,
	source text not null,
	fact text, order_ref text, obs_status text, payment_ref text, sku text,
	email text, amount_minor bigint, currency text, event_at timestamptz,
	refund_ref text, refund_kind text, refund_minor bigint,
	dispute_ref text, dispute_status text, dispute_reason text,
	details_required boolean, err text,
	product_id bigint, m_product_id bigint, m_customer_id bigint,
	m_email text, m_sku text, order_id bigint
) on commit delete rows;

-- one usage fact per event
create temp table if not exists alloc_usage (
	raw_id bigint not null,
	source text not null,
	fact text, event_id text, occurred_at timestamptz, user_ext text,
	user_email text, model text, kind text, duration_ms integer,
	credits bigint, ustatus text, uerror text, err text,
	user_id bigint, model_id bigint
) on commit delete rows;

-- the orders a batch wrote or locked; settled: inserted with its final
-- status (orders.sql)
create temp table if not exists alloc_touched (
	order_id bigint primary key,
	source text,
	provider_ref text,
	settled boolean not null default false,
	status text
) on commit delete rows;

-- orders whose refunds or chargebacks may have to be applied
create temp table if not exists alloc_reversal (
	order_id bigint primary key
) on commit delete rows;

-- the queued orders a fulfilment batch claimed (queries/allocate/), with
-- their product (found by the order's sku when the order had none) and the
-- price check (hold: why the order is to be held; overpaid)
create temp table if not exists alloc_work (
	order_id bigint primary key,
	kind text, days integer, credits bigint,
	customer_id bigint, email text, paid_at timestamptz,
	product_id bigint, price_minor bigint, hold text,
	overpaid boolean not null default false,
	problem text,
	done boolean not null default false
) on commit delete rows;

-- the accounts a fulfilment batch picked, with the seats to take
create temp table if not exists alloc_pick (
	account_id bigint, seats integer, rank integer
) on commit delete rows;

-- Statements of a few milliseconds each: compiling them costs more than it
-- saves (the planner's row guesses for the work tables, which have no
-- statistics, would otherwise trigger JIT).
set jit = off;
set random_page_cost = 1.1;
