-- sheet: Cases by category
-- money: open_amount=currency
-- chart: column; category=category; values=open; title=Open cases by category
-- column: category | Category | the exception category (each has a sheet of
--     its cases)
-- column: title | What it is | the category in words
-- column: currency | Currency | the currency of the row's cases (one row
--     per currency; empty for a category with no case or no amount)
-- column: open | Open | OPEN cases after the run (the exit status and
--     OnFailure= look at these)
-- column: accepted | Accepted | ACCEPTED cases (tallyctl case accept),
--     until their date
-- column: new | New | cases opened by this run
-- column: closed | Closed | cases closed by this run (the problem was not
--     found again)
-- column: open_amount | Open amount | sum of the open cases' amounts, in
--     major units of the currency; amounts in different currencies are
--     never added; CREDITS_OVERDRAWN and CREDIT_BALANCE_MISMATCH amounts
--     are credits (no currency); empty where the category has no amount
--     (seats, events)
-- column: action | What to do | what usually fixes a case of the category
--
-- Every exception category, one row per currency its cases are in (a
-- category with no case has one row of zeros, no currency and no
-- amount); counts after the run.
-- $6 is this run's reconcile_runs.id (the engine's first extra parameter).
with run as (
	select $6::bigint as id
),
c as (
	select x.*
	  from reconcile_cases x, run
	 where x.status <> 'CLOSED' or x.closed_run_id = run.id
)
select k.category, k.title, k.severity as default_severity, c.currency,
       count(c.id) filter (where c.status = 'OPEN') as open,
       count(c.id) filter (where c.status = 'ACCEPTED') as accepted,
       count(c.id) filter (where c.first_run_id = run.id) as new,
       count(c.id) filter (where c.closed_run_id = run.id) as closed,
       sum(case when c.currency is null then c.amount_minor::numeric
                else tally_major(c.amount_minor, c.currency) end)
         filter (where c.status = 'OPEN') as open_amount,
       k.action
  from reconcile_categories k
 cross join run
  left join c on c.category = k.category
 group by k.sort, k.category, k.title, k.severity, k.action, c.currency
 order by k.sort, c.currency nulls first
