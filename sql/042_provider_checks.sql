-- 042_provider_checks.sql - what a payment provider's status API answered
-- about a notification, before tally-allocate acted on it.
--
-- Midtrans signs only order_id + status_code + gross_amount, so a stored
-- pending notification relabelled "settlement", or a settlement replayed
-- as "refund", carries a valid signature; Xendit signs nothing in the body
-- (its callback token is fixed).  So for these two schemes tally-allocate
-- asks the provider about every notification (lib/books/confirm.c) and
-- follows the answer: the status, amounts and currency come from the
-- provider, never from the notification.  The notification stays in
-- raw_events as it was received; the answer, and when it was asked, are
-- kept here beside it.

-- One row per notification (the latest ask).
--   ANSWERED     answer is the provider's JSON about the transaction
--   UNKNOWN      the provider does not know it (Midtrans: "status_code"
--                "404" in a 200; Xendit: HTTP 404), or answered about
--                another transaction: the event fails
--   UNREACHABLE  no usable answer (no connection, a timeout, 5xx, a key
--                refused): the event stays NEW and is asked again at
--                next_ask_at, 1, 2, 4, ... 60 minutes after each failure
-- mismatch: how the notification differs from what the provider said
-- (NULL when it agrees, or says less: a "pending" the provider has since
-- settled is no mismatch).
create table provider_checks (
	raw_event_id bigint primary key references raw_events,
	source text not null,
	asked_at timestamptz not null,
	outcome text not null check (outcome in
		('ANSWERED', 'UNKNOWN', 'UNREACHABLE')),
	http_status integer,
	answer jsonb,
	error text,
	failures integer not null default 0 check (failures >= 0),
	next_ask_at timestamptz,
	mismatch jsonb,
	check ((outcome = 'ANSWERED') = (answer is not null)),
	check ((outcome = 'UNREACHABLE') = (next_ask_at is not null))
);
-- explicitly, whatever the default privileges become
grant select, insert, update on provider_checks to tally_batch;
grant select on provider_checks to tally_admin, tally_report;

