/*
 * test_schema - the invariants the database enforces by itself, each proved
 * by trying to break it: deliveries deduplicated, seats never
 * oversubscribed (also by transactions racing for the last seat), one
 * fulfilment per order, money as bigint minor units with a currency code,
 * an append-only and tamper-evident audit log, documented status values
 * only, and least-privilege roles.  Remove a constraint or trigger from
 * sql/ and one of these fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/audit.h"
#include "pg/db.h"
#include "base/err.h"
#include "support/testdb.h"

static char *url;

static struct db *
conn(void)
{
	struct db *db = NULL;

	assert_int_equal(db_connect_url(&db, url, "test_schema", NULL), 0);
	return db;
}

static void
ok(struct db *db, const char *sql)
{
	if (db_simple(db, sql) != 0)
		fail_msg("%s: %s", sql, db_errmsg(db));
}

/* The statement must fail with this SQLSTATE (class if 2 chars). */
static void
refused(struct db *db, const char *sql, const char *sqlstate)
{
	if (db_simple(db, sql) == 0)
		fail_msg("accepted, should be refused: %s", sql);
	if (strncmp(db_sqlstate(db), sqlstate, strlen(sqlstate)) != 0)
		fail_msg("%s: expected SQLSTATE %s, got %s (%s)", sql, sqlstate,
		    db_sqlstate(db), db_errmsg(db));
	db_rollback(db);
}

static int
setup(void **state)
{
	(void)state;
	free(url);
	testdb_create(&url, NULL);
	return 0;
}

static void
seed(struct db *db)
{
	ok(db, "INSERT INTO customers (email) VALUES ('a@x.io'), ('b@x.io'),"
	    " ('c@x.io'), ('d@x.io')");
	ok(db, "INSERT INTO pool_accounts (email, max_seats) VALUES"
	    " ('single@pool.io', NULL), ('multi@pool.io', 2)");
}

#define ASSIGN(acc, cust) \
	"INSERT INTO assignments (account_id, customer_id, starts_at, ends_at)" \
	" SELECT a.id, c.id, now(), now() + interval '30 days'" \
	" FROM pool_accounts a, customers c WHERE a.email = '" acc "'" \
	" AND c.email = '" cust "'"

static void
test_raw_events_dedup(void **state)
{
	struct db *db = conn();
	const char *ins = "INSERT INTO raw_events (source, scheme, event_key, body,"
	    " payload) VALUES ('stripe', 'stripe', 'evt_1', '\\x7b7d', '{}')";

	(void)state;
	ok(db, ins);
	refused(db, ins, "23505");
	/* the same key from another source is another event */
	ok(db, "INSERT INTO raw_events (source, scheme, event_key, body, payload)"
	    " VALUES ('other', 'stripe', 'evt_1', '\\x7b7d', '{}')");
	assert_int_equal(testdb_ll(db, "SELECT count(*) FROM raw_events"), 2);
	db_free(db);
}

static void
test_single_user_seat(void **state)
{
	struct db *db = conn();

	(void)state;
	seed(db);
	ok(db, ASSIGN("single@pool.io", "a@x.io"));
	assert_int_equal(testdb_ll(db, "SELECT current_seats_used FROM pool_accounts"
	    " WHERE email = 'single@pool.io'"), 1);
	/* full: status follows */
	assert_int_equal(testdb_ll(db, "SELECT (status = 'ASSIGNED')::int FROM"
	    " pool_accounts WHERE email = 'single@pool.io'"), 1);
	refused(db, ASSIGN("single@pool.io", "b@x.io"), "23514");
	/* end it: the seat comes back, the account is AVAILABLE again */
	ok(db, "UPDATE assignments SET status = 'EXPIRED', ended_at = now()");
	assert_int_equal(testdb_ll(db, "SELECT current_seats_used FROM pool_accounts"
	    " WHERE email = 'single@pool.io'"), 0);
	assert_int_equal(testdb_ll(db, "SELECT (status = 'AVAILABLE')::int FROM"
	    " pool_accounts WHERE email = 'single@pool.io'"), 1);
	ok(db, ASSIGN("single@pool.io", "b@x.io"));
	db_free(db);
}

