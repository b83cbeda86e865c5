-- Every claimed event marked: FAILED with the first reason one of its
-- facts had (or "event not understood" when no fact came out of it),
-- IGNORED when all its facts are, else DONE.  Returns how many of each.
with e as (
	select raw_id, min(err) as err, bool_and(fact = 'IGNORE') as ign
	  from pg_temp.alloc_facts group by raw_id
	union all
	select raw_id, min(err), bool_and(fact = 'IGNORE')
	  from pg_temp.alloc_usage group by raw_id
),
x as (
	select c.raw_id,
	       case when e.raw_id is null or e.err is not null then 'FAILED'
	            when e.ign then 'IGNORED' else 'DONE' end as status,
	       case when e.raw_id is null then 'event not understood'
	            else e.err end as err
	  from pg_temp.alloc_claim c
	  left join e on e.raw_id = c.raw_id
),
u as (
	update raw_events r
	   set status = x.status, error = x.err, processed_at = now(),
	       attempts = r.attempts + 1
	  from x
	 where r.id = x.raw_id
	returning r.status
)
select count(*) filter (where status = 'DONE'),
       count(*) filter (where status = 'FAILED'),
       count(*) filter (where status = 'IGNORED')
  from u
