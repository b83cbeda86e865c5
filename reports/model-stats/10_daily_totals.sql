-- sheet: Daily totals
-- percent: error_rate
-- chart: line; category=day; values=calls,errors; title=Calls per day
-- column: day | Day | the local day, in the report time zone
-- column: calls | Calls | every call started that day
-- column: generate | Generate | generate calls
-- column: edit | Edit | edit calls
-- column: ok | Successful | calls that succeeded
-- column: errors | Failed | calls that ended in an error
-- column: error_rate | Error rate | failed / calls
-- column: users | Users | distinct users who called
-- column: credits | Credits | credits the calls charged
--
-- Every model together, one row per day of the period with a call.  Days
-- are cut in the report time zone (the session's TimeZone).  Usage counts
-- as of $3 (tally_report_usage: started and delivered by then).  No money
-- here: providers bill in different currencies, and amounts in different
-- currencies are never added up (see "Per model per day").
select s.day, s.calls, s.generate, s.edit, s.ok, s.errors,
       round(s.errors::numeric / s.calls, 4) as error_rate,
       s.users, s.credits
  from tally_report_usage_stats($1, $2, $3, true, false) s
 order by 1
