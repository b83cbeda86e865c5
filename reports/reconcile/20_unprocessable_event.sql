-- sheet: Unprocessable event
-- column: scheme | Scheme | the signature scheme the delivery came under
-- column: event_type | Event type | the event's type
-- column: error | Why | why tally-allocate could not process it
-- column: attempts | Attempts | how many times tally-allocate tried
-- column: received_at | Received at | when the delivery arrived
--
-- Cases of UNPROCESSABLE_EVENT that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A delivery allocate marked FAILED; see tallyctl event list --failed.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, k.source, k.event_key, d.raw_event_id,
       d.scheme, d.type as event_type, d.error, d.attempts, d.received_at,
       c.first_seen, c.last_seen, c.occurrences, c.age_days, c.accepted_until,
       c.accepted_note
  from tally_report_cases($3, 'UNPROCESSABLE_EVENT') c,
       jsonb_to_record(c.keys) as k(source text, event_key text),
       jsonb_to_record(c.details) as d(raw_event_id bigint, scheme text,
           type text, error text, attempts integer, received_at timestamptz)
 order by c.rank
