-- sheet: Utilisation
-- percent: utilisation
-- heatmap: utilisation
-- column: account_id | Account | the account's id
-- column: email | E-mail | the account's login
-- column: account_type | Type | multi-seat, or single-user (one customer
--     at a time)
-- column: capacity | Seats | seats on the account (one when single-user)
-- column: suspended | Suspended | at the month's end
-- column: assignments | Assignments | assignments that held a seat on it
--     during the month
-- column: seat_days_available | Seat-days available | seats x the days
--     the account was in the pool during the month
-- column: seat_days_used | Seat-days used | each assignment's time on it
--     during the month, in days of 86,400 seconds
-- column: utilisation | Utilisation | seat-days used / available
--
-- Seat use of every account over the month (up to the as-of instant when
-- that is earlier): seat-days available (capacity, one for a single-user
-- account, times the days the account was in the pool during the month)
-- and seat-days used (each assignment's time from start to end, clipped to
-- the month; one still running counts to the month's end).  Days are
-- 86,400 seconds, so a DST month is measured exactly (its local days are
-- 23 or 25 hours).  utilisation = used / available.  suspended is the
-- account's state at the month's end.  By e-mail, then id.
select u.account_id,
       u.email,
       case when u.single_user then 'Single-user' else 'Multi-seat' end
           as account_type,
       u.capacity,
       u.suspended,
       u.assignments,
       round(u.available_seconds / 86400, 2) as seat_days_available,
       round(u.used_seconds / 86400, 2) as seat_days_used,
       round(u.used_seconds / nullif(u.available_seconds, 0), 4) as utilisation
  from tally_report_seat_use($1::timestamptz, $2::timestamptz,
                             $3::timestamptz) u
 order by lower(u.email), u.account_id
