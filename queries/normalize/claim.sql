-- Claim up to $1 NEW events, oldest id first.  SKIP LOCKED: concurrent
-- allocators take different events; the lock is held to commit.
--
-- A Midtrans or Xendit notification is claimed only once its provider has
-- been asked about it since it was last processed (provider_checks,
-- sql/042_provider_checks.sql) and gave an answer, or said it does not
-- know the transaction: nothing is done on the notification's word alone.
-- One whose provider could not be reached stays NEW until it is asked
-- again (lib/books/confirm.c).
insert into pg_temp.alloc_claim (raw_id, scheme)
select r.id, r.scheme
  from raw_events r
 where r.status = 'NEW'
   and (r.scheme not in ('midtrans', 'xendit')
        or exists (select 1 from provider_checks c
                    where c.raw_event_id = r.id
                      and c.outcome in ('ANSWERED', 'UNKNOWN')
                      and c.asked_at > coalesce(r.processed_at, '-infinity')))
 order by r.id
 limit $1::integer
   for update of r skip locked
