-- sheet: Aging
-- chart: column; category=category; values=d0_2,d3_7,d8_30,d31_plus; title=Open cases by age (days)
-- column: category | Category | the exception category
-- column: d0_2 | 0-2 days | OPEN cases 0 to 2 days old
-- column: d3_7 | 3-7 days | OPEN cases 3 to 7 days old
-- column: d8_30 | 8-30 days | OPEN cases 8 to 30 days old
-- column: d31_plus | Over 30 days | OPEN cases more than 30 days old
-- column: total | Open | all OPEN cases of the category
-- column: oldest_days | Oldest (days) | the oldest open case's age
--
-- OPEN cases per category by age: days from when the thing happened (the
-- payment, the settlement row, the event; for state such as a seat
-- counter, from when the case was first seen) to the as-of instant, in
-- whole days: 0-2, 3-7, 8-30 and more than 30.  Every category has a row.
-- oldest_days: the oldest open case's age.
with c as (
	select x.category, x.age_days as age
	  from tally_report_cases($3, null) x
	 where x.status = 'OPEN'
)
select k.category, k.severity as default_severity,
       count(c.age) filter (where c.age <= 2) as d0_2,
       count(c.age) filter (where c.age between 3 and 7) as d3_7,
       count(c.age) filter (where c.age between 8 and 30) as d8_30,
       count(c.age) filter (where c.age > 30) as d31_plus,
       count(c.age) as total,
       max(c.age) as oldest_days
  from reconcile_categories k
  left join c on c.category = k.category
 group by k.sort, k.category, k.severity
 order by k.sort
