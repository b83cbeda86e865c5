-- sheet: Usage
--
-- The image service in the week, one row (zeros for a quiet week).
--   images_generated / images_edited  successful calls of each kind
--   failed_calls      calls that ended in an error (any kind)
--   credits_consumed  credits the calls charged, as the service reported them
--   active_users      distinct users with at least one call
--   new_users         users registered in the week (registered_at, or when
--                     tally first saw them if the service never said)
-- Calls count as of the as-of instant (tally_report_usage in sql/020).
with u as (
	select * from tally_report_usage($1::timestamptz, $2::timestamptz,
	                                 $3::timestamptz)
)
select count(*) filter (where u.kind = 'generate' and u.status = 'ok')
           as images_generated,
       count(*) filter (where u.kind = 'edit' and u.status = 'ok')
           as images_edited,
       count(*) filter (where u.status = 'error') as failed_calls,
       coalesce(sum(u.credits), 0)::bigint as credits_consumed,
       count(distinct u.user_id) as active_users,
       (select count(*) from app_users a
         where coalesce(a.registered_at, a.created_at) >= $1::timestamptz
           and coalesce(a.registered_at, a.created_at) < $2::timestamptz
           and a.created_at <= $3::timestamptz) as new_users
  from u
