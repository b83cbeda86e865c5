-- New cases.  tally-allocate opens cases too (held orders): one it opened
-- after this run's snapshot is a serialization failure (the run is
-- retried and then finds it), never a second case.
INSERT INTO reconcile_cases (category, fingerprint, keys, severity,
                             currency, amount_minor, details, occurred_at,
                             first_seen, last_seen, first_run_id,
                             last_run_id)
SELECT f.category, f.fp, f.keys, f.severity, f.currency,
       f.amount_minor, f.details, f.occurred_at, p.as_of, p.as_of,
       p.run_id, p.run_id
  FROM rc_case f, rc_params p
 WHERE NOT EXISTS (SELECT 1 FROM reconcile_cases c
                    WHERE c.fingerprint = f.fp AND c.status <> 'CLOSED')
    ON CONFLICT (fingerprint) WHERE status <> 'CLOSED' DO NOTHING
