-- sheet: Pool status
-- percent: seat_utilisation
-- chart: column; category=account_type; values=available,assigned,suspended; title=Accounts by status
-- total: account_type=All accounts
-- column: account_type | Accounts of type | multi-seat, single-user
--     (one customer at a time), or all accounts together
-- column: accounts | Accounts | accounts in the pool at the end of the week
-- column: available | Available | not suspended and with a free seat
-- column: assigned | Full | not suspended and every seat taken
-- column: suspended | Suspended | suspended at the end of the week
--     (rebuilt from the audit log)
-- column: seat_capacity | Seats | seats on the accounts that are not
--     suspended (a single-user account has one)
-- column: seats_used | Seats used | seats held on accounts that are not
--     suspended
-- column: seats_free | Seats free | seats that can be sold: capacity
--     minus seats used, suspended accounts left out
-- column: seats_on_suspended | Seats held on suspended accounts | seats
--     customers still hold on accounts suspended since
-- column: seat_utilisation | Seat utilisation | seats used / seats, on
--     accounts that are not suspended
--
-- The pool at the end of the week (or at the as-of instant when that is
-- earlier), accounts by status, seats used and free.  Multi-seat and
-- single-user accounts (max_seats NULL, one customer at a time) apart,
-- then both together; the three rows are always there, zeros included.
--
-- An account is available when it is not suspended and a seat is free,
-- assigned when it is not suspended and full, suspended when it was
-- suspended then (rebuilt from the audit log, see sql/020).  Seat columns cover the accounts that are not suspended (a
-- suspended account's empty seats cannot be sold); seats still held on
-- suspended accounts are counted apart in seats_on_suspended.
with p as (
	select * from tally_report_pool_at(tally_report_instant($2::timestamptz,
	                                                        $3::timestamptz))
),
t(ord, account_type) as (
	values (1, 'Multi-seat'), (2, 'Single-user'), (3, 'All accounts')
)
select t.account_type,
       count(p.account_id) as accounts,
       count(p.account_id) filter (where not p.suspended
                                     and p.seats_used < p.capacity) as available,
       count(p.account_id) filter (where not p.suspended
                                     and p.seats_used >= p.capacity) as assigned,
       count(p.account_id) filter (where p.suspended) as suspended,
       coalesce(sum(p.capacity) filter (where not p.suspended), 0) as seat_capacity,
       coalesce(sum(p.seats_used) filter (where not p.suspended), 0) as seats_used,
       coalesce(sum(p.capacity - p.seats_used) filter (where not p.suspended), 0)
           as seats_free,
       coalesce(sum(p.seats_used) filter (where p.suspended), 0) as seats_on_suspended,
       round(sum(p.seats_used) filter (where not p.suspended)::numeric
             / nullif(sum(p.capacity) filter (where not p.suspended), 0), 4)
           as seat_utilisation
  from t
  left join p on t.ord = 3 or (t.ord = 2) = p.single_user
 group by t.ord, t.account_type
 order by t.ord
