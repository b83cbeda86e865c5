-- sheet: Model cost
-- money: cost_per_call=cost_currency, provider_cost=cost_currency
-- chart: column; category=model; values=calls; title=Calls per model
-- column: model | Model | the model's name
-- column: active | Active | whether the image service may call it
-- column: calls | Calls | every call in the month
-- column: ok_calls | Successful | calls that succeeded
-- column: error_calls | Failed | calls that ended in an error
-- column: credits_consumed | Credits | credits the calls charged
-- column: cost_per_call | Cost per call | the provider's price, in its
--     currency
-- column: provider_cost | Provider cost | every call at that price
-- column: cost_currency | Provider currency | ISO 4217
--
-- What the model providers cost in the month, per model: every call is
-- costed at the model's provider price (failed calls too: the provider
-- may have billed them; see tally_report_model_usage in sql/020), in the
-- provider's currency.  Every model known at the as-of instant is listed,
-- unused ones with zeros, so a model that went quiet is visible.  The
-- chart shows calls, not cost: models may be priced in different currencies.
select m.name as model,
       m.active,
       coalesce(u.calls, 0) as calls,
       coalesce(u.ok_calls, 0) as ok_calls,
       coalesce(u.error_calls, 0) as error_calls,
       coalesce(u.credits, 0) as credits_consumed,
       tally_major(m.provider_cost_minor, m.provider_currency) as cost_per_call,
       tally_major(coalesce(u.cost_minor, 0), m.provider_currency) as provider_cost,
       m.provider_currency::text as cost_currency
  from models m
  left join tally_report_model_usage($1::timestamptz, $2::timestamptz,
                                     $3::timestamptz) u on u.model_id = m.id
 where m.created_at <= $3::timestamptz
 order by m.name
