-- The run's reconcile_runs row, at its end: $1 the run, $2 the settlement
-- rows read, $3 found, $4 opened, $5 closed, $6 reopened, $7 open.
UPDATE reconcile_runs
   SET finished_at = clock_timestamp(),
       settlement_rows = $2::bigint, found = $3::integer,
       opened = $4::integer, closed = $5::integer,
       reopened = $6::integer, open_total = $7::integer,
       status = CASE WHEN $3::integer > 0 THEN 'PROBLEMS' ELSE 'OK' END
 WHERE id = $1::bigint
