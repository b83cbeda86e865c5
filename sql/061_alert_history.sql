-- 061_alert_history.sql - every raise and resolve of an alert, kept.
--
-- `alerts` (010) holds one row per condition with its latest edge only: a
-- condition raised twice in a week shows once, and one raised again later
-- has forgotten the earlier raise.  alert_history keeps each edge as its
-- own row, written by a trigger on `alerts` in the same transaction as the
-- state change, whoever makes it (alert_check and alert_set in
-- lib/books/alert.c, or an admin's SQL).  It is append-only.
--
--   RAISED    the condition became true at `at` (alerts.raised_at)
--   RESOLVED  it became false at `at` (alerts.resolved_at)
-- summary is the alert's summary at that edge (what was wrong, or what
-- the resolving evaluation found).
create table alert_history (
	id bigint generated always as identity primary key,
	key text not null check (length(key) between 1 and 128),
	event text not null check (event in ('RAISED', 'RESOLVED')),
	at timestamptz not null,
	summary text,
	recorded_at timestamptz not null default now()
);
create index alert_history_at on alert_history (at);
create index alert_history_key on alert_history (key, at);

create function tally_alert_history_append_only() returns trigger
language plpgsql as $$
begin
	raise exception 'alert_history is append-only (% refused)', tg_op
		using errcode = 'insufficient_privilege';
end $$;
create trigger alert_history_no_change
	before update or delete on alert_history
	for each row execute function tally_alert_history_append_only();
revoke update, delete, truncate on alert_history from tally_batch, tally_admin;

-- The edges of a row of `alerts`.  A new row that is active was raised; a
-- new row that is not active but carries a raise and a later resolve
-- (a state loaded as a whole) was raised and resolved; a condition first
-- seen while false was never raised and leaves nothing.  An update is an
-- edge when `active` changes, or when an active alert's raised_at moves
-- (raised again without being seen resolved in between).
create function tally_alert_edges() returns trigger
language plpgsql as $$
begin
	if tg_op = 'INSERT' then
		if new.raised_at is not null
		   and (new.active or new.resolved_at >= new.raised_at) then
			insert into alert_history (key, event, at, summary)
			values (new.key, 'RAISED', new.raised_at, new.summary);
		end if;
		if not new.active and new.raised_at is not null
		   and new.resolved_at >= new.raised_at then
			insert into alert_history (key, event, at, summary)
			values (new.key, 'RESOLVED', new.resolved_at, new.summary);
		end if;
	elsif new.active and new.raised_at is not null
	      and (not old.active or new.raised_at is distinct from old.raised_at) then
		insert into alert_history (key, event, at, summary)
		values (new.key, 'RAISED', new.raised_at, new.summary);
	elsif old.active and not new.active and new.resolved_at is not null then
		insert into alert_history (key, event, at, summary)
		values (new.key, 'RESOLVED', new.resolved_at, new.summary);
	end if;
	return null;
end $$;
create trigger alerts_history
	after insert or update of active, raised_at, resolved_at on alerts
	for each row execute function tally_alert_edges();

-- What was there before this migration: the latest edges `alerts` still
-- knows, in time order.
insert into alert_history (key, event, at, summary)
select e.key, e.event, e.at, e.summary
  from (select a.key, 'RAISED' as event, a.raised_at as at, a.summary
          from alerts a
         where a.raised_at is not null
           and (a.active or a.resolved_at >= a.raised_at)
        union all
        select a.key, 'RESOLVED', a.resolved_at, a.summary
          from alerts a
         where not a.active and a.raised_at is not null
           and a.resolved_at >= a.raised_at) e
 order by e.at, e.key, e.event desc;