static void
test_multi_seat_counter(void **state)
{
	struct db *db = conn();

	(void)state;
	seed(db);
	ok(db, ASSIGN("multi@pool.io", "a@x.io"));
	assert_int_equal(testdb_ll(db, "SELECT (status = 'AVAILABLE')::int FROM"
	    " pool_accounts WHERE email = 'multi@pool.io'"), 1);
	ok(db, ASSIGN("multi@pool.io", "b@x.io"));
	refused(db, ASSIGN("multi@pool.io", "c@x.io"), "23514");
	/* the counter is not for setting by hand */
	refused(db, "UPDATE pool_accounts SET current_seats_used = 0", "23514");
	refused(db, "INSERT INTO pool_accounts (email, current_seats_used)"
	    " VALUES ('z@pool.io', 3)", "23514");
	/* capacity cannot drop below the seats in use */
	refused(db, "UPDATE pool_accounts SET max_seats = 1 WHERE email ="
	    " 'multi@pool.io'", "23514");
	/* an ended assignment cannot come back, nor move, nor vanish */
	ok(db, "UPDATE assignments SET status = 'REVOKED', ended_at = now(),"
	    " reason = 'refund' WHERE customer_id = (SELECT id FROM customers"
	    " WHERE email = 'a@x.io')");
	refused(db, "UPDATE assignments SET status = 'ACTIVE', ended_at = NULL"
	    " WHERE status = 'REVOKED'", "23514");
	refused(db, "UPDATE assignments SET account_id = (SELECT id FROM"
	    " pool_accounts WHERE email = 'single@pool.io')", "23514");
	refused(db, "DELETE FROM assignments", "P0001");
	assert_int_equal(testdb_ll(db, "SELECT count(*) FROM pool_accounts a WHERE"
	    " a.current_seats_used <> (SELECT count(*) FROM assignments s"
	    " WHERE s.account_id = a.id AND s.status = 'ACTIVE')"), 0);
	db_free(db);
}

static void
test_suspended_account(void **state)
{
	struct db *db = conn();

	(void)state;
	seed(db);
	ok(db, ASSIGN("multi@pool.io", "a@x.io"));
	ok(db, "UPDATE pool_accounts SET status = 'SUSPENDED' WHERE email ="
	    " 'multi@pool.io'");
	refused(db, ASSIGN("multi@pool.io", "b@x.io"), "23514");
	/* releasing a seat does not lift the suspension */
	ok(db, "UPDATE assignments SET status = 'EXPIRED', ended_at = now()");
	assert_int_equal(testdb_ll(db, "SELECT (status = 'SUSPENDED')::int FROM"
	    " pool_accounts WHERE email = 'multi@pool.io'"), 1);
	/* reactivating recomputes the status from the seats */
	ok(db, "UPDATE pool_accounts SET status = 'AVAILABLE' WHERE email ="
	    " 'multi@pool.io'");
	ok(db, ASSIGN("multi@pool.io", "b@x.io"));
	ok(db, ASSIGN("multi@pool.io", "c@x.io"));
	assert_int_equal(testdb_ll(db, "SELECT (status = 'ASSIGNED')::int FROM"
	    " pool_accounts WHERE email = 'multi@pool.io'"), 1);
	db_free(db);
}

/*
 * Two transactions race for the last seat: A takes it and holds its
 * transaction open; B's insert must wait for A (the account row lock), and
 * when A commits, B must fail rather than oversubscribe.
 */
static void
test_race_for_last_seat(void **state)
{
	struct db *a = conn(), *b = conn();
	PGresult *res;
	const char *state_b;

	(void)state;
	seed(a);
	ok(a, ASSIGN("multi@pool.io", "a@x.io"));	/* one seat left */
	ok(a, "BEGIN");
	ok(b, "BEGIN");
	ok(a, ASSIGN("multi@pool.io", "b@x.io"));
	assert_int_equal(PQsendQuery(db_conn(b), ASSIGN("multi@pool.io",
	    "c@x.io")), 1);
	/* B is blocked on A's row lock: nothing to read yet */
	assert_int_equal(PQconsumeInput(db_conn(b)), 1);
	assert_int_equal(PQisBusy(db_conn(b)), 1);
	ok(a, "COMMIT");
	res = PQgetResult(db_conn(b));
	assert_int_equal(PQresultStatus(res), PGRES_FATAL_ERROR);
	state_b = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	assert_string_equal(state_b, "23514");
	PQclear(res);
	while ((res = PQgetResult(db_conn(b))) != NULL)
		PQclear(res);
	ok(b, "ROLLBACK");
	assert_int_equal(testdb_ll(a, "SELECT current_seats_used FROM pool_accounts"
	    " WHERE email = 'multi@pool.io'"), 2);
	assert_int_equal(testdb_ll(a, "SELECT count(*) FROM assignments WHERE"
	    " status = 'ACTIVE'"), 2);
	db_free(a);
	db_free(b);
}

