-- 001_core.sql - the whole domain of DESIGN.md, with the invariants the
-- database itself enforces: dedup of deliveries, seats never oversubscribed,
-- one fulfilment per order, money as bigint minor units with a currency,
-- documented status values only.  The audit log is in 002.

create domain currency_code as char(3)
	check (value ~ '^[A-Z]{3}$');

create domain money_minor as bigint;

-- ISO 4217 minor-unit exponents, for turning minor units into major units
-- exactly (numeric, never float) in reports and settlement matching.  The
-- same table as lib/money.c; unknown codes are NULL.
create function tally_currency_exponent(c text) returns integer
language sql immutable parallel safe as $$
	select case upper(c)
		when 'BIF' then 0 when 'CLP' then 0 when 'DJF' then 0
		when 'GNF' then 0 when 'ISK' then 0 when 'JPY' then 0
		when 'KMF' then 0 when 'KRW' then 0 when 'PYG' then 0
		when 'RWF' then 0 when 'UGX' then 0 when 'UYI' then 0
		when 'VND' then 0 when 'VUV' then 0 when 'XAF' then 0
		when 'XOF' then 0 when 'XPF' then 0
		when 'BHD' then 3 when 'IQD' then 3 when 'JOD' then 3
		when 'KWD' then 3 when 'LYD' then 3 when 'OMR' then 3
		when 'TND' then 3
		when 'CLF' then 4 when 'UYW' then 4
		else case when upper(c) ~ '^[A-Z]{3}$' then 2 end
	end
$$;

-- minor units -> major units as an exact numeric (19.99 for 1999 USD)
create function tally_major(amount bigint, c text) returns numeric
language sql immutable parallel safe as $$
	select round(amount::numeric / (10 ^ tally_currency_exponent(c))::numeric,
	             tally_currency_exponent(c))
$$;

-- Deliveries exactly as they arrived.  One row per distinct event; a
-- duplicate delivery is acknowledged and not stored again.
--
-- Not partitioned: PostgreSQL requires the partition key inside every unique
-- constraint, and the dedup key (source, event_key) must hold across months
-- (a provider retries for days, across a month boundary too).
create table raw_events (
	id bigint generated always as identity primary key,
	source text not null check (source ~ '^[A-Za-z0-9_.-]{1,64}$'),
	scheme text not null check (scheme in
		('standard-webhooks', 'stripe', 'midtrans', 'xendit')),
	event_key text not null check (length(event_key) between 1 and 512),
	received_at timestamptz not null default now(),
	content_type text,
	-- the headers that carried the signature, so it can be checked again
	sig_headers jsonb,
	-- the exact bytes that were signed; payload is the same parsed for SQL
	body bytea not null,
	payload jsonb not null,
	status text not null default 'NEW' check (status in
		('NEW', 'DONE', 'FAILED', 'IGNORED')),
	processed_at timestamptz,
	attempts integer not null default 0 check (attempts >= 0),
	error text,
	unique (source, event_key)
);
-- allocate finds work with an anti-join on status, never a "last id"
-- watermark: identity values are not committed in order.
create index raw_events_pending on raw_events (id) where status = 'NEW';
create index raw_events_failed on raw_events (id) where status = 'FAILED';
create index raw_events_received on raw_events using brin (received_at);

create table customers (
	id bigint generated always as identity primary key,
	email text not null check (email ~ '^[^@\s]+@[^@\s]+$'),
	name text,
	created_at timestamptz not null default now()
);
create unique index customers_email on customers (lower(email));

create table products (
	id bigint generated always as identity primary key,
	sku text not null unique check (sku ~ '^[A-Za-z0-9_.:-]{1,64}$'),
	name text not null,
	kind text not null check (kind in ('SEAT', 'CREDITS')),
	duration_days integer check (duration_days > 0),
	credits bigint check (credits > 0),
	price_minor money_minor not null check (price_minor >= 0),
	currency currency_code not null,
	active boolean not null default true,
	created_at timestamptz not null default now(),
	check ((kind = 'SEAT' and duration_days is not null and credits is null)
	    or (kind = 'CREDITS' and credits is not null and duration_days is null))
);

