-- sheet: Summary
-- summary: Weekly report
--
-- The first page of the weekly report: the week's headline figures and
-- the actions they call for.  The engine adds the title, the week in
-- words ("Week of 2026-11-16"), the as-of instant, the zone and the
-- version, and a PARTIAL banner when the week is not over at the as-of
-- instant.  Every figure is cut as the sheet it comes from cuts it (the
-- functions of sql/020 and 062, the same as-of rules); "at the end of the
-- week" is its last instant, or the as-of instant when that is earlier.
--
-- Actions: one rule per branch of `act`, each naming the tallyctl command
-- that acts on it; a rule that finds nothing gives no line.
--   unfulfilled  paid orders still waiting for a seat or credits at the
--                end of the week (the "Paid unfulfilled" sheet)
--   held         orders tally-allocate holds for an admin (a payment
--                wrong for its product: underpaid, another currency, an
--                unknown or retired product), among the unfulfilled ones:
--                held at the end of the week and still held (a hold is
--                state: one released since is not counted)
--   cases        reconcile cases of severity error open at the end of
--                the week (as in "Issues")
--   alerts       alerts still active at the end of the week
--   suspended    accounts suspended at the end of the week
--   capacity     next month's forecast peak (tally_report_capacity, as in
--                the monthly "Capacity forecast", from the month the week
--                ends in) leaves fewer free seats than the buffer
--                (alert_seat_threshold, 5 when absent)
--   events       deliveries received in the week that allocate could not
--                process
with t(at) as (
	select tally_report_instant($2::timestamptz, $3::timestamptz)
),
pool as (
	select p.* from t, tally_report_pool_at(t.at) p
),
u as (
	select * from tally_report_usage($1::timestamptz, $2::timestamptz,
	                                 $3::timestamptz)
),
sla(seconds) as (
	select 60 * coalesce(($5::jsonb ->> 'fulfil_sla_minutes')::numeric, 5)
),
paid as (
	select o.id,
	       exists (select 1 from fulfilments f
	                where f.order_id = o.id and f.created_at <= $3::timestamptz
	                  and extract(epoch from f.created_at - o.paid_at)
	                      <= sla.seconds) as within
	  from orders o, sla
	 where o.paid_at >= $1::timestamptz and o.paid_at < $2::timestamptz
	   and o.paid_at <= $3::timestamptz and o.created_at <= $3::timestamptz
),
unfulfilled as (
	select o.id, o.paid_at,
	       o.status = 'HELD' and o.held_at <= t.at as held
	  from t
	  join orders o on o.paid_at <= t.at and o.created_at <= t.at
	 where not exists (select 1 from fulfilments f
	                    where f.order_id = o.id and f.created_at <= t.at)
	   and (select coalesce(sum(r.amount_minor), 0) from refunds r
	         where r.order_id = o.id and r.created_at <= t.at)
	       < greatest(o.amount_minor, 1)
),
cases as (
	select c.severity
	  from reconcile_cases c, t
	 where c.first_seen <= t.at
	   and (c.closed_at is null or c.closed_at > t.at)
	   and not (c.accepted_at is not null and c.accepted_at <= t.at
	            and (c.accepted_until is null
	                 or c.accepted_until >= t.at::date))
),
alerts as (
	select distinct on (h.key) h.key, h.event, h.summary
	  from alert_history h, t
	 where h.at <= t.at
	 order by h.key, h.at desc, h.id desc
),
cap as (
	select c.*
	  from t, tally_report_capacity(date_trunc('month', t.at), $2::timestamptz,
	          $3::timestamptz,
	          coalesce(($5::jsonb ->> 'alert_seat_threshold')::integer, 5)) c
	 where c.basis = 'forecast'
),
fig(ord, label, value, unit) as (
	select 10, 'Seats free at the end of the week',
	       coalesce(sum(p.capacity - p.seats_used) filter (where not p.suspended),
	                0)::numeric, null::text
	  from pool p
	union all
	select 11, 'Seat utilisation',
	       round(sum(p.seats_used) filter (where not p.suspended)::numeric
	             / nullif(sum(p.capacity) filter (where not p.suspended), 0), 4),
	       'percent'
	  from pool p
	union all
	select 20, 'New assignments', count(*), null
	  from tally_report_assignments($3::timestamptz) a
	 where a.starts_at >= $1::timestamptz and a.starts_at < $2::timestamptz
	union all
	select 30, 'Orders paid', count(*), null from paid
	union all
	select 31, 'Paid orders fulfilled within the SLA',
	       round(count(*) filter (where within)::numeric / nullif(count(*), 0), 4),
	       'percent'
	  from paid
	union all
	select 32, 'Paid orders waiting for fulfilment', count(*), null
	  from unfulfilled
	union all
	select 40, 'Images generated',
	       count(*) filter (where u.kind = 'generate' and u.status = 'ok'), null
	  from u
	union all
	select 41, 'Images edited',
	       count(*) filter (where u.kind = 'edit' and u.status = 'ok'), null
	  from u
	union all
	select 42, 'Failed calls', count(*) filter (where u.status = 'error'), null
	  from u
	union all
	select 43, 'Credits consumed', coalesce(sum(u.credits), 0), null from u
	union all
	select 44, 'Active users', count(distinct u.user_id), null from u
	union all
	select 45, 'Registered users at the end of the week', count(*), null
	  from app_users a
	 where coalesce(a.registered_at, a.created_at) < $2::timestamptz
	   and a.created_at <= $3::timestamptz
	union all
	select 46, 'Credits per active user',
	       round(coalesce(sum(u.credits), 0)::numeric
	             / nullif(count(distinct u.user_id), 0), 1),
	       null
	  from u
	union all
	select 50, 'Net revenue in ' || m.currency,
	       tally_major(m.net_minor, m.currency), m.currency
	  from tally_report_net_revenue($1::timestamptz, $2::timestamptz,
	                                $3::timestamptz) m
	union all
	select 60, 'Alerts raised', count(*), null
	  from alert_history h
	 where h.event = 'RAISED'
	   and h.at >= $1::timestamptz and h.at < $2::timestamptz
	   and h.at <= $3::timestamptz
	union all
	select 61, 'Open reconcile cases', count(*), null from cases
),
act(ord, label, command) as (
	select 10, format('%s paid order%s waiting for a seat or credits, the '
	                  'oldest paid %s: see "Paid unfulfilled".',
	                  count(*), case when count(*) = 1 then ' is' else 's are' end,
	                  to_char(min(paid_at), 'YYYY-MM-DD HH24:MI')),
	       'tallyctl order list --unfulfilled'
	  from unfulfilled
	having count(*) > 0
	union all
	select 11, format('%s paid order%s held for review, the oldest paid '
	                  '%s: approve or refund each.', count(*),
	                  case when count(*) = 1 then ' is' else 's are' end,
	                  to_char(min(paid_at), 'YYYY-MM-DD HH24:MI')),
	       'tallyctl order list --held; tallyctl order approve ID --reason TEXT'
	  from unfulfilled
	 where held
	having count(*) > 0
	union all
	select 20, format('%s reconcile case%s of severity error %s open.',
	                  count(*), case when count(*) = 1 then '' else 's' end,
	                  case when count(*) = 1 then 'is' else 'are' end),
	       'tallyctl case list --open'
	  from cases
	 where severity = 'error'
	having count(*) > 0
	union all
	select 30, format('Alert %s is active: %s.', a.key, a.summary),
	       'tallyctl status'
	  from alerts a
	 where a.event = 'RAISED'
	union all
	select 40, format('%s account%s suspended: reactivate what can be sold '
	                  'again.', count(*),
	                  case when count(*) = 1 then ' is' else 's are' end),
	       'tallyctl account list --status SUSPENDED'
	  from pool p
	 where p.suspended
	having count(*) > 0
	union all
	select 50, format('Add %s account%s of %s seat%s: next month''s peak is '
	                  'forecast at %s seats, capacity is %s and %s should '
	                  'stay free.', c.accounts_to_add,
	                  case when c.accounts_to_add = 1 then '' else 's' end,
	                  c.account_seats,
	                  case when c.account_seats = 1 then '' else 's' end,
	                  c.forecast_peak_seats, c.seat_capacity, c.buffer),
	       'tallyctl account add EMAIL --max-seats ' || c.account_seats
	  from cap c
	 where c.accounts_to_add > 0
	union all
	select 60, format('%s deliver%s received this week could not be '
	                  'processed.', count(*),
	                  case when count(*) = 1 then 'y' else 'ies' end),
	       'tallyctl event list --failed'
	  from raw_events r
	 where r.status = 'FAILED'
	   and r.received_at >= $1::timestamptz and r.received_at < $2::timestamptz
	   and coalesce(r.processed_at, r.received_at) <= $3::timestamptz
	having count(*) > 0
)
select x.section, x.label, x.value, x.unit, x.command
  from (select 'figure' as section, f.label, f.value, f.unit,
               null::text as command, f.ord
          from fig f
        union all
        select 'action', a.label, null, null, a.command, 100 + a.ord
          from act a) x
 order by x.ord, x.label
