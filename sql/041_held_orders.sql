-- 041_held_orders.sql - every paid order is checked against its product's
-- price and currency before anything is given, and a paid order is never
-- lost from the books: one that cannot be given as it is (it names an
-- unknown sku, or paid too little, or in another currency) is HELD, with
-- its money and customer, until the product exists or an admin approves
-- it; each such order is a case (reconcile_cases) from the moment
-- tally-allocate holds it.

-- The lowest price still accepted for a product (a coupon's price), in the
-- product's currency; NULL: the price itself.
alter table products add column min_price_minor money_minor
	check (min_price_minor >= 0);
alter table products add constraint products_min_price_at_most_price
	check (min_price_minor <= price_minor);

-- sku: the sku the payment named, kept even when no product has it (yet).
-- hold_reason: why the order is HELD (NULL: not held):
--   UNKNOWN_PRODUCT    the sku names no product
--   CURRENCY_MISMATCH  paid in another currency than the product's price
--   UNDERPAID          paid less than the product's lowest accepted price
-- price_minor: the product's price (in its currency) when tally-allocate
--   found the payment wrong (held, or paid more than the price).
-- approved_at / approved_by: an admin released the hold (order approve):
--   the order is fulfilled without the price check.
alter table orders
	add column sku text check (length(sku) between 1 and 64),
	add column hold_reason text check (hold_reason in
		('UNKNOWN_PRODUCT', 'CURRENCY_MISMATCH', 'UNDERPAID')),
	add column held_at timestamptz,
	add column price_minor money_minor,
	add column approved_at timestamptz,
	add column approved_by text check (length(approved_by) between 1 and 128);
alter table orders drop constraint orders_status_check;
alter table orders add constraint orders_status_check check (status in
	('PENDING', 'PAID', 'REFUNDED', 'PARTIALLY_REFUNDED', 'DISPUTED',
	 'CANCELLED', 'EXPIRED', 'DENIED', 'FAILED', 'HELD'));
-- HELD is a paid order kept from fulfilment, always with its reason.
alter table orders add constraint orders_held_has_reason
	check (status <> 'HELD' or (hold_reason is not null and held_at is not null));
alter table orders add constraint orders_approved_by_someone
	check ((approved_at is null) = (approved_by is null));
-- the held orders (few): tallyctl order list --held, the alert, reconcile
create index orders_held on orders (hold_reason) where status = 'HELD';

-- What tally-allocate and reconcile both open, with the same fingerprint
-- (the category and the problem's keys, as lib/books/reconcile.c keeps
-- them), so a case allocate opened is found again by reconcile, and
-- closed by reconcile once the problem is gone (the order approved,
-- fulfilled or refunded).
insert into reconcile_categories (category, sort, severity, scoped, title, action) values
('UNDERPAID', 20, 'error', false,
 'Order held: paid less than the product''s lowest accepted price',
 'refund the payment, or approve the order (tallyctl order approve), or lower the product''s min price'),
('UNKNOWN_PRODUCT', 21, 'error', false,
 'Order held: the payment names a sku that is no product',
 'add the product (tallyctl product add); the next tally-allocate fulfils the order'),
('OVERPAID', 22, 'warning', true,
 'Order fulfilled, but paid more than the product''s price',
 'refund the difference, or accept the case');
update reconcile_categories
   set title = 'Currency differs: the settled charge from our payment, or a payment from its product''s price',
       action = 'a settlement row: compare the charge at the provider with the order; a held order: refund it, or approve it (tallyctl order approve)'
 where category = 'CURRENCY_MISMATCH';

create function tally_case_fingerprint(p_category text, p_keys jsonb)
returns text language sql immutable parallel safe as $$
	select p_category || ':' || md5(p_keys::text)
$$;

-- Open a case unless one with the same fingerprint is not CLOSED; its
-- severity is the category's.  Returns whether it opened one.  A case
-- opened here has no run (first_run_id NULL) until reconcile finds it.
create function tally_case_open(p_category text, p_keys jsonb,
    p_occurred_at timestamptz, p_currency text, p_amount bigint,
    p_details jsonb)
returns boolean language plpgsql as $$
declare
	sev text;
begin
	select severity into sev from reconcile_categories
	 where category = p_category;
	if not found then
		raise exception 'no case category %', p_category
			using errcode = 'foreign_key_violation';
	end if;
	insert into reconcile_cases (category, fingerprint, keys, severity,
	    currency, amount_minor, details, occurred_at, first_seen, last_seen)
	values (p_category, tally_case_fingerprint(p_category, p_keys), p_keys,
	    sev, p_currency, p_amount, coalesce(p_details, '{}'), p_occurred_at,
	    now(), now())
	on conflict (fingerprint) where status <> 'CLOSED' do nothing;
	return found;
end $$;

-- Why an order with this product (found: there is one), amount and
-- currency is held, or NULL: it may be fulfilled.  An approved order is
-- never held; an order without a product and without a sku is not held
-- either (a Stripe payment intent before its Checkout Session: it waits
-- in the fulfilment queue for the session).
create function tally_hold_reason(p_found boolean, p_sku text,
    p_amount bigint, p_currency text, p_price bigint, p_min_price bigint,
    p_price_currency text, p_approved boolean)
returns text language sql immutable parallel safe as $$
	select case
	when p_approved then null
	when not p_found then case when p_sku is not null then 'UNKNOWN_PRODUCT' end
	when p_currency is distinct from p_price_currency then 'CURRENCY_MISMATCH'
	when p_amount < coalesce(p_min_price, p_price) then 'UNDERPAID'
	end
$$;

-- The status a paid order has from its stored refunds and disputes (what
-- HELD stands in for while the order is held).
create function tally_order_paid_status(p_order bigint)
returns text language sql stable as $$
	select tally_order_status(true, null, o.amount_minor, rf.refunded,
	           rf.chargeback, coalesce(d.open, false))
	  from orders o
	 cross join lateral tally_order_reversed(o.id) rf
	  left join lateral (select bool_or(x.status = 'OPEN') as open
	                       from disputes x where x.order_id = o.id) d on true
	 where o.id = p_order
$$;

-- Release a HELD order: it takes the status its money gives it and, when
-- it is still fulfillable, joins the fulfilment queue.  approved_by NULL:
-- the reason is gone (its sku names a product now), the price is checked
-- again when it is fulfilled; otherwise an admin approved it as it is
-- (order approve; the caller audits) and it is fulfilled without the
-- price check.  Returns the new status, or NULL when the order is not
-- HELD (nothing done).  Locks the order row.
create function tally_order_unhold(p_order bigint, p_approved_by text)
returns text language plpgsql as $$
declare
	o orders%rowtype;
	st text;
	rf record;
begin
	select * into o from orders where id = p_order for no key update;
	if not found or o.status <> 'HELD' then
		return null;
	end if;
	st := tally_order_paid_status(p_order);
	select * into rf from tally_order_reversed(p_order);
	update orders
	   set status = st, hold_reason = null, held_at = null,
	       approved_at = case when p_approved_by is not null then now() end,
	       approved_by = p_approved_by, updated_at = now()
	 where id = p_order;
	if tally_order_fulfillable(true, o.amount_minor, rf.refunded, rf.chargeback)
	   and not exists (select 1 from fulfilments f where f.order_id = p_order) then
		insert into fulfil_queue (order_id) values (p_order)
		on conflict (order_id) do nothing;
	end if;
	return st;
end $$;

-- The cases of held orders, as both tally-allocate (when it holds an
-- order: queries/allocate/hold_cases.sql) and tally-reconcile (every run,
-- lib/books/reconcile_find.c) open and find them.  Keys: the order.
-- Amount: what is missing (UNDERPAID: the lowest accepted price minus what
-- was paid), else what was paid, in the currency paid.
create view tally_held_cases as
select o.id as order_id, o.hold_reason as category,
       jsonb_build_object('order_id', o.id) as keys,
       o.paid_at as occurred_at, o.held_at, o.currency,
       case o.hold_reason
            when 'UNDERPAID'
            then coalesce(p.min_price_minor, p.price_minor) - o.amount_minor
            else o.amount_minor end::bigint as amount_minor,
       jsonb_build_object('source', o.source, 'provider_ref', o.provider_ref,
           'order_id', o.id, 'customer_email', c.email,
           'sku', coalesce(p.sku, o.sku),
           'paid', tally_major(o.amount_minor, o.currency),
           'paid_currency', o.currency,
           'price', tally_major(p.price_minor, p.currency),
           'min_price', tally_major(p.min_price_minor, p.currency),
           'price_currency', p.currency,
           'paid_at', o.paid_at, 'held_at', o.held_at) as details
  from orders o
  left join products p on p.id = o.product_id
  left join customers c on c.id = o.customer_id
 where o.status = 'HELD';

-- Fulfilled orders that paid more than the price they were checked
-- against, and kept more after refunds.  Amount: the excess kept.
create view tally_overpaid_cases as
select o.id as order_id, 'OVERPAID'::text as category,
       jsonb_build_object('order_id', o.id) as keys,
       o.paid_at as occurred_at, o.currency,
       (o.amount_minor - rf.refunded - o.price_minor)::bigint as amount_minor,
       jsonb_build_object('source', o.source, 'provider_ref', o.provider_ref,
           'order_id', o.id, 'customer_email', c.email, 'sku', p.sku,
           'paid', tally_major(o.amount_minor, o.currency),
           'refunded', tally_major(rf.refunded, o.currency),
           'price', tally_major(o.price_minor, o.currency),
           'paid_at', o.paid_at) as details
  from orders o
 cross join lateral tally_order_reversed(o.id) rf
  left join products p on p.id = o.product_id
  left join customers c on c.id = o.customer_id
 where o.price_minor is not null and o.status <> 'HELD'
   and o.amount_minor - rf.refunded > o.price_minor
   and exists (select 1 from fulfilments f where f.order_id = o.id);

grant select on tally_held_cases, tally_overpaid_cases
	to tally_batch, tally_admin, tally_report;

grant execute on function tally_case_fingerprint(text, jsonb),
	tally_case_open(text, jsonb, timestamptz, text, bigint, jsonb),
	tally_hold_reason(boolean, text, bigint, text, bigint, bigint, text, boolean),
	tally_order_paid_status(bigint), tally_order_unhold(bigint, text)
	to tally_batch, tally_admin;