-- An order is what the customer bought at a provider; provider_ref is the
-- provider's identity for it (Stripe payment intent or session, Midtrans
-- order_id, Xendit invoice id).
create table orders (
	id bigint generated always as identity primary key,
	source text not null,
	provider_ref text not null,
	customer_id bigint references customers,
	product_id bigint references products,
	amount_minor money_minor not null check (amount_minor >= 0),
	currency currency_code not null,
	status text not null default 'PENDING' check (status in
		('PENDING', 'PAID', 'REFUNDED', 'PARTIALLY_REFUNDED', 'DISPUTED',
		 'CANCELLED', 'EXPIRED', 'DENIED', 'FAILED')),
	paid_at timestamptz,
	created_at timestamptz not null default now(),
	updated_at timestamptz not null default now(),
	unique (source, provider_ref)
);
create index orders_customer on orders (customer_id);
create index orders_paid_at on orders (paid_at) where paid_at is not null;

create table payments (
	id bigint generated always as identity primary key,
	order_id bigint not null references orders,
	source text not null,
	provider_payment_id text not null,
	amount_minor money_minor not null check (amount_minor >= 0),
	currency currency_code not null,
	status text not null check (status in ('SUCCEEDED', 'FAILED', 'PENDING')),
	paid_at timestamptz,
	raw_event_id bigint references raw_events,
	created_at timestamptz not null default now(),
	unique (source, provider_payment_id)
);
create index payments_order on payments (order_id);

create table refunds (
	id bigint generated always as identity primary key,
	order_id bigint not null references orders,
	source text not null,
	provider_refund_id text not null,
	amount_minor money_minor not null check (amount_minor >= 0),
	currency currency_code not null,
	kind text not null default 'REFUND' check (kind in ('REFUND', 'CHARGEBACK')),
	refunded_at timestamptz,
	raw_event_id bigint references raw_events,
	created_at timestamptz not null default now(),
	unique (source, provider_refund_id)
);
create index refunds_order on refunds (order_id);

create table disputes (
	id bigint generated always as identity primary key,
	order_id bigint references orders,
	source text not null,
	provider_dispute_id text not null,
	amount_minor money_minor not null check (amount_minor >= 0),
	currency currency_code not null,
	status text not null check (status in ('OPEN', 'WON', 'LOST')),
	reason text,
	opened_at timestamptz,
	updated_at timestamptz not null default now(),
	unique (source, provider_dispute_id)
);

-- The pool.  max_seats NULL: single-user (one customer at a time).
-- current_seats_used is maintained only by the assignments trigger below:
-- it always equals the number of ACTIVE assignments on the account.
-- status: AVAILABLE (has room), ASSIGNED (full), SUSPENDED (by an admin).
create table pool_accounts (
	id bigint generated always as identity primary key,
	email text not null check (email ~ '^[^@\s]+@[^@\s]+$'),
	note text not null default '',
	status text not null default 'AVAILABLE' check (status in
		('AVAILABLE', 'ASSIGNED', 'SUSPENDED')),
	max_seats integer check (max_seats between 1 and 10000),
	current_seats_used integer not null default 0
		check (current_seats_used >= 0),
	created_at timestamptz not null default now(),
	updated_at timestamptz not null default now(),
	constraint seats_not_oversubscribed
		check (current_seats_used <= coalesce(max_seats, 1)),
	constraint status_matches_seats
		check (status = 'SUSPENDED'
		    or (status = 'ASSIGNED') = (current_seats_used = coalesce(max_seats, 1)))
);
create unique index pool_accounts_email on pool_accounts (lower(email));

create table assignments (
	id bigint generated always as identity primary key,
	account_id bigint not null references pool_accounts,
	customer_id bigint not null references customers,
	order_id bigint references orders,
	status text not null default 'ACTIVE' check (status in
		('ACTIVE', 'EXPIRED', 'REVOKED')),
	starts_at timestamptz not null,
	ends_at timestamptz not null,
	ended_at timestamptz,
	reason text,
	created_at timestamptz not null default now(),
	updated_at timestamptz not null default now(),
	check (ends_at > starts_at),
	check ((status = 'ACTIVE') = (ended_at is null))
);
create index assignments_account_active on assignments (account_id) where status = 'ACTIVE';
create index assignments_ends_active on assignments (ends_at) where status = 'ACTIVE';
create index assignments_customer on assignments (customer_id);
create index assignments_order on assignments (order_id);

