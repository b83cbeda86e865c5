-- 043_product_inactive.sql - a deactivated product sells nothing new.
--
-- `tallyctl product update SKU --active no` keeps a product from being
-- sold: a payment for it made after it was deactivated is HELD like one
-- for an unknown sku (hold_reason PRODUCT_INACTIVE, a case of severity
-- error), until the product is active again (the next tally-allocate
-- releases it) or an admin approves the order as it is.  An order paid
-- while the product was still active (waiting for a seat when it was
-- deactivated) is fulfilled as sold.  So tally needs to know when a
-- product stopped selling: deactivated_at, kept by a trigger whatever
-- changes `active`.

alter table products add column deactivated_at timestamptz;
-- products already inactive stop selling from now on
update products set deactivated_at = now() where not active;
alter table products add constraint products_deactivated_when_inactive
	check (active = (deactivated_at is null));

create function tally_product_deactivated() returns trigger
language plpgsql as $$
begin
	if tg_op = 'INSERT' or new.active is distinct from old.active then
		new.deactivated_at := case when new.active then null else now() end;
	else
		new.deactivated_at := old.deactivated_at;
	end if;
	return new;
end $$;
create trigger products_deactivated
	before insert or update on products
	for each row execute function tally_product_deactivated();

alter table orders drop constraint orders_hold_reason_check;
alter table orders add constraint orders_hold_reason_check check (hold_reason in
	('UNKNOWN_PRODUCT', 'PRODUCT_INACTIVE', 'CURRENCY_MISMATCH', 'UNDERPAID'));

insert into reconcile_categories (category, sort, severity, scoped, title, action) values
('PRODUCT_INACTIVE', 24, 'error', false,
 'Order held: paid for a product after it was deactivated',
 'refund the payment, or approve the order (tallyctl order approve), or reactivate the product (tallyctl product update SKU --active yes)');

-- Why an order is held (sql/041_held_orders.sql), now with the product's
-- state: p_active, and p_deactivated_at against the order's p_paid_at (a
-- payment made before the product was deactivated was a sale).
drop function tally_hold_reason(boolean, text, bigint, text, bigint, bigint,
    text, boolean);
create function tally_hold_reason(p_found boolean, p_sku text,
    p_amount bigint, p_currency text, p_price bigint, p_min_price bigint,
    p_price_currency text, p_approved boolean, p_active boolean,
    p_deactivated_at timestamptz, p_paid_at timestamptz)
returns text language sql immutable parallel safe as $$
	select case
	when p_approved then null
	when not p_found then case when p_sku is not null then 'UNKNOWN_PRODUCT' end
	when not p_active
	     and coalesce(p_paid_at, 'infinity') >= p_deactivated_at
	     then 'PRODUCT_INACTIVE'
	when p_currency is distinct from p_price_currency then 'CURRENCY_MISMATCH'
	when p_amount < coalesce(p_min_price, p_price) then 'UNDERPAID'
	end
$$;

-- Why order p_order would be held now, with its product as it is (the
-- product it names, else the one its sku names now), or NULL: what
-- tally-allocate (queries/allocate/release.sql) compares with the reason
-- an order was held for.
create function tally_order_hold_reason_now(p_order bigint)
returns text language sql stable as $$
	select tally_hold_reason(p.id is not null, o.sku, o.amount_minor,
	           o.currency, p.price_minor, p.min_price_minor, p.currency,
	           o.approved_at is not null, p.active, p.deactivated_at,
	           o.paid_at)
	  from orders o
	  left join lateral (select p.* from products p
	                      where p.id = coalesce(o.product_id,
	                                (select x.id from products x
	                                  where x.sku = o.sku))
	                      limit 1) p on true
	 where o.id = p_order
$$;

grant execute on function
	tally_hold_reason(boolean, text, bigint, text, bigint, bigint, text,
	    boolean, boolean, timestamptz, timestamptz),
	tally_order_hold_reason_now(bigint),
	tally_product_deactivated()
	to tally_batch, tally_admin;