/* Many threads at once, each its own connection, for a 5-seat account. */
#define RACERS 16
static pthread_barrier_t barrier;
static int race_ok, race_refused;
static pthread_mutex_t race_mu = PTHREAD_MUTEX_INITIALIZER;

static void *
racer(void *arg)
{
	struct db *db = arg;
	char sql[512];
	int rc;

	snprintf(sql, sizeof(sql),
	    "INSERT INTO assignments (account_id, customer_id, starts_at, ends_at)"
	    " SELECT a.id, (SELECT min(id) FROM customers), now(),"
	    " now() + interval '1 day' FROM pool_accounts a WHERE a.email ="
	    " 'five@pool.io'");
	pthread_barrier_wait(&barrier);
	rc = db_simple(db, sql);
	pthread_mutex_lock(&race_mu);
	if (rc == 0)
		race_ok++;
	else if (strcmp(db_sqlstate(db), "23514") == 0)
		race_refused++;
	pthread_mutex_unlock(&race_mu);
	return NULL;
}

static void
test_many_racers(void **state)
{
	struct db *dbs[RACERS];
	pthread_t th[RACERS];
	struct db *db = conn();
	int i;

	(void)state;
	seed(db);
	ok(db, "INSERT INTO pool_accounts (email, max_seats) VALUES"
	    " ('five@pool.io', 5)");
	for (i = 0; i < RACERS; i++)
		dbs[i] = conn();
	pthread_barrier_init(&barrier, NULL, RACERS);
	for (i = 0; i < RACERS; i++)
		pthread_create(&th[i], NULL, racer, dbs[i]);
	for (i = 0; i < RACERS; i++) {
		pthread_join(th[i], NULL);
		db_free(dbs[i]);
	}
	pthread_barrier_destroy(&barrier);
	assert_int_equal(race_ok, 5);
	assert_int_equal(race_refused, RACERS - 5);
	assert_int_equal(testdb_ll(db, "SELECT current_seats_used FROM pool_accounts"
	    " WHERE email = 'five@pool.io'"), 5);
	db_free(db);
}

static void
test_one_fulfilment_per_order(void **state)
{
	struct db *db = conn();

	(void)state;
	ok(db, "INSERT INTO app_users (external_id) VALUES ('u1')");
	ok(db, "INSERT INTO orders (source, provider_ref, amount_minor, currency,"
	    " status) VALUES ('stripe', 'pi_1', 1999, 'USD', 'PAID')");
	ok(db, "INSERT INTO credit_ledger (user_id, delta, kind, ref) SELECT id,"
	    " 100, 'PURCHASE', 'order:1' FROM app_users");
	ok(db, "INSERT INTO fulfilments (order_id, kind, ledger_id) SELECT"
	    " o.id, 'CREDITS', l.id FROM orders o, credit_ledger l");
	refused(db, "INSERT INTO fulfilments (order_id, kind, ledger_id) SELECT"
	    " o.id, 'CREDITS', l.id FROM orders o, credit_ledger l", "23505");
	/* and a grant for the same reference cannot be written twice */
	refused(db, "INSERT INTO credit_ledger (user_id, delta, kind, ref) SELECT"
	    " id, 100, 'PURCHASE', 'order:1' FROM app_users", "23505");
	db_free(db);
}