-- The image service's users and models.
create table app_users (
	id bigint generated always as identity primary key,
	external_id text not null unique,
	email text,
	registered_at timestamptz,
	last_login_at timestamptz,
	created_at timestamptz not null default now()
);

create table models (
	id bigint generated always as identity primary key,
	name text not null unique check (length(name) between 1 and 128),
	active boolean not null default true,
	credit_cost bigint not null default 0 check (credit_cost >= 0),
	-- what the model provider charges us per call, in minor units
	provider_cost_minor money_minor not null default 0 check (provider_cost_minor >= 0),
	provider_currency currency_code not null default 'USD',
	-- registered automatically from an unknown model name in usage
	flagged boolean not null default false,
	created_at timestamptz not null default now()
);

-- One row per model call; partitioned by month of started_at (the table
-- that grows fastest).  event_id is the image service's event id; the
-- unique key carries the partition key, as PostgreSQL requires.
create table usage_events (
	id bigint generated always as identity,
	event_id text not null,
	raw_event_id bigint,
	user_id bigint not null,
	model_id bigint not null,
	kind text not null check (kind in ('generate', 'edit')),
	started_at timestamptz not null,
	duration_ms integer not null check (duration_ms >= 0),
	credits bigint not null check (credits >= 0),
	status text not null check (status in ('ok', 'error')),
	error text,
	primary key (id, started_at),
	unique (event_id, started_at)
) partition by range (started_at);
create index usage_events_started on usage_events using brin (started_at);
create index usage_events_model on usage_events (model_id, started_at);
create index usage_events_user on usage_events (user_id);

create table usage_events_default partition of usage_events default;

-- Create the monthly partitions covering [from, to).  Called by the
-- migration for a window and by tally-allocate for the months it meets;
-- rows outside any month land in the default partition.
create function tally_ensure_usage_partitions(p_from date, p_to date)
returns integer language plpgsql
-- runs as the schema owner: the batch role may add a month, not alter tables
security definer set search_path = public as $$
declare
	m date := date_trunc('month', p_from)::date;
	n integer := 0;
	part text;
begin
	while m < p_to loop
		part := format('usage_events_%s', to_char(m, 'YYYYMM'));
		if to_regclass(part) is null then
			execute format('create table %I partition of usage_events '
			    'for values from (%L) to (%L)', part, m,
			    (m + interval '1 month')::date);
			n := n + 1;
		end if;
		m := (m + interval '1 month')::date;
	end loop;
	return n;
end $$;

select tally_ensure_usage_partitions(date '2025-01-01', date '2028-01-01');

-- Credits: a ledger, never a mutable balance.  (kind, ref) makes every
-- grant and debit idempotent: the order id for a purchase, the usage event
-- id for a call, an admin's request id for an adjustment.
create table credit_ledger (
	id bigint generated always as identity primary key,
	user_id bigint not null references app_users,
	delta bigint not null check (delta <> 0),
	kind text not null check (kind in
		('PURCHASE', 'SIGNUP', 'USAGE', 'REFUND', 'CHARGEBACK', 'ADJUSTMENT')),
	ref text not null,
	reason text,
	order_id bigint references orders,
	created_at timestamptz not null default now(),
	unique (kind, ref)
);
create index credit_ledger_user on credit_ledger (user_id);

create view credit_balances as
	select u.id as user_id, u.external_id, u.email,
	       coalesce(sum(l.delta), 0)::bigint as balance
	from app_users u left join credit_ledger l on l.user_id = u.id
	group by u.id;

-- One fulfilment per order, whatever runs concurrently: the unique key is
-- the guarantee, the allocator's locking only avoids wasted work.
create table fulfilments (
	id bigint generated always as identity primary key,
	order_id bigint not null unique references orders,
	kind text not null check (kind in ('SEAT', 'CREDITS')),
	assignment_id bigint references assignments,
	ledger_id bigint references credit_ledger,
	created_at timestamptz not null default now(),
	check ((kind = 'SEAT' and assignment_id is not null and ledger_id is null)
	    or (kind = 'CREDITS' and ledger_id is not null and assignment_id is null))
);

