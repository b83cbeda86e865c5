-- New customers, by e-mail (case-insensitive).
insert into customers (email)
select distinct m_email
  from pg_temp.alloc_facts
 where err is null and m_email is not null and m_customer_id is null
 order by 1
    on conflict ((lower(email))) do nothing
