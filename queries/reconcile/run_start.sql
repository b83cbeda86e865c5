-- The run's reconcile_runs row, before its work; $9 is RUNNING while the
-- run goes on in a second transaction (sql/080), else OK.
INSERT INTO reconcile_runs (job_run_id, as_of, period_from, period_to, tz,
                            settlement_file, settlement_format,
                            settlement_sha256, status)
VALUES ($1::bigint, $2::timestamptz, $3::timestamptz, $4::timestamptz, $5,
        $6, $7, $8, $9)
RETURNING id
