-- Each fact's customer, stored now.
update pg_temp.alloc_facts f
   set m_customer_id = (select c.id from customers c
                         where lower(c.email) = f.m_email)
 where f.m_customer_id is null and f.m_email is not null and f.err is null
