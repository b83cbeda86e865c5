-- The run's figures: cases found, new, closed, open, and open at or above
-- $1 (reconcile_severity).
SELECT (SELECT count(*) FROM rc_case),
       (SELECT count(*) FROM reconcile_cases c, rc_params p
         WHERE c.last_run_id = p.run_id AND c.first_run_id = p.run_id),
       (SELECT count(*) FROM reconcile_cases c, rc_params p
         WHERE c.closed_run_id = p.run_id),
       (SELECT count(*) FROM reconcile_cases WHERE status = 'OPEN'),
       (SELECT count(*) FROM reconcile_cases WHERE status = 'OPEN'
           AND tally_severity_rank(severity) >= tally_severity_rank($1))
