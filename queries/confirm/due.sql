-- Midtrans and Xendit notifications to ask the provider about before
-- tally-allocate may act on them (lib/books/confirm.c): NEW events of the
-- sources $2 (those with a status API configured) never asked, asked
-- before they were last processed (a FAILED event queued again), or
-- unreachable last time and due again.  Oldest first, at most $1.  The
-- transaction the provider is asked about: Midtrans order_id, Xendit
-- (invoice) id.
select r.id, r.source, r.scheme,
       case r.scheme when 'midtrans' then r.payload->>'order_id'
                     else r.payload->>'id' end as ref,
       r.event_key
  from raw_events r
  left join provider_checks c on c.raw_event_id = r.id
 where r.status = 'NEW' and r.scheme in ('midtrans', 'xendit')
   and r.source = any ($2::text[])
   and (c.raw_event_id is null
        or c.asked_at < r.processed_at
        or (c.outcome = 'UNREACHABLE' and c.next_ask_at <= now()))
 order by r.id
 limit $1::integer
