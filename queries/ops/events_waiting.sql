-- The raw events waiting for tally-allocate: how many, the age in seconds
-- of the oldest, and how many failed.  Both counts use the partial indexes
-- on status of 001_core.sql.
SELECT (SELECT count(*) FROM raw_events WHERE status = 'NEW'),
       (SELECT extract(epoch FROM now() - min(received_at))::bigint
          FROM raw_events WHERE status = 'NEW'),
       (SELECT count(*) FROM raw_events WHERE status = 'FAILED')
