-- 020_report_support.sql - the "as of an instant" rules the weekly and
-- monthly reports share, written once so every sheet applies them the same
-- way.
--
-- A report is reproducible: rerun for the same period at the same as-of
-- instant, it must give the same figures although the tables have moved on.
-- So nothing here reads a mutable column (a status, a counter) where the
-- history can be rebuilt from timestamps:
--   - an assignment is visible at t when created_at <= t, and has ended at
--     t only when ended_at <= t (a later expiry or revocation does not
--     count yet);
--   - an account's suspension at t is rebuilt from the audit log
--     (account.suspend / account.reactivate, lib/audit.h), falling back to
--     its current status for an account no admin ever suspended or
--     reactivated (created or imported that way);
--   - a usage event counts at t when it started by t and its delivery was
--     not received after t.
-- These functions are LANGUAGE sql and STABLE; the set-returning ones are a
-- single SELECT, so the planner inlines them into the calling query (and
-- partition pruning on usage_events still applies).  They read only tables
-- of 001/002, so this migration does not depend on later features.  Two
-- small indexes at the end serve the reports' look-ups.

-- The last instant a period [.., p_to) describes as of p_asof: the state
-- "at the end of the week" is the state just before the next week starts
-- (an account created at Monday 00:00 belongs to the next week, one that
-- ended then was still held in this one), unless the as-of instant is
-- earlier.  timestamptz has microsecond resolution, so this is exact.
create function tally_report_instant(p_to timestamptz, p_asof timestamptz)
returns timestamptz language sql immutable parallel safe as $$
	select least(p_to - interval '1 microsecond', p_asof)
$$;

-- Accounts whose suspension an admin changed, with their state at p_at: the
-- last suspend/reactivate at or before p_at decides; when every such act
-- is later than p_at, the first of them tells the state it changed from.
-- The audit row names the account by id or by e-mail (either is accepted).
create function tally_report_suspensions(p_at timestamptz)
returns table (account_id bigint, suspended boolean)
language sql stable as $$
	select distinct on (e.account_id) e.account_id,
	       case when e.at <= p_at then e.action = 'account.suspend'
	            else e.action = 'account.reactivate' end
	  from (select a.id as account_id, l.at, l.id as audit_id, l.action
	          from audit_log l
	          join pool_accounts a
	            on lower(l.entity_id) in (a.id::text, lower(a.email))
	         where l.action in ('account.suspend', 'account.reactivate')) e
	 order by e.account_id,
	          e.at > p_at,
	          case when e.at <= p_at then e.at end desc,
	          case when e.at <= p_at then e.audit_id end desc,
	          e.at, e.audit_id
$$;

-- The pool at instant p_at: every account that existed, its capacity
-- (a single-user account has one seat), the seats held then and whether it
-- was suspended.  A seat is held from the assignment's creation (when the
-- trigger in 001 counts it) until it ended, so at now() seats_used equals
-- current_seats_used.
create function tally_report_pool_at(p_at timestamptz)
returns table (account_id bigint, email text, single_user boolean,
    capacity integer, seats_used integer, suspended boolean)
language sql stable as $$
	select a.id, a.email, a.max_seats is null, coalesce(a.max_seats, 1),
	       coalesce(u.n, 0)::integer,
	       coalesce(s.suspended, a.status = 'SUSPENDED')
	  from pool_accounts a
	  left join (select x.account_id, count(*) as n
	               from assignments x
	              where x.created_at <= p_at
	                and (x.ended_at is null or x.ended_at > p_at)
	              group by x.account_id) u on u.account_id = a.id
	  left join tally_report_suspensions(p_at) s on s.account_id = a.id
	 where a.created_at <= p_at
$$;

-- Assignments as they stood at p_asof: only those created by then, with
-- the status and ended_at they had then (ACTIVE and NULL when they ended
-- later).  ends_at is the current one: an extension made after p_asof is
-- already in it (the audit log keeps the old value, the table does not).
create function tally_report_assignments(p_asof timestamptz)
returns table (id bigint, account_id bigint, customer_id bigint,
    order_id bigint, status text, starts_at timestamptz, ends_at timestamptz,
    ended_at timestamptz, created_at timestamptz)
language sql stable as $$
	select x.id, x.account_id, x.customer_id, x.order_id,
	       case when x.ended_at <= p_asof then x.status else 'ACTIVE' end,
	       x.starts_at, x.ends_at,
	       case when x.ended_at <= p_asof then x.ended_at end,
	       x.created_at
	  from assignments x
	 where x.created_at <= p_asof
$$;

