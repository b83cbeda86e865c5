-- FAILED events whose back-off has passed, and that have attempts left
-- ($1, NORMALIZE_MAX_ATTEMPTS), go back to NEW for another try.  The
-- back-off is 1, 2, 4, 8, 16 minutes after attempt 1, 2, 3, ... counted
-- from when the event was last processed.
update raw_events set status = 'NEW'
 where status = 'FAILED' and attempts < $1::integer
   and coalesce(processed_at, received_at) <= now()
       - interval '1 minute' * (1 << least(greatest(attempts - 1, 0), 20))
