-- sheet: Summary
-- summary: Monthly review
--
-- The first page of the monthly review: the month's headline figures, the
-- capacity recommendation in words, and the actions the month calls for.
-- The engine adds the title, the month in words, the as-of instant, the
-- zone and the version, and a PARTIAL banner when the month is not over
-- at the as-of instant.  Figures are cut as the sheets they come from cut
-- them; "at the month's end" is its last instant, or the as-of instant
-- when that is earlier.
--
-- The recommendation is the "Capacity forecast" sheet's forecast row
-- (tally_report_capacity, sql/062) in a sentence.
--
-- Actions: one rule per branch of `act`, each naming the tallyctl command
-- that acts on it; a rule that finds nothing gives no line.
--   capacity     the forecast leaves fewer free seats than the buffer
--   underused    accounts listed in "Underused accounts"
--   fx           a provider currency with no exchange rate to a currency
--                credits were sold in: the margins that need it are empty
with t(at) as (
	select tally_report_instant($2::timestamptz, $3::timestamptz)
),
day(last_day, first_day) as (
	select ($2::timestamptz - interval '1 microsecond')::date,
	       $1::timestamptz::date
),
use as (
	select * from tally_report_seat_use($1::timestamptz, $2::timestamptz,
	                                    $3::timestamptz)
),
u as (
	select * from tally_report_usage($1::timestamptz, $2::timestamptz,
	                                 $3::timestamptz)
),
cap as (
	select c.*
	  from tally_report_capacity(date_trunc('month', $1::timestamptz),
	          $2::timestamptz, $3::timestamptz,
	          coalesce(($5::jsonb ->> 'alert_seat_threshold')::integer, 5)) c
	 where c.basis = 'forecast'
),
-- provider currencies of the month's calls x currencies credits were sold
-- in over the twelve months ("Margin per model"), without a rate
fx_missing as (
	select distinct m.cost_currency, s.currency
	  from tally_report_model_usage($1::timestamptz, $2::timestamptz,
	                                $3::timestamptz) m
	 cross join (select distinct p.currency::text as currency
	               from payments p
	               join orders o on o.id = p.order_id
	               join products pr on pr.id = o.product_id
	                               and pr.kind = 'CREDITS'
	              where p.status = 'SUCCEEDED'
	                and coalesce(p.paid_at, p.created_at)
	                    >= date_trunc('month', $1::timestamptz) - interval '11 months'
	                and coalesce(p.paid_at, p.created_at) < $2::timestamptz
	                and coalesce(p.paid_at, p.created_at) <= $3::timestamptz
	                and p.created_at <= $3::timestamptz) s
	 cross join day d
	 cross join lateral tally_fx(m.cost_currency, s.currency, d.last_day,
	                             $3::timestamptz) fx
	 where fx.rate is null
),
fig(ord, label, value, unit) as (
	select 10, 'Seat utilisation',
	       round(sum(x.used_seconds) / nullif(sum(x.available_seconds), 0), 4),
	       'percent'
	  from use x
	union all
	select 11, 'Peak seats in use', d.peak_seats::numeric, null
	  from tally_report_seat_demand($1::timestamptz, $2::timestamptz,
	                                $3::timestamptz) d
	union all
	select 12, 'Forecast peak seats next month', c.forecast_peak_seats, null
	  from cap c
	union all
	select 13, 'Seats at the month''s end', c.seat_capacity, null from cap c
	union all
	select 20, 'Images generated',
	       count(*) filter (where u.kind = 'generate' and u.status = 'ok'), null
	  from u
	union all
	select 21, 'Images edited',
	       count(*) filter (where u.kind = 'edit' and u.status = 'ok'), null
	  from u
	union all
	select 22, 'Credits consumed', coalesce(sum(u.credits), 0), null from u
	union all
	select 23, 'Active users', count(distinct u.user_id), null from u
	union all
	select 24, 'Registered users at the month''s end', count(*), null
	  from app_users a
	 where coalesce(a.registered_at, a.created_at) < $2::timestamptz
	   and a.created_at <= $3::timestamptz
	union all
	select 25, 'Credits per active user',
	       round(coalesce(sum(u.credits), 0)::numeric
	             / nullif(count(distinct u.user_id), 0), 1),
	       null
	  from u
	union all
	select 30, 'Net revenue in ' || m.currency,
	       tally_major(m.net_minor, m.currency), m.currency
	  from tally_report_net_revenue($1::timestamptz, $2::timestamptz,
	                                $3::timestamptz) m
),
rec(ord, label) as (
	select 10,
	       case when c.accounts_to_add > 0
	            then format('Add %s account%s of %s seat%s before %s: the '
	                        'peak is forecast at %s seats, there are %s '
	                        'seats, and %s should stay free.',
	                        c.accounts_to_add,
	                        case when c.accounts_to_add = 1 then '' else 's' end,
	                        c.account_seats,
	                        case when c.account_seats = 1 then '' else 's' end,
	                        to_char(c.month, 'FMMonth YYYY'),
	                        c.forecast_peak_seats, c.seat_capacity, c.buffer)
	            else format('No accounts to add for %s: the peak is forecast '
	                        'at %s seats, there are %s seats, so at least %s '
	                        'stay free (the buffer is %s).',
	                        to_char(c.month, 'FMMonth YYYY'),
	                        c.forecast_peak_seats, c.seat_capacity,
	                        floor(c.seat_capacity - c.forecast_peak_seats),
	                        c.buffer)
	       end
	  from cap c
),
act(ord, label, command) as (
	select 10, format('Add %s account%s of %s seat%s (see the recommendation).',
	                  c.accounts_to_add,
	                  case when c.accounts_to_add = 1 then '' else 's' end,
	                  c.account_seats,
	                  case when c.account_seats = 1 then '' else 's' end),
	       'tallyctl account add EMAIL --max-seats ' || c.account_seats
	  from cap c
	 where c.accounts_to_add > 0
	union all
	select 20, format('%s account%s used less than half %s seat-days: sell '
	                  'harder, merge or drop (see "Underused accounts").',
	                  count(*), case when count(*) = 1 then '' else 's' end,
	                  case when count(*) = 1 then 'its' else 'their' end),
	       'tallyctl account list'
	  from use x
	 where not x.suspended
	   and x.available_seconds > 0
	   and x.used_seconds < 0.5 * x.available_seconds
	   and x.available_seconds / x.capacity >= 7 * 86400
	having count(*) > 0
	union all
	select 40, format('No exchange rate from %s to %s: the margins that need '
	                  'it are empty.', f.cost_currency, f.currency),
	       format('tallyctl fx set %s %s RATE --from %s', f.cost_currency,
	              f.currency, d.first_day)
	  from fx_missing f, day d
)
select x.section, x.label, x.value, x.unit, x.command
  from (select 'figure' as section, f.label, f.value, f.unit,
               null::text as command, f.ord
          from fig f
        union all
        select 'recommendation', r.label, null, null, null, 100 + r.ord
          from rec r
        union all
        select 'action', a.label, null, null, a.command, 200 + a.ord
          from act a) x
 order by x.ord, x.label
