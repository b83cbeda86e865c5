-- Found again: the same case, one more occurrence, its current figures.
UPDATE reconcile_cases c
   SET last_seen = greatest(c.last_seen, p.as_of),
       occurrences = c.occurrences + 1, last_run_id = p.run_id,
       severity = f.severity, currency = f.currency,
       amount_minor = f.amount_minor, details = f.details,
       occurred_at = f.occurred_at
  FROM rc_case f, rc_params p
 WHERE c.fingerprint = f.fp AND c.status <> 'CLOSED'
