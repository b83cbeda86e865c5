-- Disputes.  A dispute's status only moves up (OPEN < WON < LOST).
insert into disputes (order_id, source, provider_dispute_id, amount_minor,
                      currency, status, reason, opened_at)
select distinct on (f.source, f.dispute_ref)
       f.order_id, f.source, f.dispute_ref, f.amount_minor, f.currency,
       f.dispute_status, f.dispute_reason, f.event_at
  from pg_temp.alloc_facts f
 where f.err is null and f.fact = 'DISPUTE'
 order by f.source, f.dispute_ref, tally_dispute_rank(f.dispute_status) desc,
          f.raw_id
    on conflict (source, provider_dispute_id) do update
   set status = excluded.status,
       amount_minor = greatest(disputes.amount_minor, excluded.amount_minor),
       reason = coalesce(excluded.reason, disputes.reason),
       opened_at = least(disputes.opened_at, excluded.opened_at),
       updated_at = now()
 where tally_dispute_rank(excluded.status) > tally_dispute_rank(disputes.status)
