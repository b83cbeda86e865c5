-- The run's work tables: the balances file (rc_balances) and what the
-- finders found (rc_found), gone at commit.  Run with db_simple().
CREATE TEMP TABLE rc_balances (ext text NOT NULL, balance bigint NOT NULL,
                               line integer NOT NULL) ON COMMIT DROP;
CREATE TEMP TABLE rc_found (category text NOT NULL, keys jsonb NOT NULL,
                            severity text, occurred_at timestamptz,
                            currency text, amount_minor bigint,
                            details jsonb NOT NULL DEFAULT '{}')
    ON COMMIT DROP
