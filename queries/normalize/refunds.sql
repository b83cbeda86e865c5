-- Refunds and chargebacks.  Providers report a refund reference's running
-- total: the larger wins.
insert into refunds (order_id, source, provider_refund_id, amount_minor,
                     currency, kind, refunded_at, raw_event_id)
select distinct on (f.source, f.refund_ref)
       f.order_id, f.source, f.refund_ref, f.refund_minor, f.currency,
       f.refund_kind, coalesce(f.event_at, now()), f.raw_id
  from pg_temp.alloc_facts f
 where f.err is null and f.fact = 'REFUND'
 order by f.source, f.refund_ref, f.refund_minor desc, f.raw_id
    on conflict (source, provider_refund_id) do update
   set amount_minor = excluded.amount_minor,
       refunded_at = excluded.refunded_at,
       raw_event_id = excluded.raw_event_id
 where excluded.amount_minor > refunds.amount_minor
