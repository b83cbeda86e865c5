-- Each usage fact's model.
update pg_temp.alloc_usage f
   set model_id = (select m.id from models m where m.name = f.model)
 where f.err is null and f.fact = 'USAGE'
