-- Events waiting, for the progress display.
select count(*) from raw_events where status = 'NEW'
