-- One payments row per provider payment.  A payment's status only moves up
-- (PENDING < FAILED < SUCCEEDED); two succeeded reports of one payment
-- (session and payment intent) keep the earliest paid_at.
insert into payments (order_id, source, provider_payment_id, amount_minor,
                      currency, status, paid_at, raw_event_id)
select distinct on (f.source, f.payment_ref)
       f.order_id, f.source, f.payment_ref, f.amount_minor, f.currency, s.st,
       case when s.st = 'SUCCEEDED' then coalesce(f.event_at, now()) end,
       f.raw_id
  from pg_temp.alloc_facts f
 cross join lateral (select case f.obs_status when 'PAID' then 'SUCCEEDED'
                                              when 'PENDING' then 'PENDING'
                                              else 'FAILED' end as st) s
 where f.err is null and f.fact = 'PAYMENT' and f.payment_ref is not null
 order by f.source, f.payment_ref, tally_payment_rank(s.st) desc,
          f.event_at nulls last, f.raw_id
    on conflict (source, provider_payment_id) do update
   set status = excluded.status, amount_minor = excluded.amount_minor,
       currency = excluded.currency,
       paid_at = case when payments.status = 'SUCCEEDED'
                      then least(payments.paid_at, excluded.paid_at)
                      else excluded.paid_at end,
       raw_event_id = excluded.raw_event_id
 where tally_payment_rank(excluded.status) > tally_payment_rank(payments.status)
    or (excluded.status = 'SUCCEEDED' and payments.status = 'SUCCEEDED'
        and excluded.paid_at < payments.paid_at)
