-- sheet: Notification mismatch
-- money: amount=currency
-- column: event_key | Event key | the notification's event key
-- column: order_ref | Order reference | the order the notification named
-- column: why | Why | what differed: status, amount, currency, or the
--     provider did not know the transaction
-- column: notified_status | Notified status | the status the notification
--     said
-- column: provider_status | Provider status | the status the provider said
--     when asked
-- column: notified_amount | Notified amount | the amount the notification
--     said, in major units
-- column: provider_amount | Provider amount | the amount the provider said,
--     in major units
-- column: provider_currency | Provider currency | the currency the provider
--     said
-- column: asked_at | Asked at | when tally-allocate asked the provider
-- column: amount | Amount | what the notification said was paid
-- column: source | Provider | midtrans or xendit
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
select c.case_id, c.status, c.severity, k.raw_event_id, d.source,
       d.event_key, d.order_ref, d.why,
       d.notified->>'raw_status' as notified_status,
       d.provider->>'raw_status' as provider_status,
       tally_major((d.notified->>'amount')::bigint,
                   d.notified->>'currency') as notified_amount,
       tally_major((d.provider->>'amount')::bigint,
                   d.provider->>'currency') as provider_amount,
       d.provider->>'currency' as provider_currency, d.asked_at, c.amount,
       c.currency, c.first_seen, c.last_seen, c.occurrences, c.age_days,
       c.accepted_until, c.accepted_note
  from tally_report_cases($3, 'NOTIFICATION_MISMATCH') c,
       jsonb_to_record(c.keys) as k(raw_event_id bigint),
       jsonb_to_record(c.details) as d(source text, event_key text,
           order_ref text, why text, notified jsonb, provider jsonb,
           asked_at timestamptz)
 order by c.rank
