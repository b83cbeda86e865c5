-- 011_normalize.sql - what a provider's payload means, in one place: each
-- scheme's function turns one raw_events payload into one "fact" row that
-- tally-allocate (lib/normalize.c) stores set-based.  They only read their
-- argument, so they are STABLE single-SELECT SQL functions that the
-- planner inlines into the batch statement (no per-row function call).
--
-- A fact is one of
--   PAYMENT  the state of a purchase: obs_status PAID, PENDING, FAILED,
--            DENIED, CANCELLED or EXPIRED, with its payment reference
--   REFUND   money returned (refund_kind REFUND) or taken back by the
--            card network (CHARGEBACK); refund_minor is the cumulative
--            amount for refund_ref (a later event for the same reference
--            carries a larger total, so the larger one wins)
--   DISPUTE  a dispute opened or closed (dispute_status OPEN, WON, LOST)
--   IGNORE   an event type tally does not act on
-- err is set when the event cannot be understood (its effects are then
-- not applied and the raw event is marked FAILED with err as the reason).
--
-- Each level of a function is a subquery with OFFSET 0: it stays a
-- subquery, so its columns are computed once per event rather than the
-- whole expression being substituted (and evaluated again) everywhere a
-- column is used.
--
-- Order identity (orders.provider_ref):
--   Stripe    the payment intent id: a Checkout Session and the payment
--             intent it creates are one purchase; a session without a
--             payment intent (nothing to pay) falls back to the session id.
--             Refunds (charge.refunded) and disputes name the payment intent.
--   Midtrans  order_id (the merchant's id, also in every refund).
--   Xendit    the invoice id: external_id is the merchant's and Xendit
--             does not require it to be unique, the invoice id is.

create type tally_payment_fact as (
	fact text,
	order_ref text,
	obs_status text,
	payment_ref text,
	sku text,
	email text,
	amount_minor bigint,
	currency text,
	event_at timestamptz,
	refund_ref text,
	refund_kind text,
	refund_minor bigint,
	dispute_ref text,
	dispute_status text,
	dispute_reason text,
	-- a paid event of this kind must name the product and the customer
	-- (a Stripe payment_intent event need not: the Checkout Session that
	-- created it carries the sku and the e-mail)
	details_required boolean,
	err text
);

-- The first reason an extracted fact is unusable, or NULL.
create function tally_fact_error(f tally_payment_fact) returns text
language sql immutable parallel safe as $$
	select case
	when f.fact = 'IGNORE' then null
	when f.order_ref is null or f.order_ref = '' then 'no order reference in the event'
	when length(f.order_ref) > 255 then 'order reference too long'
	when f.currency is null or f.currency !~ '^[A-Z]{3}$' then 'missing or malformed currency'
	when f.amount_minor is null then 'missing or malformed amount'
	when f.fact = 'REFUND' and f.refund_minor is null then 'missing or malformed refund amount'
	when f.fact = 'DISPUTE' and f.dispute_ref is null then 'dispute without an id'
	when f.sku is not null and length(f.sku) > 64 then 'sku too long'
	when f.email is not null and f.email !~ '^[^@\s]+@[^@\s]+$' then 'malformed email: ' || left(f.email, 100)
	end
$$;

-- Stripe: an event envelope {id, type, created, data: {object}}.  A
-- payment_intent may arrive as an id or, when expanded, as an object.
create function tally_stripe_id(v jsonb) returns text
language sql immutable parallel safe as $$
	select case jsonb_typeof(v) when 'string' then v #>> '{}'
		when 'object' then v->>'id' end
$$;

create function tally_fact_stripe(p jsonb) returns setof tally_payment_fact
language sql stable as $$
	select x.fact, x.order_ref, x.obs_status, x.payment_ref, x.sku, x.email,
	       x.amount_minor, x.currency, x.event_at, x.refund_ref,
	       x.refund_kind, x.refund_minor, x.dispute_ref, x.dispute_status,
	       x.dispute_reason, x.details_required,
	       case when jsonb_typeof(p) <> 'object' then 'payload is not a JSON object'
	            when x.fact <> 'IGNORE'
	                 and coalesce(jsonb_typeof(p->'data'->'object'), 'null') <> 'object'
	                 then 'event has no data.object'
	            else tally_fact_error(x::tally_payment_fact) end
	from (select
		k.fact,
		k.order_ref,
		k.obs_status,
		-- one payment per payment intent: the session and the intent's
		-- own events update the same payments row
		case when k.fact = 'PAYMENT' then k.order_ref end as payment_ref,
		nullif(btrim(e.o->'metadata'->>'sku'), '') as sku,
		lower(nullif(btrim(coalesce(e.o->'customer_details'->>'email',
		    e.o->>'customer_email', e.o->>'receipt_email',
		    e.o->'billing_details'->>'email')), '')) as email,
		k.amount_minor,
		upper(e.o->>'currency') as currency,
		tally_epoch(p->'created') as event_at,
		-- charge.refunded carries the charge's cumulative amount_refunded:
		-- one refund row per charge, the largest total wins
		case when k.fact = 'REFUND' then 'charge:' || (e.o->>'id') end as refund_ref,
		case when k.fact = 'REFUND' then 'REFUND' end as refund_kind,
		case when k.fact = 'REFUND' then tally_json_minor(e.o->'amount_refunded') end as refund_minor,
		case when k.fact = 'DISPUTE' then e.o->>'id' end as dispute_ref,
		k.dispute_status,
		case when k.fact = 'DISPUTE' then left(e.o->>'reason', 200) end as dispute_reason,
		coalesce(e.t like 'checkout.session.%', false) as details_required,
		null::text as err
	from (select p->>'type' as t,
	             case when jsonb_typeof(p) = 'object' then p->'data'->'object' end as o
	      offset 0) e
	cross join lateral (select
		case
		when e.t in ('checkout.session.completed',
		             'checkout.session.async_payment_succeeded',
		             'checkout.session.async_payment_failed',
		             'checkout.session.expired',
		             'payment_intent.succeeded', 'payment_intent.processing',
		             'payment_intent.payment_failed', 'payment_intent.canceled')
		     then 'PAYMENT'
		when e.t = 'charge.refunded' then 'REFUND'
		when e.t in ('charge.dispute.created', 'charge.dispute.updated',
		             'charge.dispute.closed', 'charge.dispute.funds_withdrawn',
		             'charge.dispute.funds_reinstated') then 'DISPUTE'
		else 'IGNORE' end as fact,
		case
		when e.t like 'checkout.session.%'
		     then coalesce(tally_stripe_id(e.o->'payment_intent'), e.o->>'id')
		when e.t like 'payment_intent.%' then e.o->>'id'
		when e.t = 'charge.refunded'
		     then coalesce(tally_stripe_id(e.o->'payment_intent'), e.o->>'id')
		when e.t like 'charge.dispute.%'
		     then tally_stripe_id(e.o->'payment_intent')
		end as order_ref,
		case e.t
		when 'checkout.session.completed' then
			case when e.o->>'payment_status' in ('paid', 'no_payment_required')
			     then 'PAID' else 'PENDING' end
		when 'checkout.session.async_payment_succeeded' then 'PAID'
		when 'checkout.session.async_payment_failed' then 'FAILED'
		when 'checkout.session.expired' then 'EXPIRED'
		when 'payment_intent.succeeded' then 'PAID'
		when 'payment_intent.processing' then 'PENDING'
		when 'payment_intent.payment_failed' then 'FAILED'
		when 'payment_intent.canceled' then 'CANCELLED'
		end as obs_status,
		case
		when e.t like 'checkout.session.%' then tally_json_minor(e.o->'amount_total')
		when e.t = 'payment_intent.succeeded'
		     then tally_json_minor(coalesce(e.o->'amount_received', e.o->'amount'))
		else tally_json_minor(e.o->'amount')
		end as amount_minor,
		case when e.t like 'charge.dispute.%' then
			case e.o->>'status' when 'lost' then 'LOST' when 'won' then 'WON'
			     when 'warning_closed' then 'WON' else 'OPEN' end
		end as dispute_status
		offset 0) k
	offset 0) x
$$;

-- Midtrans: an HTTP notification.  Paid = settlement, or capture with
-- fraud_status accept.  transaction_time is local time in Jakarta (GMT+7).
-- refund_amount / chargeback_amount are the order's totals so far.
create function tally_fact_midtrans(p jsonb) returns setof tally_payment_fact
language sql stable as $$
	select x.fact, x.order_ref, x.obs_status, x.payment_ref, x.sku, x.email,
	       x.amount_minor, x.currency, x.event_at, x.refund_ref,
	       x.refund_kind, x.refund_minor, null::text, null::text, null::text,
	       true,
	       case when jsonb_typeof(p) <> 'object' then 'payload is not a JSON object'
	            when x.fact = 'UNKNOWN'
	                 then 'unknown transaction_status: ' || coalesce(left(e.t, 64), '(none)')
	            else tally_fact_error(x::tally_payment_fact) end
	from (select p->>'transaction_status' as t, p->>'fraud_status' as fraud,
	             upper(coalesce(p->>'currency', 'IDR')) as cur offset 0) e
	cross join lateral (select
		case
		when e.t in ('settlement', 'capture', 'pending', 'authorize', 'deny',
		             'cancel', 'expire', 'failure') then 'PAYMENT'
		when e.t in ('refund', 'partial_refund', 'chargeback',
		             'partial_chargeback') then 'REFUND'
		else 'UNKNOWN' end as fact,
		nullif(btrim(p->>'order_id'), '') as order_ref,
		case e.t
		when 'settlement' then 'PAID'
		when 'capture' then
			case e.fraud when 'accept' then 'PAID' when 'deny' then 'DENIED'
			     else 'PENDING' end
		when 'pending' then 'PENDING'
		when 'authorize' then 'PENDING'
		when 'deny' then 'DENIED'
		when 'cancel' then 'CANCELLED'
		when 'expire' then 'EXPIRED'
		when 'failure' then 'FAILED'
		end as obs_status,
		coalesce(nullif(p->>'transaction_id', ''), p->>'order_id') as payment_ref,
		nullif(btrim(p->>'custom_field1'), '') as sku,
		lower(nullif(btrim(p->'customer_details'->>'email'), '')) as email,
		tally_json_major(p->'gross_amount', e.cur) as amount_minor,
		e.cur as currency,
		tally_try_timestamptz(coalesce(p->>'settlement_time',
		    p->>'transaction_time') || ' +07') as event_at,
		case when e.t in ('refund', 'partial_refund') then p->>'order_id' || ':refund'
		     when e.t in ('chargeback', 'partial_chargeback')
		     then p->>'order_id' || ':chargeback' end as refund_ref,
		case when e.t in ('refund', 'partial_refund') then 'REFUND'
		     when e.t in ('chargeback', 'partial_chargeback') then 'CHARGEBACK'
		     end as refund_kind,
		case
		when e.t in ('refund', 'partial_refund') then
			coalesce(tally_json_major(p->'refund_amount', e.cur),
			         case when e.t = 'refund' and p->'refund_amount' is null
			              then tally_json_major(p->'gross_amount', e.cur) end)
		when e.t in ('chargeback', 'partial_chargeback') then
			coalesce(tally_json_major(coalesce(p->'chargeback_amount',
			                                   p->'refund_amount'), e.cur),
			         case when e.t = 'chargeback' and p->'chargeback_amount' is null
			                   and p->'refund_amount' is null
			              then tally_json_major(p->'gross_amount', e.cur) end)
		end as refund_minor
		offset 0) k
	cross join lateral (select k.fact, k.order_ref, k.obs_status,
		case when k.fact = 'PAYMENT' then k.payment_ref end as payment_ref,
		k.sku, k.email, k.amount_minor, k.currency, k.event_at, k.refund_ref,
		k.refund_kind, k.refund_minor, null::text as dispute_ref,
		null::text as dispute_status, null::text as dispute_reason,
		true as details_required, null::text as err offset 0) x
$$;

-- Xendit: an invoice callback.  PAID and SETTLED are both paid (SETTLED
-- comes later, when the money reaches the balance).  Amounts are numbers
-- in major units; paid_amount is what was paid.
create function tally_fact_xendit(p jsonb) returns setof tally_payment_fact
language sql stable as $$
	select x.fact, x.order_ref, x.obs_status, x.payment_ref, x.sku, x.email,
	       x.amount_minor, x.currency, x.event_at, null::text, null::text,
	       null::bigint, null::text, null::text, null::text, true,
	       case when jsonb_typeof(p) <> 'object' then 'payload is not a JSON object'
	            when x.fact = 'UNKNOWN'
	                 then 'unknown invoice status: ' || coalesce(left(e.s, 64), '(none)')
	            else tally_fact_error(x::tally_payment_fact) end
	from (select upper(p->>'status') as s,
	             upper(coalesce(p->>'currency', 'IDR')) as cur offset 0) e
	cross join lateral (select
		case when e.s in ('PAID', 'SETTLED', 'PENDING', 'EXPIRED') then 'PAYMENT'
		     else 'UNKNOWN' end as fact,
		nullif(btrim(p->>'id'), '') as order_ref,
		case e.s when 'PAID' then 'PAID' when 'SETTLED' then 'PAID'
		     when 'PENDING' then 'PENDING' when 'EXPIRED' then 'EXPIRED'
		     end as obs_status,
		coalesce(nullif(p->>'payment_id', ''), p->>'id') as payment_ref,
		nullif(btrim(p->'metadata'->>'sku'), '') as sku,
		lower(nullif(btrim(p->>'payer_email'), '')) as email,
		tally_json_major(case when e.s in ('PAID', 'SETTLED')
		                      then coalesce(p->'paid_amount', p->'amount')
		                      else p->'amount' end, e.cur) as amount_minor,
		e.cur as currency,
		tally_try_timestamptz(coalesce(p->>'paid_at', p->>'updated',
		    p->>'created')) as event_at,
		null::text as refund_ref, null::text as refund_kind,
		null::bigint as refund_minor, null::text as dispute_ref,
		null::text as dispute_status, null::text as dispute_reason,
		true as details_required, null::text as err offset 0) x
$$;

-- Usage events from the image service (Standard Webhooks), one JSON object
-- per raw event: usage.recorded, user.registered, user.login,
-- credits.balance (read by reconcile from raw_events; nothing to store).
create type tally_usage_fact as (
	fact text,		-- USAGE REGISTER LOGIN BALANCE IGNORE
	event_id text,
	occurred_at timestamptz,
	user_ext text,
	user_email text,
	model text,
	kind text,
	duration_ms integer,
	credits bigint,
	ustatus text,
	uerror text,
	err text
);

create function tally_fact_usage(p jsonb) returns setof tally_usage_fact
language sql stable as $$
	select x.fact, x.event_id, x.occurred_at, x.user_ext, x.user_email,
	       x.model, x.kind,
	       case when x.duration <= 2147483647 then x.duration::integer end,
	       x.credits, x.ustatus, x.uerror,
	       case
	       when jsonb_typeof(p) <> 'object' then 'payload is not a JSON object'
	       when x.fact in ('IGNORE', 'BALANCE') then null
	       when x.event_id is null or length(x.event_id) > 255 then 'missing or malformed id'
	       when x.occurred_at is null then 'missing or malformed occurred_at'
	       when x.user_ext is null or length(x.user_ext) > 255 then 'missing or malformed user.id'
	       when x.user_email is not null and x.user_email !~ '^[^@\s]+@[^@\s]+$'
	            then 'malformed user.email: ' || left(x.user_email, 100)
	       when x.fact <> 'USAGE' then null
	       when x.model is null or length(x.model) > 128 then 'missing or malformed model'
	       when x.kind is null or x.kind not in ('generate', 'edit')
	            then 'kind must be generate or edit'
	       when x.duration is null or x.duration > 2147483647
	            then 'missing or malformed duration_ms'
	       when x.credits is null then 'missing or malformed credits'
	       when x.ustatus is null or x.ustatus not in ('ok', 'error')
	            then 'status must be ok or error'
	       end
	from (select
		case p->>'type' when 'usage.recorded' then 'USAGE'
		     when 'user.registered' then 'REGISTER'
		     when 'user.login' then 'LOGIN'
		     when 'credits.balance' then 'BALANCE'
		     else 'IGNORE' end as fact,
		nullif(btrim(p->>'id'), '') as event_id,
		tally_try_timestamptz(p->>'occurred_at') as occurred_at,
		nullif(btrim(coalesce(p->'user'->>'id', p->>'user_id')), '') as user_ext,
		lower(nullif(btrim(coalesce(p->'user'->>'email', p->>'email')), '')) as user_email,
		nullif(btrim(p->>'model'), '') as model,
		p->>'kind' as kind,
		tally_json_minor(p->'duration_ms') as duration,
		tally_json_minor(p->'credits') as credits,
		p->>'status' as ustatus,
		left(p->>'error', 2000) as uerror
		offset 0) x
$$;
