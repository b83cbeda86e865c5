-- Empty the event batch's work tables.  Only a dry run needs this: it runs
-- every batch in one transaction, and ON COMMIT DELETE ROWS empties them
-- at every commit otherwise.
truncate pg_temp.alloc_claim, pg_temp.alloc_facts, pg_temp.alloc_usage,
	pg_temp.alloc_touched, pg_temp.alloc_reversal
