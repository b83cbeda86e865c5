-- A seat goes back when the order is no longer fulfillable (refunded in
-- full, or any chargeback: tally_order_fulfillable() in
-- sql/010_allocate.sql), for the orders listed in alloc_reversal (with
-- their seat: tally_order_fulfilment() in sql/094).  The
-- UPDATE re-checks status = 'ACTIVE' on the current row, so an assignment
-- an admin revoked meanwhile is left alone.  Returns each revoked
-- assignment's id, reason, and the row before and after (the audit row).
with due as (
	select a.id, o.order_id, a.j as before,
	       case when rf.chargeback > 0 then 'chargeback' else 'refund' end
	           as why,
	       rf.refs
	  from pg_temp.alloc_reversal t
	 cross join lateral tally_order_fulfilment(t.order_id, 'SEAT') o
	 cross join lateral (select a.id, to_jsonb(a) as j from assignments a
	                      where a.id = o.assignment_id and a.status = 'ACTIVE'
	                      limit 1) a
	 cross join lateral tally_order_reversed(o.order_id) rf
	 where not tally_order_fulfillable(true, o.amount_minor, rf.refunded,
	                                   rf.chargeback)
)
update assignments a
   set status = 'REVOKED', ended_at = now(), updated_at = now(),
       reason = due.why || ' of order ' || due.order_id || ' (' || due.refs || ')'
  from due
 where a.id = due.id and a.status = 'ACTIVE'
returning a.id, a.reason, due.before::text, to_jsonb(a)::text
