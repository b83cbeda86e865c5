-- sheet: Summary
-- summary: Reconcile report
--
-- The first page of the exception report: what this run found, what is
-- open after it, and the actions that calls for.  The engine adds the
-- title, the period in words, the as-of instant, the zone and the
-- version, and a PARTIAL banner when the period is not over at the as-of
-- instant (a run whose period ends with the as-of day).  $6 is this run's
-- reconcile_runs.id (the engine's first extra parameter); cases are as
-- the run left them (tally_report_cases, sql/090), the same cases as
-- "Cases by category".
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
-- Actions: one rule per row of `rule` (its sentence for one case and for
-- many, and the tallyctl command that acts), counting its rows of `hit`;
-- a rule that finds nothing gives no line.
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
with k as (
	select x.* from tally_report_cases($3, null) x
),
o as (
	select * from k where k.status = 'OPEN'
),
sev(ord, severity) as (
	values (20, 'error'), (21, 'warning'), (22, 'info')
),
fig(ord, label, value, unit) as (
	select 10, 'Open cases', count(*)::numeric, null::text from o
	union all
	select 11, 'New cases (opened by this run)', count(*), null
	  from reconcile_cases x
	 where x.first_run_id = $6::bigint
	union all
	select 12, 'Cases closed by this run', count(*), null
	  from reconcile_cases x
	 where x.closed_run_id = $6::bigint
	union all
	select 13, 'Accepted cases', count(*), null
	  from k
	 where k.status = 'ACCEPTED'
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
-- what each rule counts, with the instant or day its sentence names
hit(ord, at) as (
	select 10, null::timestamptz from o where o.severity = 'error'
	union all
	select 20, x.paid_at
	  from o
	  join orders x on x.id = (o.keys ->> 'order_id')::bigint
	 where o.category in ('UNDERPAID', 'CURRENCY_MISMATCH', 'UNKNOWN_PRODUCT',
	                      'PRODUCT_INACTIVE')
	   and x.status = 'HELD'
	union all
	select 30, null from o where o.category = 'PAID_NOT_FULFILLED'
	union all
	select 40, null from o where o.category = 'UNPROCESSABLE_EVENT'
	union all
	select 50, null from o where o.severity in ('warning', 'info')
	union all
	select 60, k.accepted_until::timestamptz
	  from k
	 where k.status = 'ACCEPTED'
	   and k.accepted_until < ($3::timestamptz)::date + 7
),
-- each rule's sentence for one and for many (%1$s the count, %2$s the
-- earliest instant or day) and the command that acts
rule(ord, one, many, at_format, command) as (
	values
	(10, '1 open case of severity error: fix the cause (its category''s '
	     'sheet says how), or accept the case with a note.',
	     '%1$s open cases of severity error: fix the cause (each '
	     'category''s sheet says how), or accept the case with a note.',
	     null, 'tallyctl case list --open --severity error'),
	(20, '1 paid order is held for review, paid %2$s: approve or refund '
	     'it (see "Price checks").',
	     '%1$s paid orders are held for review, the oldest paid %2$s: '
	     'approve or refund each (see "Price checks").',
	     'YYYY-MM-DD HH24:MI',
	     'tallyctl order list --held; tallyctl order approve ID --reason TEXT'),
	(30, '1 paid order has no seat or credits: see "Paid not fulfilled".',
	     '%1$s paid orders have no seat or credits: see "Paid not '
	     'fulfilled".', null, 'tallyctl order list --unfulfilled'),
	(40, '1 webhook delivery could not be processed: fix the product or '
	     'the data, then retry.',
	     '%1$s webhook deliveries could not be processed: fix the product '
	     'or the data, then retry.', null,
	     'tallyctl event list --failed; tallyctl event retry ID'),
	(50, '1 open case of severity warning or info: accept it with a note '
	     'and a date if it is expected.',
	     '%1$s open cases of severity warning or info: accept the expected '
	     'ones with a note and a date.', null,
	     'tallyctl case accept ID --note TEXT --until YYYY-MM-DD'),
	(60, '1 accepted case reopens after %2$s unless accepted again.',
	     '%1$s accepted cases reopen, the first after %2$s, unless '
	     'accepted again.', 'YYYY-MM-DD',
	     'tallyctl case list --status ACCEPTED')
),
act(ord, label, command) as (
	select r.ord,
	       format(case when count(*) = 1 then r.one else r.many end,
	              count(*), to_char(min(h.at), r.at_format)),
	       r.command
	  from rule r
	  join hit h on h.ord = r.ord
	 group by r.ord, r.one, r.many, r.at_format, r.command
)
-- the lines in the order the page shows them: figures, then actions
select s.section, s.label, s.value, s.unit, s.command
  from (select f.ord, 'figure', f.label, f.value, f.unit, null::text
          from fig f
        union all
        select 100 + a.ord, 'action', a.label, null, null, a.command
          from act a) as s(ord, section, label, value, unit, command)
 order by s.ord, s.label
