-- Midtrans and Xendit notifications waiting that no configured status API
-- ($1: the sources that have one) can confirm: they stay NEW.
select coalesce(string_agg(source || ' (' || n || ')', ', ' order by source),
                '')
  from (select source, count(*) as n
          from raw_events
         where status = 'NEW' and scheme in ('midtrans', 'xendit')
           and not (source = any ($1::text[]))
         group by source) x
