-- sheet: Audit anomalies
-- column: anomaly | Anomaly | Unusual volume or Unusual hour (see below)
-- column: actor | Actor | who acted (audit_log.actor)
-- column: action | Action | what they did (audit_log.action)
-- column: occurrences | Acts | acts in the week
-- column: usual_per_week | Usual per week | the actor's median weekly
--     count of that action over the 8 weeks before
-- column: first_at | First | the first such act in the week
-- column: last_at | Last | the last such act in the week
-- column: entity | Entity | what was acted on (unusual hours)
-- column: reason | Reason | the reason the actor gave
--
-- Acts in the audit log worth a second look; an empty sheet is good news.
--
-- "Unusual volume": an actor who revoked assignments (assignment.revoke)
-- or adjusted credits (user.credit) much more than they usually do: at
-- least 3 such acts in the week and more than twice their median weekly
-- count over the 8 weeks before (weeks without any count as 0; weeks are
-- 7 local days back from the period's start).  usual_per_week is that
-- median.  The floor of 3 keeps one revoke against a quiet history from
-- raising a flag.
--
-- "Unusual hour": any act by a person between 00:00 and 06:00 local time
-- (the report time zone), one row each.  Acts that batch programs make on
-- their own schedule (assignment.expire by tally-expire,
-- order.refund_revoke and order.refund_debit by tally-allocate, see
-- lib/pg/audit.h) are not a person's and are left out.
--
-- Acts count as of the as-of instant.  actor, entity id and reason are
-- typed by people: the engine writes them as strings, never formulas.
-- Order: volume rows first (by actor, action), then hours (by time, id).
with vol as (
	select l.actor, l.action,
	       count(*) filter (where l.at >= $1::timestamptz) as n,
	       min(l.at) filter (where l.at >= $1::timestamptz) as first_at,
	       max(l.at) filter (where l.at >= $1::timestamptz) as last_at,
	       array_agg(l.at) filter (where l.at < $1::timestamptz) as before
	  from audit_log l
	 where l.action in ('assignment.revoke', 'user.credit')
	   and l.at >= $1::timestamptz - interval '8 weeks'
	   and l.at < $2::timestamptz
	   and l.at <= $3::timestamptz
	 group by l.actor, l.action
),
med as (
	select v.actor, v.action, v.n, v.first_at, v.last_at,
	       (select percentile_cont(0.5) within group (order by w.cnt)
	          from (select (select count(*) from unnest(v.before) b
	                         where b >= $1::timestamptz - k * interval '1 week'
	                           and b < $1::timestamptz - (k - 1) * interval '1 week')
	                           as cnt
	                  from generate_series(1, 8) k) w) as median
	  from vol v
	 where v.n >= 3
),
x as (
	select 'Unusual volume' as anomaly,
	       m.actor,
	       m.action,
	       m.n as occurrences,
	       round(m.median::numeric, 1) as usual_per_week,
	       m.first_at,
	       m.last_at,
	       null::text as entity,
	       null::text as reason,
	       0 as ord, null::bigint as audit_id
	  from med m
	 where m.n > 2 * m.median
	union all
	select 'Unusual hour',
	       l.actor,
	       l.action,
	       1,
	       null,
	       l.at,
	       l.at,
	       l.entity || coalesce(' ' || l.entity_id, ''),
	       l.reason,
	       1, l.id
	  from audit_log l
	 where l.at >= $1::timestamptz and l.at < $2::timestamptz
	   and l.at <= $3::timestamptz
	   and extract(hour from l.at) < 6
	   and l.action not in ('assignment.expire', 'order.refund_revoke',
	                        'order.refund_debit')
)
select x.anomaly, x.actor, x.action, x.occurrences, x.usual_per_week,
       x.first_at, x.last_at, x.entity, x.reason
  from x
 order by x.ord,
          case when x.ord = 0 then x.actor end,
          case when x.ord = 0 then x.action end,
          x.first_at, x.audit_id
