-- sheet: Net inconsistent
-- money: gross=currency, fee=currency, net=currency, amount=currency
-- column: amount | Difference | (gross - fee) - net, in major units
--
-- Cases of NET_INCONSISTENT that are not closed after the run: OPEN, and
-- ACCEPTED (with the admin's note and date).
-- A settlement row where gross - fee is not net; amount is (gross -
-- fee) - net.
-- age_days: days from when it happened (else from when it was first
-- seen) to the as-of instant.  Amounts are major units of their currency.
select c.case_id, c.status, c.severity, k.provider, k.txn_id, s.*, c.amount,
       c.currency, c.first_seen, c.last_seen, c.occurrences, c.age_days,
       c.accepted_until, c.accepted_note
  from tally_report_cases($3, 'NET_INCONSISTENT') c,
       tally_report_settlement_row(c.details) s,
       jsonb_to_record(c.keys) as k(provider text, txn_id text)
 order by c.rank
