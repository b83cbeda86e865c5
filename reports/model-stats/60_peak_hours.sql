-- sheet: Peak hours
-- heatmap: h00,h01,h02,h03,h04,h05,h06,h07,h08,h09,h10,h11,h12,h13,h14,h15,h16,h17,h18,h19,h20,h21,h22,h23
-- window: 7 days
-- column: model | Model | the model called
-- column: weekday_no | Day no. | 1 Monday to 7 Sunday (ISO)
-- column: weekday | Weekday | the local day of the week
-- column: h00 | 00h | calls started 00:00 to 00:59, local time
-- column: h01 | 01h | calls started 01:00 to 01:59, local time
-- column: h02 | 02h | calls started 02:00 to 02:59, local time
-- column: h03 | 03h | calls started 03:00 to 03:59, local time
-- column: h04 | 04h | calls started 04:00 to 04:59, local time
-- column: h05 | 05h | calls started 05:00 to 05:59, local time
-- column: h06 | 06h | calls started 06:00 to 06:59, local time
-- column: h07 | 07h | calls started 07:00 to 07:59, local time
-- column: h08 | 08h | calls started 08:00 to 08:59, local time
-- column: h09 | 09h | calls started 09:00 to 09:59, local time
-- column: h10 | 10h | calls started 10:00 to 10:59, local time
-- column: h11 | 11h | calls started 11:00 to 11:59, local time
-- column: h12 | 12h | calls started 12:00 to 12:59, local time
-- column: h13 | 13h | calls started 13:00 to 13:59, local time
-- column: h14 | 14h | calls started 14:00 to 14:59, local time
-- column: h15 | 15h | calls started 15:00 to 15:59, local time
-- column: h16 | 16h | calls started 16:00 to 16:59, local time
-- column: h17 | 17h | calls started 17:00 to 17:59, local time
-- column: h18 | 18h | calls started 18:00 to 18:59, local time
-- column: h19 | 19h | calls started 19:00 to 19:59, local time
-- column: h20 | 20h | calls started 20:00 to 20:59, local time
-- column: h21 | 21h | calls started 21:00 to 21:59, local time
-- column: h22 | 22h | calls started 22:00 to 22:59, local time
-- column: h23 | 23h | calls started 23:00 to 23:59, local time
-- column: total | Total | calls that weekday
--
-- Calls per hour of the week for each model, in the report time zone:
-- seven rows per model (Monday first), one column per hour.  A single day
-- says little about a weekly rhythm, so the window is the week (7 days)
-- ending at the period's end, or the period when it is longer (a --month
-- run shows four weeks together).  A whole week and not more: the daily
-- run reads this window every day.
with c as (
	select u.model_id,
	       extract(isodow from u.started_at)::integer as dow,
	       extract(hour from u.started_at)::integer as h,
	       count(*) as n
	  from tally_report_usage(least($1, $2 - interval '7 days'), $2, $3) u
	 group by 1, 2, 3
)
select m.name as model,
       d.dow as weekday_no,
       to_char(date '2024-01-01' + d.dow - 1, 'Dy') as weekday,
       coalesce(sum(c.n) filter (where c.h = 0), 0) as h00,
       coalesce(sum(c.n) filter (where c.h = 1), 0) as h01,
       coalesce(sum(c.n) filter (where c.h = 2), 0) as h02,
       coalesce(sum(c.n) filter (where c.h = 3), 0) as h03,
       coalesce(sum(c.n) filter (where c.h = 4), 0) as h04,
       coalesce(sum(c.n) filter (where c.h = 5), 0) as h05,
       coalesce(sum(c.n) filter (where c.h = 6), 0) as h06,
       coalesce(sum(c.n) filter (where c.h = 7), 0) as h07,
       coalesce(sum(c.n) filter (where c.h = 8), 0) as h08,
       coalesce(sum(c.n) filter (where c.h = 9), 0) as h09,
       coalesce(sum(c.n) filter (where c.h = 10), 0) as h10,
       coalesce(sum(c.n) filter (where c.h = 11), 0) as h11,
       coalesce(sum(c.n) filter (where c.h = 12), 0) as h12,
       coalesce(sum(c.n) filter (where c.h = 13), 0) as h13,
       coalesce(sum(c.n) filter (where c.h = 14), 0) as h14,
       coalesce(sum(c.n) filter (where c.h = 15), 0) as h15,
       coalesce(sum(c.n) filter (where c.h = 16), 0) as h16,
       coalesce(sum(c.n) filter (where c.h = 17), 0) as h17,
       coalesce(sum(c.n) filter (where c.h = 18), 0) as h18,
       coalesce(sum(c.n) filter (where c.h = 19), 0) as h19,
       coalesce(sum(c.n) filter (where c.h = 20), 0) as h20,
       coalesce(sum(c.n) filter (where c.h = 21), 0) as h21,
       coalesce(sum(c.n) filter (where c.h = 22), 0) as h22,
       coalesce(sum(c.n) filter (where c.h = 23), 0) as h23,
       coalesce(sum(c.n), 0) as total
  from (select distinct model_id from c) cm
  join models m on m.id = cm.model_id
 cross join generate_series(1, 7) as d(dow)
  left join c on c.model_id = cm.model_id and c.dow = d.dow
 group by m.name, d.dow
 order by m.name, d.dow
