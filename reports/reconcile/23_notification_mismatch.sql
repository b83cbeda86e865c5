-- sheet: Notification mismatch
-- money: amount=currency
--
-- Cases of NOTIFICATION_MISMATCH that are not closed after the run (OPEN,
-- and ACCEPTED with the admin's note and date): Midtrans or Xendit
-- notifications whose provider, asked by tally-allocate before it acted,
-- said otherwise (another status, amount or currency), or did not know
-- the transaction.  tally-allocate followed the provider; the notification
-- is kept as received (raw_events).  notified_* and provider_* are the two
-- sides; amount is what the notification said was paid.
-- age_days: days from when the notification was received to the as-of
-- instant.
select c.id as case_id, c.status, c.severity,
       (c.keys->>'raw_event_id')::bigint as raw_event_id,
       c.details->>'source' as source,
       c.details->>'event_key' as event_key,
       c.details->>'order_ref' as order_ref,
       c.details->>'why' as why,
       c.details->'notified'->>'raw_status' as notified_status,
       c.details->'provider'->>'raw_status' as provider_status,
       tally_major((c.details->'notified'->>'amount')::bigint,
                   c.details->'notified'->>'currency') as notified_amount,
       tally_major((c.details->'provider'->>'amount')::bigint,
                   c.details->'provider'->>'currency') as provider_amount,
       c.details->'provider'->>'currency' as provider_currency,
       (c.details->>'asked_at')::timestamptz as asked_at,
       tally_major(c.amount_minor, c.currency) as amount,
       c.currency,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.category = 'NOTIFICATION_MISMATCH' and c.status <> 'CLOSED'
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
