-- sheet: Summary
-- summary: Reconcile report
--
-- The first page of the exception report: what this run found, what is
-- open after it, and the actions that calls for.  The engine adds the
-- title, the period in words, the as-of instant, the zone and the
-- version, and a PARTIAL banner when the period is not over at the as-of
-- instant (a run whose period ends with the as-of day).  $6 is this run's
-- reconcile_runs.id (the engine's first extra parameter); cases are as
-- the run left them, the same cases as "Cases by category".
--
-- Figures:
--   open, by severity   OPEN cases (ACCEPTED ones are not open); info
--                       only when there is one
--   new, closed         opened and closed by this run
--   accepted            ACCEPTED cases, until their date
--   open amount         per currency, the open cases' amounts without
--                       their sign (a shortfall and an excess are both
--                       money to see to), in major units; credits (the
--                       CREDIT categories) apart
--   oldest              the oldest open case's age, in days
--
-- Actions: one rule per branch of `act`, each naming the tallyctl command
-- that acts on it; a rule that finds nothing gives no line.
--   errors      open cases of severity error
--   held        open price-check cases (UNDERPAID, CURRENCY_MISMATCH of
--               an order, UNKNOWN_PRODUCT, PRODUCT_INACTIVE) whose order
--               is still HELD: an admin approves or refunds it
--   unfulfilled open PAID_NOT_FULFILLED cases
--   events      open UNPROCESSABLE_EVENT cases: deliveries to fix and
--               retry
--   warnings    open cases of severity warning or info: accept the
--               expected ones, with a note and a date
--   reopening   ACCEPTED cases whose date ends within 7 days of the
--               as-of day: the run after it reopens them
with run as (
	select $6::bigint as id
),
c as (
	select x.*
	  from reconcile_cases x, run
	 where x.status <> 'CLOSED' or x.closed_run_id = run.id
),
o as (
	select x.*
	  from tally_report_cases($3, null) x
	 where x.status = 'OPEN'
),
sev(ord, severity) as (
	values (20, 'error'), (21, 'warning'), (22, 'info')
),
fig(ord, label, value, unit) as (
	select 10, 'Open cases', count(*) filter (where c.status = 'OPEN'),
	       null::text
	  from c
	union all
	select 11, 'New cases (opened by this run)',
	       count(*) filter (where c.first_run_id = run.id), null
	  from c, run
	union all
	select 12, 'Cases closed by this run',
	       count(*) filter (where c.closed_run_id = run.id), null
	  from c, run
	union all
	select 13, 'Accepted cases', count(*) filter (where c.status = 'ACCEPTED'),
	       null
	  from c
	union all
	select s.ord, 'Open cases of severity ' || s.severity,
	       count(o.case_id), null
	  from sev s
	  left join o on o.severity = s.severity
	 group by s.ord, s.severity
	having s.severity <> 'info' or count(o.case_id) > 0
	union all
	select 30, 'Open amount in ' || o.currency,
	       sum(abs(o.amount)), o.currency
	  from o
	 where o.currency is not null
	 group by o.currency
	union all
	select 31, 'Open credits (credit categories)',
	       sum(abs(o.amount_minor)), 'credits'
	  from o
	 where o.currency is null and o.amount_minor is not null
	having count(*) > 0
	union all
	select 40, 'Oldest open case', max(o.age_days), 'days'
	  from o
	having count(*) > 0
),
held as (
	select o.case_id, x.paid_at
	  from o
	  join orders x on x.id = (o.keys ->> 'order_id')::bigint
	 where o.category in ('UNDERPAID', 'CURRENCY_MISMATCH', 'UNKNOWN_PRODUCT',
	                      'PRODUCT_INACTIVE')
	   and x.status = 'HELD'
),
act(ord, label, command) as (
	select 10, format('%s open case%s of severity error: fix the cause '
	                  '(each category''s sheet says how), or accept the '
	                  'case with a note.', count(*),
	                  case when count(*) = 1 then '' else 's' end),
	       'tallyctl case list --open --severity error'
	  from o
	 where o.severity = 'error'
	having count(*) > 0
	union all
	select 20, format('%s paid order%s held for review, the oldest paid '
	                  '%s: approve or refund each (see "Price checks").',
	                  count(*),
	                  case when count(*) = 1 then ' is' else 's are' end,
	                  to_char(min(paid_at), 'YYYY-MM-DD HH24:MI')),
	       'tallyctl order list --held; tallyctl order approve ID --reason TEXT'
	  from held
	having count(*) > 0
	union all
	select 30, format('%s paid order%s no seat or credits: see "Paid not '
	                  'fulfilled".', count(*),
	                  case when count(*) = 1 then ' has' else 's have' end),
	       'tallyctl order list --unfulfilled'
	  from o
	 where o.category = 'PAID_NOT_FULFILLED'
	having count(*) > 0
	union all
	select 40, format('%s webhook deliver%s could not be processed: fix '
	                  'the product or the data, then retry.', count(*),
	                  case when count(*) = 1 then 'y' else 'ies' end),
	       'tallyctl event list --failed; tallyctl event retry ID'
	  from o
	 where o.category = 'UNPROCESSABLE_EVENT'
	having count(*) > 0
	union all
	select 50, format('%s open case%s of severity warning or info: accept '
	                  'the expected ones with a note and a date.', count(*),
	                  case when count(*) = 1 then '' else 's' end),
	       'tallyctl case accept ID --note TEXT --until YYYY-MM-DD'
	  from o
	 where o.severity in ('warning', 'info')
	having count(*) > 0
	union all
	select 60, format('%s accepted case%s reopen%s after %s unless accepted '
	                  'again.', count(*),
	                  case when count(*) = 1 then '' else 's' end,
	                  case when count(*) = 1 then 's' else '' end,
	                  to_char(min(x.accepted_until), 'YYYY-MM-DD')),
	       'tallyctl case list --status ACCEPTED'
	  from tally_report_cases($3, null) x
	 where x.status = 'ACCEPTED'
	   and x.accepted_until < ($3::timestamptz)::date + 7
	having count(*) > 0
)
select x.section, x.label, x.value, x.unit, x.command
  from (select 'figure' as section, f.label, f.value::numeric as value,
               f.unit, null::text as command, f.ord
          from fig f
        union all
        select 'action', a.label, null, null, a.command, 100 + a.ord
          from act a) x
 order by x.ord, x.label
