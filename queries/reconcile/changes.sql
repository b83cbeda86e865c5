-- What a dry run would have done: one row per case it touched.
SELECT CASE WHEN c.closed_run_id = p.run_id THEN 'close'
            WHEN c.first_run_id = p.run_id THEN 'new'
            ELSE 'again' END AS change,
       CASE WHEN c.first_run_id = p.run_id THEN NULL ELSE c.id END
         AS case_id,
       c.category, c.severity, c.status, c.keys::text AS keys,
       tally_major(c.amount_minor, c.currency) AS amount, c.currency
  FROM reconcile_cases c
 CROSS JOIN rc_params p
  JOIN reconcile_categories k ON k.category = c.category
 WHERE c.last_run_id = p.run_id OR c.closed_run_id = p.run_id
 ORDER BY k.sort, c.keys::text