-- Seat use of every account over [p_from, least(p_to, p_asof)): the
-- seat-seconds available (capacity times the part of the window the
-- account existed in) and used (each assignment's time from starts_at to
-- its end, or to the window's end while it still ran at p_asof, clipped to
-- the same window).  Suspended time still counts as available: the account
-- is paid for either way, and `suspended` (at the window's end) lets a
-- sheet leave such accounts out (tally_report_instant: the last instant
-- of the window).  Seconds, not days, so a DST month (a 23- or 25-hour
-- day) is measured exactly; sheets convert to days.
create function tally_report_seat_use(p_from timestamptz, p_to timestamptz,
    p_asof timestamptz)
returns table (account_id bigint, email text, single_user boolean,
    capacity integer, suspended boolean, assignments bigint,
    available_seconds numeric, used_seconds numeric)
language sql stable as $$
	select j.account_id, j.email, j.single_user, j.capacity, j.suspended,
	       count(j.span) filter (where not isempty(j.span)),
	       j.capacity * extract(epoch from upper(j.win) - lower(j.win)),
	       coalesce(sum(extract(epoch from upper(j.span) - lower(j.span)))
	                filter (where not isempty(j.span)), 0)
	  from (select w.*,
	               -- NULL span: no assignment at all (tstzrange(NULL,
	               -- NULL) would be the unbounded range, not NULL); NULL
	               -- upper bound: still running (greatest() would skip a
	               -- NULL end)
	               case when x.id is not null then
	                    tstzrange(x.starts_at, case when x.ended_at is not null
	                              then greatest(x.ended_at, x.starts_at) end)
	                    * w.win end as span
	          from (select p.account_id, p.email, p.single_user, p.capacity,
	                       p.suspended,
	                       tstzrange(greatest(p_from, a.created_at),
	                                 least(p_to, p_asof)) as win
	                  from tally_report_pool_at(tally_report_instant(p_to, p_asof)) p
	                  join pool_accounts a on a.id = p.account_id
	                 where greatest(p_from, a.created_at) < least(p_to, p_asof)) w
	          -- a hash join on the account, not a scan of assignments per
	          -- account: there is no index on assignments.account_id for
	          -- rows that are not ACTIVE
	          left join tally_report_assignments(p_asof) x
	            on x.account_id = w.account_id
	           and x.starts_at < upper(w.win)
	           and (x.ended_at is null or x.ended_at > lower(w.win))) j
	 group by j.account_id, j.email, j.single_user, j.capacity,
	          j.suspended, j.win
$$;

-- Seats in use over [p_from, least(p_to, p_asof)) for the whole pool: the
-- peak number held at once and the time-weighted average.  The peak is a
-- running sum of +1 at each start and -1 at each end (ends first when they
-- fall on the same instant: a seat freed and taken again at once is one
-- seat); an assignment already running at the window's start enters at the
-- start.  One row, zeros for an empty window.
create function tally_report_seat_demand(p_from timestamptz,
    p_to timestamptz, p_asof timestamptz)
returns table (peak_seats integer, avg_seats numeric)
language sql stable as $$
	with iv as (
		select greatest(x.starts_at, p_from) as s,
		       case when x.ended_at is not null
		            then greatest(x.ended_at, x.starts_at, p_from) end as e
		  from tally_report_assignments(p_asof) x
		 where x.starts_at < least(p_to, p_asof)
		   and (x.ended_at is null or x.ended_at > p_from)),
	ev as (
		select s as t, 1 as d from iv
		union all
		select e, -1 from iv where e < least(p_to, p_asof)),
	run as (
		select sum(d) over (order by t, d rows unbounded preceding) as lvl
		  from ev)
	select coalesce((select max(lvl) from run), 0)::integer,
	       case when least(p_to, p_asof) > p_from then
	            -- least() skips a NULL end: still running at the window's end
	            coalesce((select sum(extract(epoch from
	                          least(e, p_to, p_asof) - s)) from iv), 0)
	            / extract(epoch from least(p_to, p_asof) - p_from)
	       else 0 end
$$;

-- Usage events that count for [p_from, p_to) as of p_asof: started in the
-- window and by p_asof, and not delivered after p_asof (an event that
-- arrives late changes a rerun only when the rerun's as-of is later).
-- Rows loaded without a raw event (imports, benchmarks) count by started_at
-- alone.  Written as an anti-join against the deliveries received after
-- p_asof -- normally the last few minutes' worth, found through the BRIN
-- index on received_at -- rather than as "its delivery was received by
-- p_asof", which would probe raw_events once per usage event.
create function tally_report_usage(p_from timestamptz, p_to timestamptz,
    p_asof timestamptz)
returns setof usage_events
language sql stable as $$
	select u.*
	  from usage_events u
	 where u.started_at >= p_from and u.started_at < p_to
	   and u.started_at <= p_asof
	   and not exists (select 1 from raw_events r
	                    where r.id = u.raw_event_id and r.received_at > p_asof)
$$;

-- Calls, credits and provider cost per model over a window.  Every call is
-- costed, failed ones too: the provider may bill a call that failed on our
-- side, and an estimate of cost should not come out low.  The price is the
-- model's current provider_cost_minor (no price history is kept).
create function tally_report_model_usage(p_from timestamptz,
    p_to timestamptz, p_asof timestamptz)
returns table (model_id bigint, model text, calls bigint, ok_calls bigint,
    error_calls bigint, credits bigint, cost_minor bigint,
    cost_currency text)
language sql stable as $$
	select m.id, m.name, count(*), count(*) filter (where u.status = 'ok'),
	       count(*) filter (where u.status = 'error'),
	       coalesce(sum(u.credits), 0)::bigint,
	       (count(*) * m.provider_cost_minor)::bigint,
	       m.provider_currency::text
	  from tally_report_usage(p_from, p_to, p_asof) u
	  join models m on m.id = u.model_id
	 group by m.id, m.name, m.provider_cost_minor, m.provider_currency
$$;

-- The weekly "Waiting event" line looks for deliveries not processed by an
-- instant: status NEW (raw_events_pending) or processed after it.  Rows are
-- processed shortly after they arrive, so processed_at follows the table's
-- physical order closely enough for a BRIN index: a few pages, and no
-- sequential scan of every delivery ever received.
create index raw_events_processed on raw_events using brin (processed_at);

-- Rebuilding suspensions (tally_report_suspensions, called once per
-- instant a sheet looks at) reads only suspend/reactivate acts: a small
-- partial index instead of a scan of an audit log that grows with every
-- expiry and revocation.
create index audit_log_suspensions on audit_log (at)
	where action in ('account.suspend', 'account.reactivate');
