-- sheet: Usage
-- column: images_generated | Images generated | successful generate calls
-- column: images_edited | Images edited | successful edit calls
-- column: failed_calls | Failed calls | calls that ended in an error (any
--     kind)
-- column: credits_consumed | Credits consumed | credits the calls charged,
--     as the service reported them
-- column: active_users | Active users | distinct users with at least one
--     call in the week
-- column: new_users | New users | users registered in the week
--     (registered_at, or when tally first saw them if the service never
--     said)
-- column: registered_users | Registered users | every user registered by
--     the end of the week
-- column: credits_per_active_user | Credits per active user | credits
--     consumed / active users, to one decimal
--
-- The image service in the week, one row (zeros for a quiet week).
-- Calls count as of the as-of instant (tally_report_usage in sql/020);
-- users count when tally knew of them by then.
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
           and a.created_at <= $3::timestamptz) as new_users,
       (select count(*) from app_users a
         where coalesce(a.registered_at, a.created_at) < $2::timestamptz
           and a.created_at <= $3::timestamptz) as registered_users,
       round(coalesce(sum(u.credits), 0)::numeric
             / nullif(count(distinct u.user_id), 0), 1)
           as credits_per_active_user
  from u
