-- Users left below zero by the debits $1 (ledger ids), counted after the
-- inserts: two debits of one user in one batch each see the balance
-- before both in debit.sql, so its audit row may understate the fall.
select count(*)
  from (select l.user_id
          from credit_ledger l
         where l.user_id in (select user_id from credit_ledger
                              where id = any ($1::bigint[]))
         group by l.user_id
        having sum(l.delta) < 0) x
