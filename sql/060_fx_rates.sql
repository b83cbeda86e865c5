-- 060_fx_rates.sql - exchange rates an admin sets (tallyctl fx set FROM TO
-- RATE --from DATE, audited), so that the monthly margins can put a
-- provider's cost in one currency against sales in another.
--
-- A rate says: one unit of from_currency is worth `rate` units of
-- to_currency (major units: 1 EUR = 1.08 USD), from the local day
-- valid_from on, until a later valid_from of the same pair.  The table is
-- append-only: setting a rate again for the same pair and day adds a row
-- that supersedes the older one (the latest recorded wins).  Nothing is
-- ever changed in place, so a report rerun at an earlier as-of instant
-- finds the rates exactly as they were then (created_at <= as-of) and
-- gives the same figures.
create table fx_rates (
	id bigint generated always as identity primary key,
	from_currency currency_code not null,
	to_currency currency_code not null,
	rate numeric(30, 12) not null check (rate > 0),
	valid_from date not null,
	created_at timestamptz not null default now(),
	created_by text not null,
	check (from_currency <> to_currency)
);
create index fx_rates_pair on fx_rates (from_currency, to_currency,
	valid_from, created_at);

create function tally_fx_append_only() returns trigger
language plpgsql as $$
begin
	raise exception 'fx_rates is append-only (% refused): set a new rate instead',
		tg_op using errcode = 'insufficient_privilege';
end $$;
create trigger fx_rates_no_change
	before update or delete on fx_rates
	for each row execute function tally_fx_append_only();
revoke update, delete, truncate on fx_rates from tally_batch, tally_admin;

-- The rate from p_from to p_to in force on local day p_on, as recorded by
-- p_asof: 1 for the same currency; the latest rate set for the pair with
-- valid_from <= p_on; failing that, the inverse of the latest rate set the
-- other way round (1 / rate, to 12 decimals); NULL when neither is known.
-- One row: the rate and how it reads ("1 EUR = 1.080000000000 USD" as
-- set, trailing zeros trimmed), for the sheets that show the rate used.
create function tally_fx(p_from text, p_to text, p_on date,
    p_asof timestamptz)
returns table (rate numeric, label text)
language sql stable as $$
	with direct as (
		select r.rate
		  from fx_rates r
		 where r.from_currency = p_from and r.to_currency = p_to
		   and r.valid_from <= p_on and r.created_at <= p_asof
		 order by r.valid_from desc, r.created_at desc, r.id desc
		 limit 1),
	inverse as (
		select r.rate
		  from fx_rates r
		 where r.from_currency = p_to and r.to_currency = p_from
		   and r.valid_from <= p_on and r.created_at <= p_asof
		 order by r.valid_from desc, r.created_at desc, r.id desc
		 limit 1)
	select case when p_from = p_to then 1::numeric
	            when (select rate from direct) is not null
	            then (select rate from direct)
	            else round(1 / (select rate from inverse), 12) end,
	       case when p_from = p_to then null
	            when (select rate from direct) is not null
	            then format('1 %s = %s %s', p_from,
	                        trim_scale((select rate from direct)), p_to)
	            when (select rate from inverse) is not null
	            then format('1 %s = %s %s', p_to,
	                        trim_scale((select rate from inverse)), p_from)
	       end
$$;
