-- A month partition is created for each month met (partitions.sql); an
-- absurd date would create absurd partitions, so it fails the event
-- instead.
update pg_temp.alloc_usage
   set err = 'occurred_at out of range'
 where err is null and fact in ('USAGE', 'REGISTER', 'LOGIN')
   and (occurred_at < timestamptz '2000-01-01'
        or occurred_at > now() + interval '1 day')
