-- sheet: Payout total mismatch
-- money: payout_amount=currency, rows_net=currency, amount=currency
--
-- Cases of PAYOUT_TOTAL_MISMATCH that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A payout that is not minus the sum of its rows' net; amount is the
-- rows' net minus the payout amount.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.id as case_id, c.status, c.severity,
       c.keys->>'provider' as provider,
       c.keys->>'payout_id' as payout_id,
       (c.details->>'payout_at')::timestamptz as payout_at,
       (c.details->>'payout_amount')::numeric as payout_amount,
       (c.details->>'rows_net')::numeric as rows_net,
       (c.details->>'rows')::integer as rows,
       (c.details->>'payout_rows')::integer as payout_rows,
       tally_major(c.amount_minor, c.currency) as amount,
       c.currency,
       c.first_seen, c.last_seen, c.occurrences,
       floor(extract(epoch from $3::timestamptz
                     - coalesce(c.occurred_at, c.first_seen)) / 86400)::integer
         as age_days,
       c.accepted_until, c.accepted_note
  from reconcile_cases c
 where c.category = 'PAYOUT_TOTAL_MISMATCH' and c.status <> 'CLOSED'
 order by tally_severity_rank(c.severity) desc, c.occurred_at nulls last, c.id
