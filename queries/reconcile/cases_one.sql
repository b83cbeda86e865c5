-- One row per fingerprint of what the finders found (rc_found): a
-- finder may see the same thing twice.
CREATE TEMP TABLE rc_case ON COMMIT DROP AS
SELECT DISTINCT ON (f.fp) f.fp, f.category, f.keys,
       coalesce(f.severity, k.severity) AS severity, f.occurred_at,
       f.currency, f.amount_minor, f.details
  FROM (SELECT tally_case_fingerprint(category, keys) AS fp, *
          FROM rc_found) f
  JOIN reconcile_categories k ON k.category = f.category
 ORDER BY f.fp, f.occurred_at
