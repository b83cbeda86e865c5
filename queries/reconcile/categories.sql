-- Per category this run found something in: open, accepted and new cases.
SELECT c.category, count(*) FILTER (WHERE c.status = 'OPEN'),
       count(*) FILTER (WHERE c.status = 'ACCEPTED'),
       count(*) FILTER (WHERE c.first_run_id = p.run_id)
  FROM reconcile_cases c
 CROSS JOIN rc_params p
  JOIN reconcile_categories k ON k.category = c.category
 WHERE c.last_run_id = p.run_id
 GROUP BY c.category, k.sort ORDER BY k.sort