static void
test_money_columns(void **state)
{
	struct db *db = conn();

	(void)state;
	/* no table column anywhere is a float, numeric or money; the one
	 * exception is an exchange rate (sql/060), a ratio and no amount,
	 * exact numeric so that a converted amount is rounded once */
	assert_int_equal(testdb_ll(db, "SELECT count(*) FROM information_schema.columns c"
	    " JOIN information_schema.tables t USING (table_schema, table_name)"
	    " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
	    " AND c.data_type IN ('real', 'double precision', 'numeric', 'money')"
	    " AND (c.table_name, c.column_name) <> ('fx_rates', 'rate')"), 0);
	assert_int_equal(testdb_ll(db, "SELECT count(*) FROM information_schema.columns"
	    " WHERE table_name = 'fx_rates' AND column_name = 'rate'"
	    " AND data_type = 'numeric'"), 1);
	/* every amount column is bigint minor units */
	assert_int_equal(testdb_ll(db, "SELECT count(*) FROM information_schema.columns"
	    " WHERE table_schema = 'public' AND (column_name LIKE '%amount%'"
	    " OR column_name LIKE '%price%' OR column_name LIKE '%cost_minor%')"
	    " AND data_type <> 'bigint'"), 0);
	assert_true(testdb_ll(db, "SELECT count(*) FROM information_schema.columns"
	    " WHERE table_schema = 'public' AND column_name = 'amount_minor'") >= 4);
	/* every currency column is char(3) and only takes ISO-shaped codes */
	assert_int_equal(testdb_ll(db, "SELECT count(*) FROM information_schema.columns"
	    " WHERE table_schema = 'public' AND column_name LIKE '%currency'"
	    " AND (data_type <> 'character' OR character_maximum_length <> 3)"),
	    0);
	refused(db, "INSERT INTO orders (source, provider_ref, amount_minor,"
	    " currency) VALUES ('s', 'r1', 100, 'usd')", "23514");
	refused(db, "INSERT INTO orders (source, provider_ref, amount_minor,"
	    " currency) VALUES ('s', 'r2', 100, 'US')", "23514");
	refused(db, "INSERT INTO orders (source, provider_ref, amount_minor,"
	    " currency) VALUES ('s', 'r3', '19.99', 'USD')", "22P02");
	refused(db, "INSERT INTO orders (source, provider_ref, amount_minor,"
	    " currency) VALUES ('s', 'r4', -1, 'USD')", "23514");
	assert_int_equal(testdb_ll(db, "SELECT tally_currency_exponent('JPY')"), 0);
	assert_int_equal(testdb_ll(db, "SELECT (tally_major(1999, 'USD') = 19.99)::int"),
	    1);
	assert_int_equal(testdb_ll(db, "SELECT (tally_major(1999, 'JPY') = 1999)::int"),
	    1);
	db_free(db);
}

static void
test_status_values(void **state)
{
	struct db *db = conn();

	(void)state;
	seed(db);
	refused(db, "INSERT INTO pool_accounts (email, status) VALUES"
	    " ('q@pool.io', 'BROKEN')", "23514");
	refused(db, "INSERT INTO assignments (account_id, customer_id, status,"
	    " starts_at, ends_at) SELECT a.id, c.id, 'PAUSED', now(), now() +"
	    " interval '1 day' FROM pool_accounts a, customers c LIMIT 1", "23514");
	refused(db, "INSERT INTO orders (source, provider_ref, amount_minor,"
	    " currency, status) VALUES ('s', 'r', 1, 'USD', 'SHIPPED')", "23514");
	refused(db, "INSERT INTO raw_events (source, scheme, event_key, body,"
	    " payload, status) VALUES ('s', 'stripe', 'k', '', '{}', 'MAYBE')",
	    "23514");
	refused(db, "INSERT INTO raw_events (source, scheme, event_key, body,"
	    " payload) VALUES ('s', 'paypal', 'k', '', '{}')", "23514");
	refused(db, "INSERT INTO job_runs (program, status) VALUES ('x', 'MEH')",
	    "23514");
	refused(db, "INSERT INTO products (sku, name, kind, duration_days,"
	    " price_minor, currency) VALUES ('s', 'n', 'BUNDLE', 30, 1, 'USD')",
	    "23514");
	/* a seat plan has days and no credits */
	refused(db, "INSERT INTO products (sku, name, kind, credits, price_minor,"
	    " currency) VALUES ('s', 'n', 'SEAT', 30, 1, 'USD')", "23514");
	refused(db, "INSERT INTO models (name, credit_cost) VALUES ('m', -1)",
	    "23514");
	db_free(db);
}

