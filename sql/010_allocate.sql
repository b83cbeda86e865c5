-- 010_allocate.sql - what tally-allocate, tally-expire and the alerts need
-- beyond the core schema: the queue of paid orders waiting for fulfilment,
-- the alert state, exact parsing helpers, and the seat-picking policy.
-- The meaning of each provider's payload is in 011_normalize.sql.

-- Paid orders that are not fulfilled yet.  tally-allocate adds an order
-- when it becomes fulfillable and removes it in the transaction that
-- fulfils it (or when a refund makes it unfulfillable), so finding work is
-- a scan of this small table instead of an anti-join over every order.
-- The row lock on an entry is what lets several allocators (and
-- seats_assign() for an admin) share the work without fulfilling an order
-- twice; fulfilments.order_id unique is the final guarantee.
create table fulfil_queue (
	order_id bigint primary key references orders,
	queued_at timestamptz not null default now(),
	-- last time an allocator tried and could not fulfil it, and why
	-- ("no account with a free seat", "order has no product", ...)
	tried_at timestamptz,
	attempts integer not null default 0 check (attempts >= 0),
	last_error text
);
grant delete on fulfil_queue to tally_batch, tally_admin;

-- Edge-triggered alerts: one row per condition.  A change of `active` is an
-- edge; it sets delivery_pending and the payload to send.  Delivery is
-- retried on later runs until it succeeds; a raise that was never delivered
-- and is then resolved is replaced by the "resolved" message (which names
-- when it was raised), so the chat never gets a stale "raised".
create table alerts (
	key text primary key check (length(key) between 1 and 128),
	active boolean not null default false,
	raised_at timestamptz,
	resolved_at timestamptz,
	summary text,
	last_payload jsonb,
	delivery_pending boolean not null default false,
	delivery_attempts integer not null default 0,
	delivered_at timestamptz,
	last_error text,
	updated_at timestamptz not null default now()
);

-- Credit purchases find the buyer's app user by e-mail.
create index app_users_email_lower on app_users (lower(email));
-- Reversals find the purchase grant and earlier debits of an order.
create index credit_ledger_order on credit_ledger (order_id)
	where order_id is not null;
create index fulfilments_assignment on fulfilments (assignment_id)
	where assignment_id is not null;

-- A decimal string in major units ("150000.00", "19.99", "1500") to minor
-- units of currency cur, exactly (numeric, never float); NULL when it is
-- not a plain non-negative decimal, has non-zero digits beyond the
-- currency's exponent, or does not fit a bigint.  The same rules as
-- money_parse_major() in lib/money.c, for the amounts normalised in SQL.
-- Nested CASEs: AND does not promise evaluation order, and the cast must
-- only see strings the pattern accepted.
create function tally_parse_major(s text, cur text) returns bigint
language sql immutable parallel safe as $$
	select case when s ~ '^[0-9]{1,20}(\.[0-9]{1,20})?$'
	             and tally_currency_exponent(cur) is not null then
		case when s::numeric * power(10::numeric, tally_currency_exponent(cur))
		          = trunc(s::numeric * power(10::numeric, tally_currency_exponent(cur)))
		      and s::numeric * power(10::numeric, tally_currency_exponent(cur))
		          <= 9223372036854775807 then
			(s::numeric * power(10::numeric, tally_currency_exponent(cur)))::bigint
		end
	end
$$;

