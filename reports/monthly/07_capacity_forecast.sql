-- sheet: Capacity forecast
-- chart: line; category=month; values=peak_seats,seat_capacity; dashed=forecast_peak_seats; title=Seat demand and capacity
-- column: month | Month | the six months ending with the report month,
--     then the month forecast
-- column: basis | Basis | actual, or forecast for the month after the
--     report month
-- column: peak_seats | Peak seats | the most seats held at once in the
--     month (actual months only)
-- column: forecast_peak_seats | Forecast peak seats | the least-squares
--     line through the actual peaks, extended one month, never below zero;
--     the report month shows its actual peak, where the forecast line
--     starts
-- column: avg_seats | Average seats | seats held on average over the
--     month (time-weighted)
-- column: seat_capacity | Seats | seats on accounts not suspended at the
--     month's end (or at the as-of instant if earlier)
-- column: buffer | Buffer | free seats to keep: config alert_seat_threshold
--     (5 when absent)
-- column: seats_short | Seats short | forecast + buffer - seats, rounded
--     up, at least 0
-- column: account_seats | Seats per account | the most common capacity of
--     the accounts in use: what an added account is assumed to hold
-- column: accounts_to_add | Accounts to add | seats short / seats per
--     account, rounded up
--
-- Seat demand next month, from the trend of the last six months (the
-- report month and the five before it), and the accounts to add so that
-- capacity keeps a buffer of free seats: tally_report_capacity
-- (sql/062) says how, exactly; the Summary says it in words.  The
-- forecast is its own series, drawn dashed.
select c.month, c.basis, c.peak_seats, c.forecast_peak_seats, c.avg_seats,
       c.seat_capacity, c.buffer, c.seats_short, c.account_seats,
       c.accounts_to_add
  from tally_report_capacity(date_trunc('month', $1::timestamptz),
                             $2::timestamptz, $3::timestamptz,
                             coalesce(($5::jsonb ->> 'alert_seat_threshold')::integer,
                                      5)) c
 order by c.month