-- The notification as tally acts on it: the provider's answer laid over
-- it.  The fields that decide what a payment is (status, amounts,
-- currency) are taken out of the notification first, so they can come
-- from the answer only; what the answer does not carry (the sku in
-- custom_field1 or metadata, the customer's e-mail when absent) stays the
-- notification's.  The transaction's identity (Midtrans order_id, Xendit
-- id) stays the one tally asked about: lib/books/confirm.c refuses an
-- answer about another one.
create function tally_confirmed_payload(p_scheme text, p_notified jsonb,
    p_answer jsonb)
returns jsonb language sql immutable parallel safe as $$
	select case p_scheme
	when 'midtrans' then
		(p_notified - array['transaction_status', 'fraud_status',
		    'status_code', 'gross_amount', 'currency', 'transaction_id',
		    'refund_amount', 'chargeback_amount'])
		|| (p_answer - 'order_id')
	when 'xendit' then
		(p_notified - array['status', 'amount', 'paid_amount', 'currency'])
		|| (p_answer - 'id')
	end
$$;

-- What a notification of a scheme says, as one fact (sql/011).
create function tally_fact_of(p_scheme text, p jsonb)
returns setof tally_payment_fact language sql stable as $$
	select * from tally_fact_midtrans(p) where p_scheme = 'midtrans'
	union all
	select * from tally_fact_xendit(p) where p_scheme = 'xendit'
$$;

-- The fact tally-allocate stores for a Midtrans or Xendit notification:
-- the provider's answer (outcome ANSWERED) laid over the notification; an
-- unknown transaction, or one never confirmed, fails the event (and is
-- asked about again when the event is retried).
create function tally_fact_confirmed(p_scheme text, p_notified jsonb,
    p_outcome text, p_answer jsonb)
returns setof tally_payment_fact language sql stable as $$
	select f.fact, f.order_ref, f.obs_status, f.payment_ref, f.sku, f.email,
	       f.amount_minor, f.currency, f.event_at, f.refund_ref,
	       f.refund_kind, f.refund_minor, f.dispute_ref, f.dispute_status,
	       f.dispute_reason, f.details_required,
	       case p_outcome
	       when 'ANSWERED' then f.err
	       when 'UNKNOWN' then 'the provider does not know this transaction'
	       else 'not confirmed with the provider' end
	  from tally_fact_of(p_scheme,
	           case when p_outcome = 'ANSWERED'
	                then tally_confirmed_payload(p_scheme, p_notified, p_answer)
	                else p_notified end) f
$$;

-- NULL when the provider's fact p confirms the notification's fact n, or
-- is where n leads (a settlement refunded since, a larger refund total),
-- or n claims nothing (a "pending": the provider's word is followed
-- anyway); else what differs.
create function tally_fact_disagreement(n tally_payment_fact,
    p tally_payment_fact)
returns text language sql immutable parallel safe as $$
	select case
	when n.err is not null or p.err is not null then null
	when n.fact = 'PAYMENT' and n.obs_status = 'PENDING' then null
	when n.currency is distinct from p.currency then 'currency'
	when n.amount_minor is distinct from p.amount_minor then 'amount'
	when n.fact = 'PAYMENT' and n.obs_status = 'PAID' then
		case when (p.fact = 'PAYMENT' and p.obs_status = 'PAID')
		          or p.fact = 'REFUND' then null else 'status' end
	when n.fact = 'PAYMENT' then
		case when p.fact = 'PAYMENT' and p.obs_status = n.obs_status
		     then null else 'status' end
	when n.fact = 'REFUND' then
		case when p.fact = 'REFUND'
		          and (p.refund_kind = 'CHARGEBACK'
		               or p.refund_kind = n.refund_kind)
		          and p.refund_minor >= n.refund_minor
		     then null else 'status' end
	end
$$;

-- What the notification claimed against what the provider answered, or
-- NULL when they agree (kept in provider_checks.mismatch when asked).
create function tally_notification_mismatch(p_scheme text, p_notified jsonb,
    p_outcome text, p_answer jsonb)
returns jsonb language sql stable as $$
	select case
	when p_outcome = 'UNKNOWN' then
		jsonb_build_object('why', 'the provider does not know this transaction',
		    'notified', jsonb_build_object('status', n.obs_status,
		        'fact', n.fact, 'amount', n.amount_minor,
		        'currency', n.currency, 'refund', n.refund_minor),
		    'provider', null)
	when p_outcome = 'ANSWERED'
	     and tally_fact_disagreement(n, p) is not null then
		jsonb_build_object('why', tally_fact_disagreement(n, p),
		    'notified', jsonb_build_object('status', n.obs_status,
		        'fact', n.fact, 'amount', n.amount_minor,
		        'currency', n.currency, 'refund', n.refund_minor,
		        'raw_status', coalesce(p_notified->>'transaction_status',
		                               p_notified->>'status')),
		    'provider', jsonb_build_object('status', p.obs_status,
		        'fact', p.fact, 'amount', p.amount_minor,
		        'currency', p.currency, 'refund', p.refund_minor,
		        'raw_status', coalesce(p_answer->>'transaction_status',
		                               p_answer->>'status')))
	end
	  from (select * from tally_fact_of(p_scheme, p_notified) limit 1) n
	  left join lateral (select * from tally_fact_of(p_scheme,
	               tally_confirmed_payload(p_scheme, p_notified, p_answer))
	             limit 1) p on true
$$;

insert into reconcile_categories (category, sort, severity, scoped, title, action) values
('NOTIFICATION_MISMATCH', 23, 'error', true,
 'Payment notification contradicted by the provider''s status API',
 'the provider''s answer was followed; find who sent the notification (a forgery, or a fault at the provider)');

-- The NOTIFICATION_MISMATCH cases, as tally-allocate opens them when it
-- acts on the notification and tally-reconcile finds them (received in
-- its period).  Keys: the raw event.  Amount: what the notification said
-- was paid.
create view tally_notification_cases as
select r.id as raw_event_id, 'NOTIFICATION_MISMATCH'::text as category,
       jsonb_build_object('raw_event_id', r.id) as keys,
       r.received_at as occurred_at,
       case when c.mismatch->'notified'->>'currency' ~ '^[A-Z]{3}$'
            then (c.mismatch->'notified'->>'currency')::currency_code
       end as currency,
       case when jsonb_typeof(c.mismatch->'notified'->'amount') = 'number'
            then (c.mismatch->'notified'->>'amount')::bigint
       end as amount_minor,
       jsonb_build_object('source', r.source, 'event_key', r.event_key,
           'scheme', r.scheme, 'order_ref', coalesce(r.payload->>'order_id',
                                                     r.payload->>'id'),
           'why', c.mismatch->>'why', 'notified', c.mismatch->'notified',
           'provider', c.mismatch->'provider', 'asked_at', c.asked_at,
           'received_at', r.received_at) as details
  from provider_checks c
  join raw_events r on r.id = c.raw_event_id
 where c.mismatch is not null;
grant select on tally_notification_cases to tally_batch, tally_admin,
	tally_report;

grant execute on function tally_confirmed_payload(text, jsonb, jsonb),
	tally_fact_of(text, jsonb),
	tally_fact_confirmed(text, jsonb, text, jsonb),
	tally_fact_disagreement(tally_payment_fact, tally_payment_fact),
	tally_notification_mismatch(text, jsonb, text, jsonb)
	to tally_batch, tally_admin;
