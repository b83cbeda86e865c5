-- sheet: Underused accounts
-- percent: utilisation
-- column: account_id | Account | the account's id
-- column: email | E-mail | the account's login
-- column: account_type | Type | multi-seat, or single-user
-- column: capacity | Seats | seats on the account
-- column: days_in_pool | Days in the pool | days of the month the account
--     existed
-- column: seat_days_available | Seat-days available | seats x days in
--     the pool
-- column: seat_days_used | Seat-days used | time customers held its seats
-- column: idle_seat_days | Idle seat-days | what could have been sold
-- column: utilisation | Utilisation | seat-days used / available
--
-- Accounts that used less than half of their seat-days in the month (same
-- figures as "Utilisation"), least used first: candidates to sell harder,
-- merge or drop.  Accounts suspended at the month's end are left out (they
-- cannot be sold anyway), and so are accounts that were in the pool for
-- less than 7 days of the month (added late in it): their figure says
-- little yet.  idle_seat_days is what could have been sold.
select u.account_id,
       u.email,
       case when u.single_user then 'Single-user' else 'Multi-seat' end
           as account_type,
       u.capacity,
       round(u.available_seconds / u.capacity / 86400, 2) as days_in_pool,
       round(u.available_seconds / 86400, 2) as seat_days_available,
       round(u.used_seconds / 86400, 2) as seat_days_used,
       round((u.available_seconds - u.used_seconds) / 86400, 2)
           as idle_seat_days,
       round(u.used_seconds / u.available_seconds, 4) as utilisation
  from tally_report_seat_use($1::timestamptz, $2::timestamptz,
                             $3::timestamptz) u
 where not u.suspended
   and u.available_seconds > 0
   and u.used_seconds < 0.5 * u.available_seconds
   and u.available_seconds / u.capacity >= 7 * 86400
 order by u.used_seconds / u.available_seconds, lower(u.email), u.account_id