static void
test_audit_append_only(void **state)
{
	struct db *db = conn();
	struct strbuf problem = STRBUF_INIT;
	long long bad = -1, rows = 0;
	int i;

	(void)state;
	ok(db, "BEGIN");
	for (i = 0; i < 5; i++)
		assert_int_equal(audit_record(db, "alice", "account.suspend",
		    "pool_account", "1", "abuse", "{\"status\":\"AVAILABLE\"}",
		    "{\"status\":\"SUSPENDED\"}"), 0);
	ok(db, "COMMIT");
	refused(db, "UPDATE audit_log SET actor = 'mallory'", "42501");
	refused(db, "DELETE FROM audit_log", "42501");
	refused(db, "TRUNCATE audit_log", "42501");
	assert_int_equal(audit_verify(db, &bad, &rows, &problem), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(rows, 5);

	/* a superuser can switch the triggers off; the chain still tells */
	ok(db, "ALTER TABLE audit_log DISABLE TRIGGER USER");
	ok(db, "UPDATE audit_log SET reason = 'routine' WHERE id = (SELECT"
	    " min(id) + 2 FROM audit_log)");
	ok(db, "ALTER TABLE audit_log ENABLE TRIGGER USER");
	assert_int_equal(audit_verify(db, &bad, &rows, &problem), 0);
	assert_int_equal(bad, testdb_ll(db, "SELECT min(id) + 2 FROM audit_log"));
	assert_non_null(strstr(problem.buf, "altered"));

	/* removal of a row breaks the link of the row after it */
	ok(db, "ALTER TABLE audit_log DISABLE TRIGGER USER");
	ok(db, "UPDATE audit_log a SET reason = 'abuse' WHERE id = (SELECT"
	    " min(id) + 2 FROM audit_log)");
	ok(db, "DELETE FROM audit_log WHERE id = (SELECT min(id) + 1 FROM"
	    " audit_log)");
	ok(db, "ALTER TABLE audit_log ENABLE TRIGGER USER");
	strbuf_reset(&problem);
	assert_int_equal(audit_verify(db, &bad, &rows, &problem), 0);
	assert_int_equal(bad, testdb_ll(db, "SELECT min(id) + 2 FROM audit_log"));
	assert_non_null(strstr(problem.buf, "removed"));
	strbuf_release(&problem);
	db_free(db);
}

static void
test_roles(void **state)
{
	struct db *db = conn();

	(void)state;
	ok(db, "SET ROLE tally_receiver");
	ok(db, "INSERT INTO raw_events (source, scheme, event_key, body, payload)"
	    " VALUES ('s', 'stripe', 'r1', '', '{}') ON CONFLICT DO NOTHING"
	    " RETURNING source, event_key");
	refused(db, "SELECT payload FROM raw_events", "42501");
	refused(db, "UPDATE raw_events SET status = 'DONE'", "42501");
	refused(db, "INSERT INTO raw_events (source, scheme, event_key, body,"
	    " payload, status) VALUES ('s', 'stripe', 'r2', '', '{}', 'DONE')",
	    "42501");
	refused(db, "SELECT * FROM customers", "42501");
	refused(db, "INSERT INTO audit_log (actor, action, entity, prev_hash, hash)"
	    " VALUES ('x', 'y', 'z', '', '')", "42501");
	ok(db, "RESET ROLE");
	ok(db, "SET ROLE tally_report");
	ok(db, "SELECT count(*) FROM raw_events");
	refused(db, "INSERT INTO customers (email) VALUES ('r@x.io')", "42501");
	ok(db, "RESET ROLE");
	ok(db, "SET ROLE tally_batch");
	ok(db, "INSERT INTO customers (email) VALUES ('batch@x.io')");
	refused(db, "DELETE FROM customers", "42501");
	refused(db, "UPDATE audit_log SET actor = 'x'", "42501");
	ok(db, "RESET ROLE");
	db_free(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_raw_events_dedup, setup),
		cmocka_unit_test_setup(test_single_user_seat, setup),
		cmocka_unit_test_setup(test_multi_seat_counter, setup),
		cmocka_unit_test_setup(test_suspended_account, setup),
		cmocka_unit_test_setup(test_race_for_last_seat, setup),
		cmocka_unit_test_setup(test_many_racers, setup),
		cmocka_unit_test_setup(test_one_fulfilment_per_order, setup),
		cmocka_unit_test_setup(test_money_columns, setup),
		cmocka_unit_test_setup(test_status_values, setup),
		cmocka_unit_test_setup(test_audit_append_only, setup),
		cmocka_unit_test_setup(test_roles, setup),
	};
	int rc;

	testdb_require();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(url);
	return rc;
}
