-- A paid event that should name the product and the customer (all but
-- Stripe's payment_intent events) and whose order still names no sku or
-- no e-mail fails, and is tried again later.  A payment intent that
-- arrives before its Checkout Session makes a paid order without a
-- product, which waits in the fulfilment queue ("order has no product")
-- until the session fills it in.
update pg_temp.alloc_facts
   set err = case when m_product_id is null and m_sku is null
                  then 'paid, but the order has no sku (metadata.sku / custom_field1)'
                  else 'paid, but the order has no customer e-mail' end
 where err is null and fact = 'PAYMENT' and obs_status = 'PAID'
   and details_required
   and ((m_product_id is null and m_sku is null)
        or (m_customer_id is null and m_email is null))
