-- Accepted cases whose date has passed are open again: their id, what
-- they were, what they are and why, for the audit rows.
UPDATE reconcile_cases c SET status = 'OPEN'
  FROM rc_params p
 WHERE c.status = 'ACCEPTED' AND c.accepted_until IS NOT NULL
   AND c.accepted_until < p.as_of_date
RETURNING c.id::text,
  jsonb_build_object('status', 'ACCEPTED', 'accepted_until',
    c.accepted_until, 'accepted_by', c.accepted_by)::text,
  jsonb_build_object('status', 'OPEN')::text,
  'acceptance ran out on ' || c.accepted_until::text