create table job_runs (
	id bigint generated always as identity primary key,
	program text not null,
	started_at timestamptz not null default now(),
	finished_at timestamptz,
	status text not null default 'RUNNING' check (status in
		('RUNNING', 'OK', 'PROBLEMS', 'FAILED')),
	as_of timestamptz,
	counts jsonb not null default '{}',
	outputs jsonb not null default '[]',
	message text,
	host text,
	pid integer
);
create index job_runs_program on job_runs (program, started_at desc);

-- Seat accounting.  Every change of an assignment's seat use goes through
-- here and updates the account row, whose row lock serialises concurrent
-- allocations: the second of two transactions racing for the last seat
-- waits, then sees the new count and fails the seats_not_oversubscribed
-- check.  The account's status follows its fill level unless SUSPENDED.
create function tally_assignment_seats() returns trigger
language plpgsql as $$
declare
	acc pool_accounts%rowtype;
begin
	if tg_op = 'DELETE' then
		raise exception 'assignments are never deleted (assignment %)', old.id
			using errcode = 'raise_exception';
	end if;
	if tg_op = 'UPDATE' then
		if new.account_id <> old.account_id then
			raise exception 'an assignment cannot move to another account'
				using errcode = 'check_violation';
		end if;
		if old.status <> 'ACTIVE' and new.status <> old.status then
			raise exception 'assignment % is % and cannot become %',
				old.id, old.status, new.status
				using errcode = 'check_violation';
		end if;
		if old.status = 'ACTIVE' and new.status <> 'ACTIVE' then
			update pool_accounts
			   set current_seats_used = current_seats_used - 1,
			       status = case when status = 'SUSPENDED' then status
			                     else 'AVAILABLE' end,
			       updated_at = now()
			 where id = old.account_id;
		end if;
		return new;
	end if;
	-- INSERT
	if new.status <> 'ACTIVE' then
		return new;
	end if;
	-- NO KEY UPDATE, not UPDATE: the foreign-key check on this insert
	-- already holds KEY SHARE on the account, and upgrading that to
	-- FOR UPDATE deadlocks two inserters; NO KEY UPDATE still serialises
	-- them against each other.
	select * into acc from pool_accounts where id = new.account_id
		for no key update;
	if acc.status = 'SUSPENDED' then
		raise exception 'account % is suspended', acc.email
			using errcode = 'check_violation';
	end if;
	update pool_accounts
	   set current_seats_used = current_seats_used + 1,
	       status = case when current_seats_used + 1 = coalesce(max_seats, 1)
	                     then 'ASSIGNED' else 'AVAILABLE' end,
	       updated_at = now()
	 where id = new.account_id;
	return new;
end $$;

create trigger assignments_seats
	after insert or update or delete on assignments
	for each row execute function tally_assignment_seats();

-- current_seats_used may change only through the trigger above, and a
-- capacity change may not drop below the seats in use (the check constraint
-- catches that too).  A new account starts empty.
create function tally_pool_account_guard() returns trigger
language plpgsql as $$
begin
	if tg_op = 'INSERT' then
		if new.current_seats_used <> 0 then
			raise exception 'a new account starts with no seats used'
				using errcode = 'check_violation';
		end if;
		return new;
	end if;
	if new.current_seats_used <> old.current_seats_used
	   and pg_trigger_depth() < 2 then
		raise exception 'current_seats_used follows assignments; it is not set by hand'
			using errcode = 'check_violation';
	end if;
	-- leaving SUSPENDED (or a capacity change) recomputes the status
	if new.status <> 'SUSPENDED'
	   and (old.status = 'SUSPENDED' or new.max_seats is distinct from old.max_seats
	        or new.status <> old.status) and pg_trigger_depth() < 2 then
		new.status := case when new.current_seats_used >= coalesce(new.max_seats, 1)
		                   then 'ASSIGNED' else 'AVAILABLE' end;
	end if;
	return new;
end $$;

create trigger pool_accounts_guard
	before insert or update on pool_accounts
	for each row execute function tally_pool_account_guard();
