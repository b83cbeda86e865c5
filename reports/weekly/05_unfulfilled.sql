-- sheet: Paid unfulfilled
-- money: amount=currency
-- column: order_id | Order | tally's order id
-- column: paid_at | Paid at | when the provider says it was paid
-- column: waiting_hours | Hours waiting | from payment to the end of the
--     week (or the as-of instant)
-- column: source | Source | the payment provider (webhook source)
-- column: provider_ref | Provider reference | the provider's id of the
--     order or payment
-- column: customer | Customer | the customer's e-mail
-- column: sku | Product | the sku paid for; empty when it is not a known
--     product (tallyctl product add)
-- column: product_kind | Kind | SEAT or CREDITS
-- column: amount | Amount | what was paid, in its currency
-- column: currency | Currency | ISO 4217
--
-- Orders paid but not fulfilled at the end of the week (or at the as-of
-- instant when earlier), whenever they were paid: a backlog from an
-- earlier week belongs here too.  An order refunded in full by then needs
-- no fulfilment and is left out; a partly refunded one still does.  Oldest
-- first.  waiting_hours is the time since payment at that instant.
-- customer and provider_ref come from outside (payment webhooks): the
-- engine writes them as strings, never as formulas.
with t(at) as (
	select tally_report_instant($2::timestamptz, $3::timestamptz)
),
refunded as (
	select r.order_id, sum(r.amount_minor) as amount
	  from refunds r, t
	 where r.created_at <= t.at
	 group by r.order_id
)
select o.id as order_id,
       o.paid_at,
       round(extract(epoch from t.at - o.paid_at) / 3600, 1) as waiting_hours,
       o.source,
       o.provider_ref,
       c.email as customer,
       p.sku,
       p.kind as product_kind,
       tally_major(o.amount_minor, o.currency) as amount,
       o.currency::text as currency
  from t
  join orders o on o.paid_at <= t.at and o.created_at <= t.at
  left join customers c on c.id = o.customer_id
  left join products p on p.id = o.product_id
  left join refunded on refunded.order_id = o.id
 where not exists (select 1 from fulfilments f
                    where f.order_id = o.id and f.created_at <= t.at)
   and coalesce(refunded.amount, 0) < greatest(o.amount_minor, 1)
 order by o.paid_at, o.id
