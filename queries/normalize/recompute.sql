-- Every touched order's status, amount and paid_at from everything stored
-- about it (tally_order_status() in sql/010_allocate.sql), so the result
-- does not depend on arrival order; then the queue: a fulfillable,
-- unfulfilled order is queued, an unfulfillable one leaves the queue.  The
-- DELETE waits while an allocator holds the queue entry; the reversal step
-- after it (a new statement, a new snapshot) then sees that allocator's
-- fulfilment.  A held order (hold_reason, sql/041_held_orders.sql) stays
-- HELD while its money says PAID or PARTIALLY_REFUNDED, and is never
-- queued; refunded or disputed, it shows that.  Returns the orders
-- changed, queued and dequeued.
with bf as (
	-- the highest-ranked unpaid status the batch saw per order
	select order_id,
	       (array_agg(obs_status order by tally_unpaid_rank(obs_status) desc))[1]
	           as unpaid
	  from pg_temp.alloc_facts
	 where err is null and fact = 'PAYMENT' and tally_unpaid_rank(obs_status) >= 0
	 group by order_id
),
s as (
	select o.id, o.amount_minor as old_amount, o.currency as old_currency,
	       o.paid_at as old_paid_at, o.hold_reason,
	       pay.amount_minor as pay_amount, pay.currency as pay_currency,
	       pay.paid_at as pay_paid_at,
	       (pay.amount_minor is not null or rf.n > 0 or d.n > 0) as paid,
	       coalesce(rf.refunded, 0) as refunded,
	       coalesce(rf.chargeback, 0) as chargeback,
	       coalesce(d.open, false) as dispute_open,
	       case when bf.unpaid is null
	                 or tally_unpaid_rank(o.status) >= tally_unpaid_rank(bf.unpaid)
	            then case when tally_unpaid_rank(o.status) >= 0 then o.status end
	            else bf.unpaid end as unpaid
	  from pg_temp.alloc_touched t
	 cross join lateral (select o.id, o.status, o.amount_minor, o.currency,
	                            o.paid_at, o.hold_reason
	                       from orders o where o.id = t.order_id limit 1) o
	  left join bf on bf.order_id = o.id
	  left join lateral (select p.amount_minor, p.currency, p.paid_at
	                       from payments p
	                      where p.order_id = o.id and p.status = 'SUCCEEDED'
	                      order by p.paid_at, p.id limit 1) pay on true
	  left join lateral (select count(*) as n,
	                            sum(r.amount_minor) filter (where r.kind = 'REFUND')
	                                ::bigint as refunded,
	                            sum(r.amount_minor) filter (where r.kind = 'CHARGEBACK')
	                                ::bigint as chargeback
	                       from refunds r where r.order_id = o.id) rf on true
	  left join lateral (select count(*) as n, bool_or(x.status = 'OPEN') as open
	                       from disputes x where x.order_id = o.id) d on true
	 where not t.settled
),
m as (
	select s.id, s.hold_reason,
	       tally_order_status(s.paid, s.unpaid,
	           coalesce(s.pay_amount, s.old_amount), s.refunded, s.chargeback,
	           s.dispute_open) as status,
	       coalesce(s.pay_amount, s.old_amount) as amount,
	       coalesce(s.pay_currency, s.old_currency) as currency,
	       coalesce(s.pay_paid_at, s.old_paid_at) as paid_at,
	       tally_order_fulfillable(s.paid, coalesce(s.pay_amount, s.old_amount),
	           s.refunded, s.chargeback) as fulfillable
	  from s
),
n as (
	select m.id,
	       case when m.hold_reason is not null
	                 and m.status in ('PAID', 'PARTIALLY_REFUNDED')
	            then 'HELD' else m.status end as status,
	       m.amount, m.currency, m.paid_at,
	       m.fulfillable and m.hold_reason is null as fulfillable
	  from m
),
u as (
	update orders o
	   set status = n.status, amount_minor = n.amount, currency = n.currency,
	       paid_at = n.paid_at, updated_at = now()
	  from n
	 where o.id = n.id
	   and (o.status, o.amount_minor, o.currency, o.paid_at)
	       is distinct from (n.status, n.amount, n.currency::currency_code,
	                         n.paid_at)
	returning o.id
),
q as (
	insert into fulfil_queue (order_id)
	select z.id
	  from (select n.id
	          from n
	          left join lateral (select 1 as x from fulfilments f
	                              where f.order_id = n.id limit 1) f on true
	         where n.fulfillable and f.x is null
	        union all
	        select t.order_id
	          from pg_temp.alloc_touched t
	         where t.settled and t.status = 'PAID') z
	 order by z.id
	    on conflict (order_id) do nothing
	returning order_id
),
dq as (
	delete from fulfil_queue fq
	 where fq.order_id = any (array(select id from n where not n.fulfillable))
	returning fq.order_id
)
select (select count(*) from u), (select count(*) from q),
       (select count(*) from dq)
