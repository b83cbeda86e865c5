-- A claimed notification the provider contradicted is a case
-- (NOTIFICATION_MISMATCH, both sides in its details): the answer is what
-- was acted on.  The fingerprint is the one reconcile gives it
-- (tally_notification_cases in sql/042_provider_checks.sql).  Returns how
-- many were opened.
select count(*) filter (where tally_case_open(v.category, v.keys,
           v.occurred_at, v.currency, v.amount_minor, v.details))
  from tally_notification_cases v
 where v.raw_event_id = any (array(select raw_id from pg_temp.alloc_claim
                                    where scheme in ('midtrans', 'xendit')))
