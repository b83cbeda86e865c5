-- Empty the fulfilment batch's work tables.  Only a dry run needs this: it
-- runs every batch in one transaction.
truncate pg_temp.alloc_work, pg_temp.alloc_pick, pg_temp.alloc_reversal