-- A JSON amount in major units: a number (Xendit) or a decimal string
-- (Midtrans).  jsonb keeps numbers as exact numerics and prints them
-- without an exponent, so both go through tally_parse_major().
create function tally_json_major(v jsonb, cur text) returns bigint
language sql immutable parallel safe as $$
	select case when jsonb_typeof(v) in ('number', 'string')
		then tally_parse_major(v #>> '{}', cur) end
$$;

-- A JSON whole number >= 0 (minor units, credits, milliseconds), a number
-- or a string of digits; NULL otherwise.
create function tally_json_minor(v jsonb) returns bigint
language sql immutable parallel safe as $$
	select case
	when jsonb_typeof(v) = 'number' then
		case when v::numeric >= 0 and v::numeric <= 9223372036854775807
		      and v::numeric = trunc(v::numeric) then v::numeric::bigint end
	when jsonb_typeof(v) = 'string' then
		case when (v #>> '{}') ~ '^[0-9]{1,18}$' then (v #>> '{}')::bigint end
	end
$$;

-- Unix seconds (Stripe's `created`) as a timestamp; NULL when absent or
-- not a whole number in a sane range.  Whole seconds below 2^53 convert
-- to double precision exactly.
create function tally_epoch(v jsonb) returns timestamptz
language sql immutable parallel safe as $$
	select case when tally_json_minor(v) between 1 and 32503680000
		then to_timestamp(tally_json_minor(v)) end
$$;

-- An ISO 8601 / PostgreSQL timestamp string, or NULL when it is not one
-- (a malformed date in one event must fail that event, not the batch).
-- The pattern keeps the exception handler (a subtransaction) for strings
-- that look right; a string without an offset is read in the session's
-- time zone.
create function tally_try_timestamptz(s text) returns timestamptz
language plpgsql stable parallel safe as $$
begin
	if s is null or s !~ ('^[0-9]{4}-[0-9]{2}-[0-9]{2}'
	    '([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?'
	    ' ?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)?$') then
		return null;
	end if;
	return s::timestamptz;
exception when others then
	return null;
end $$;

-- Order status precedence.  An order's status is a function of the facts
-- stored about it (payments, refunds, disputes), never of the order in
-- which events arrived:
--   not paid: the highest-ranked status seen so far (a late `pending`
--   never undoes an `expire`); paid: chargebacks and open disputes, then
--   refunds (all or part of the amount), else PAID.  "Paid" means a
--   succeeded payment, or a refund or dispute, which only a paid order can
--   have (so a refund that arrives before its payment still counts).
create function tally_unpaid_rank(s text) returns integer
language sql immutable parallel safe as $$
	select case s when 'PENDING' then 0 when 'FAILED' then 1
		when 'DENIED' then 2 when 'CANCELLED' then 3 when 'EXPIRED' then 4
		else -1 end
$$;

create function tally_order_status(p_paid boolean, p_unpaid text,
    p_amount bigint, p_refunded bigint, p_chargeback bigint,
    p_dispute_open boolean)
returns text language sql immutable parallel safe as $$
	select case
	when not p_paid then coalesce(p_unpaid, 'PENDING')
	when p_chargeback > 0 or p_dispute_open then 'DISPUTED'
	when p_refunded > 0 and p_refunded >= p_amount then 'REFUNDED'
	when p_refunded > 0 then 'PARTIALLY_REFUNDED'
	else 'PAID' end
$$;

-- A paid order keeps (or gets) what it bought unless the money went back
-- in full or by a chargeback (a lost dispute).  A partial refund of a seat
-- plan keeps the seat; of a credit package it takes back a proportional
-- share of the credits (see lib/normalize.c).
create function tally_order_fulfillable(p_paid boolean, p_amount bigint,
    p_refunded bigint, p_chargeback bigint)
returns boolean language sql immutable parallel safe as $$
	select p_paid and p_chargeback = 0
	   and (p_refunded = 0 or p_refunded < p_amount)
$$;

-- Payment and dispute status precedence (higher wins, whatever the
-- arrival order): a succeeded payment is final; a closed dispute is final.
create function tally_payment_rank(s text) returns integer
language sql immutable parallel safe as $$
	select case s when 'PENDING' then 0 when 'FAILED' then 1
		when 'SUCCEEDED' then 2 else -1 end
$$;

create function tally_dispute_rank(s text) returns integer
language sql immutable parallel safe as $$
	select case s when 'OPEN' then 0 when 'WON' then 1 when 'LOST' then 2
		else -1 end
$$;

-- The seat policy, as a sort key: fill partly used multi-seat accounts
-- first, fewest free seats first (an account closest to full is finished
-- before another is started, which keeps big blocks free for later); then
-- empty multi-seat accounts, smallest first; then single-user accounts;
-- ties by id.  Only AVAILABLE accounts have room (ASSIGNED means full).
--
-- tally_pick_seats(n) locks accounts in that order, skipping accounts
-- another transaction holds (FOR NO KEY UPDATE SKIP LOCKED - the lock an
-- UPDATE of the seat count takes, which does not conflict with the KEY
-- SHARE lock of foreign-key checks - so concurrent allocators
-- take different accounts instead of queueing behind each other), until
-- the locked accounts have n free seats or none are left.  Rows are
-- fetched and locked one at a time (an explicit cursor) so no account is
-- locked that is not used.  It returns each account with the seats to
-- take from it, in policy order (rank).  The caller inserts assignments in
-- the same transaction; the seats_not_oversubscribed check is the final
-- guard.
create function tally_pick_seats(p_need integer)
returns table (account_id bigint, seats integer, rank integer)
language plpgsql as $$
declare
	c refcursor;
	r record;
	got integer := 0;
	k integer := 0;
begin
	if p_need is null or p_need <= 0 then
		return;
	end if;
	open c no scroll for
		select a.id, coalesce(a.max_seats, 1) - a.current_seats_used as room
		  from pool_accounts a
		 where a.status = 'AVAILABLE'
		 order by a.max_seats is null,
		          a.current_seats_used = 0,
		          coalesce(a.max_seats, 1) - a.current_seats_used,
		          a.id
		   for no key update skip locked;
	loop
		fetch c into r;
		exit when not found;
		-- the row was re-read when locked: room is current
		continue when r.room <= 0;
		k := k + 1;
		account_id := r.id;
		seats := least(r.room, p_need - got);
		rank := k;
		return next;
		got := got + seats;
		exit when got >= p_need;
	end loop;
	close c;
end $$;

-- Free seats in the pool: room on accounts that are not suspended.
create function tally_free_seats() returns bigint
language sql stable as $$
	select coalesce(sum(coalesce(max_seats, 1) - current_seats_used), 0)::bigint
	  from pool_accounts where status = 'AVAILABLE'
$$;

-- The credits a refund or chargeback takes back from a credit package:
-- all of them when the reversed amount covers the price (or the package
-- was free), else the same share of the credits, rounded down (exact
-- numeric arithmetic; never more than was granted).
create function tally_credit_share(p_credits bigint, p_part bigint,
    p_amount bigint)
returns bigint language sql immutable parallel safe as $$
	select case when p_part <= 0 then 0::bigint
	            when p_amount <= 0 or p_part >= p_amount then p_credits
	            else floor(p_credits::numeric * p_part / p_amount)::bigint end
$$;

-- The order status recompute reads an order's disputes.
create index disputes_order on disputes (order_id) where order_id is not null;
