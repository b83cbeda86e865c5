-- One batch of the image service's balances file: $1 user ids, $2
-- balances, $3 line numbers, as arrays.
INSERT INTO rc_balances (ext, balance, line)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::integer[])
