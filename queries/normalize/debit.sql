-- Credits go back in proportion to the money (tally_credit_share() in
-- sql/010_allocate.sql), per kind, as the difference between what should
-- have been taken back by now and what was: a larger refund total later
-- takes back the rest.  The ref names the order, the kind and the total
-- it accounts for, so a rerun finds the row already there.
--
-- The balance is read in the statement's snapshot, which does not include
-- the rows the statement itself inserts: it is the balance before the
-- debit, and the debit is added explicitly (negative.sql counts again).
-- Returns each debit's ledger id, reason, and the audit row's before and
-- after.
with g as (
	select o.order_id, o.amount_minor, l.user_id, l.delta as granted,
	       rf.refunded, rf.chargeback, rf.refs,
	       coalesce((select -sum(d.delta) from credit_ledger d
	                  where d.order_id = o.order_id and d.kind = 'REFUND'),
	                0)::bigint
	           as took_refund,
	       coalesce((select -sum(d.delta) from credit_ledger d
	                  where d.order_id = o.order_id and d.kind = 'CHARGEBACK'),
	                0)::bigint
	           as took_cb
	  from pg_temp.alloc_reversal t
	 cross join lateral tally_order_fulfilment(t.order_id, 'CREDITS') o
	 cross join lateral (select l.user_id, l.delta from credit_ledger l
	                      where l.id = o.ledger_id limit 1) l
	 cross join lateral tally_order_reversed(o.order_id) rf
	 where rf.refunded + rf.chargeback > 0
),
tgt as (
	select g.*,
	       tally_credit_share(granted, refunded, amount_minor) as want_refund,
	       tally_credit_share(granted, refunded + chargeback, amount_minor)
	       - tally_credit_share(granted, refunded, amount_minor) as want_cb
	  from g
),
rows as (
	select order_id, user_id, 'REFUND' as kind, want_refund - took_refund as n,
	       refunded as total, refs
	  from tgt where want_refund > took_refund
	union all
	select order_id, user_id, 'CHARGEBACK', want_cb - took_cb, chargeback, refs
	  from tgt where want_cb > took_cb
),
ins as (
	insert into credit_ledger (user_id, delta, kind, ref, reason, order_id)
	select user_id, -n, kind,
	       'order:' || order_id || ':' || lower(kind) || ':' || total,
	       lower(kind) || ' of order ' || order_id || ' (' || refs || ')',
	       order_id
	  from rows
	 order by order_id, kind
	    on conflict (kind, ref) do nothing
	returning id, user_id, delta, kind, ref, reason, order_id
)
select ins.id, ins.reason,
       jsonb_build_object('user_id', ins.user_id, 'order_id', ins.order_id,
                          'balance', b.balance)::text,
       jsonb_build_object('ledger_id', ins.id, 'user_id', ins.user_id,
                          'order_id', ins.order_id, 'kind', ins.kind,
                          'delta', ins.delta, 'ref', ins.ref,
                          'balance', b.balance + ins.delta,
                          'negative_balance', b.balance + ins.delta < 0)::text
  from ins
 cross join lateral (select coalesce(sum(c.delta), 0) as balance
                       from credit_ledger c where c.user_id = ins.user_id) b
 order by ins.id
