-- A run whose second transaction failed says so ($1: the run).
UPDATE reconcile_runs SET status = 'FAILED', finished_at = clock_timestamp()
 WHERE id = $1::bigint AND status = 'RUNNING'
