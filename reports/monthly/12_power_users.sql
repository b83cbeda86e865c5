-- sheet: Power users
-- percent: credit_share
-- column: rank | Rank | by credits consumed
-- column: user | User | the image service's id of the user
-- column: email | E-mail | the user's e-mail
-- column: credits_consumed | Credits | credits consumed in the month
-- column: credit_share | Share | of all credits consumed in the month
-- column: calls | Calls | every call
-- column: images_generated | Generated | successful generate calls
-- column: images_edited | Edited | successful edit calls
-- column: failed_calls | Failed | calls that ended in an error
-- column: models_used | Models | distinct models called
-- column: balance | Balance | credits left at the month's end
-- column: registered | Registered | the day the user registered
--
-- The 20 users who consumed the most credits in the month (ties broken by
-- calls, then by the user's id, so the list is stable): credits, their
-- share of all credits consumed in the month, calls by outcome and kind,
-- models used, and the credit balance at the month's end (or at the as-of
-- instant if earlier; ledger rows made by then).  user and email come from
-- the image service: the engine writes them as strings, never formulas.
with u as (
	select * from tally_report_usage($1::timestamptz, $2::timestamptz,
	                                 $3::timestamptz)
),
per as (
	select u.user_id,
	       sum(u.credits) as credits,
	       count(*) as calls,
	       count(*) filter (where u.kind = 'generate' and u.status = 'ok') as gen,
	       count(*) filter (where u.kind = 'edit' and u.status = 'ok') as edit,
	       count(*) filter (where u.status = 'error') as errors,
	       count(distinct u.model_id) as models
	  from u
	 group by u.user_id
),
top as (
	select p.*, row_number() over (order by p.credits desc, p.calls desc,
	                                        p.user_id) as rank
	  from per p
)
select t.rank,
       a.external_id as "user",
       a.email,
       t.credits::bigint as credits_consumed,
       round(t.credits::numeric / nullif((select sum(credits) from per), 0), 4)
           as credit_share,
       t.calls,
       t.gen as images_generated,
       t.edit as images_edited,
       t.errors as failed_calls,
       t.models as models_used,
       (select coalesce(sum(l.delta), 0) from credit_ledger l
         where l.user_id = t.user_id
           and l.created_at <= tally_report_instant($2::timestamptz,
                                                    $3::timestamptz))::bigint
           as balance,
       coalesce(a.registered_at, a.created_at)::date as registered
  from top t
  join app_users a on a.id = t.user_id
 where t.rank <= 20
 order by t.rank
