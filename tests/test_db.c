/*
 * test_db - the libpq wrapper: SQLSTATE classification (no database), then
 * against the real test database: parameters, expected statuses, error
 * classification of real failures, retrying transactions, advisory locks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg/db.h"
#include "base/err.h"
#include "support/testdb.h"

static void
test_classify(void **state)
{
	static const struct {
		const char *sqlstate;
		int code;
	} cases[] = {
		{ "23505", TALLY_ECONFLICT },
		{ "40001", TALLY_ERETRY }, { "40P01", TALLY_ERETRY },
		{ "08006", TALLY_EUNAVAIL }, { "57P01", TALLY_EUNAVAIL },
		{ "53300", TALLY_EUNAVAIL }, { NULL, TALLY_EUNAVAIL },
		{ "", TALLY_EUNAVAIL },
		{ "23514", TALLY_EDATA }, { "22P02", TALLY_EDATA },
		{ "55P03", TALLY_ELOCKED },
		{ "42601", TALLY_EDB },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (db_classify(cases[i].sqlstate) != cases[i].code)
			fail_msg("SQLSTATE %s: %d, want %d", cases[i].sqlstate !=
			    NULL ? cases[i].sqlstate : "(none)",
			    db_classify(cases[i].sqlstate), cases[i].code);
}

static void
test_bad_url_is_config_error(void **state)
{
	struct db *db = NULL;

	(void)state;
	assert_int_equal(db_connect_url(&db, "host=/x port=notanumber =bad",
	    "t", NULL), TALLY_ECONFIG);
	assert_null(db);
	/* a well-formed URL to nowhere is an outage, not a config error */
	assert_int_equal(db_connect_url(&db,
	    "host=/nonexistent/socket/dir port=1 connect_timeout=2", "t", NULL),
	    TALLY_EUNAVAIL);
	assert_null(db);
}

static struct db *
connect_test(void)
{
	struct db *db = NULL;

	assert_int_equal(db_connect(&db, "test_db", NULL), 0);
	return db;
}

static void
test_params_and_status(void **state)
{
	struct db *db = connect_test();
	const char *p[2] = { "O'Brien; DROP TABLE x --", NULL };
	char *v = NULL;
	PGresult *res;
	long long n = -1;

	(void)state;
	/* a parameter is data, never SQL */
	assert_int_equal(db_query_value(db, &v, "SELECT $1::text", 1, p), 0);
	assert_string_equal(v, p[0]);
	free(v);
	assert_int_equal(db_query_value(db, &v, "SELECT $1::text", 1, p + 1), 0);
	assert_null(v);
	/* wrong expected status is a programming error */
	assert_int_equal(db_command(db, NULL, "SELECT 1", 0, NULL),
	    TALLY_EINTERNAL);
	assert_int_equal(db_query(db, &res,
	    "SELECT g FROM generate_series(1, 3) g", 0, NULL), 0);
	assert_int_equal(PQntuples(res), 3);
	assert_int_equal(db_value_ll(res, 2, 0, 0), 3);
	assert_null(db_value(res, 5, 0));
	PQclear(res);
	assert_int_equal(db_simple(db, "CREATE TEMP TABLE t (k int primary key)"), 0);
	assert_int_equal(db_command(db, &n,
	    "INSERT INTO t SELECT generate_series(1, 4)", 0, NULL), 0);
	assert_int_equal(n, 4);
	db_free(db);
}

static void
test_errors_classified(void **state)
{
	struct db *db = connect_test();
	const char *p[1] = { "1" };

	(void)state;
	assert_int_equal(db_simple(db, "CREATE TEMP TABLE u (k int primary key)"), 0);
	assert_int_equal(db_command(db, NULL, "INSERT INTO u VALUES ($1)", 1, p), 0);
	assert_int_equal(db_command(db, NULL, "INSERT INTO u VALUES ($1)", 1, p),
	    TALLY_ECONFLICT);
	assert_string_equal(db_sqlstate(db), "23505");
	assert_non_null(strstr(db_errmsg(db), "duplicate key"));
	assert_int_equal(db_command(db, NULL, "INSERT INTO u VALUES ('x')", 0,
	    NULL), TALLY_EDATA);
	assert_int_equal(db_simple(db, "SELEC 1"), TALLY_EDB);
	assert_string_equal(db_sqlstate(db), "42601");
	db_free(db);
}

struct retry_ctx {
	int calls;
};

static int
fail_twice(struct db *db, void *arg)
{
	struct retry_ctx *ctx = arg;

	ctx->calls++;
	if (ctx->calls <= 2)
		/* a real serialization failure, raised by the server */
		return db_simple(db, "DO $$ BEGIN RAISE EXCEPTION 'conflict' "
		    "USING ERRCODE = 'serialization_failure'; END $$");
	return db_simple(db, "CREATE TEMP TABLE IF NOT EXISTS done (x int)");
}

static void
test_transaction_retry(void **state)
{
	struct db *db = connect_test();
	struct retry_ctx ctx = { 0 };

	(void)state;
	assert_int_equal(db_transaction(db, DB_SERIALIZABLE, 5, fail_twice, &ctx), 0);
	assert_int_equal(ctx.calls, 3);
	ctx.calls = 0;
	assert_int_equal(db_transaction(db, DB_SERIALIZABLE, 2, fail_twice, &ctx),
	    TALLY_ERETRY);
	assert_int_equal(ctx.calls, 2);
	db_free(db);
}

static void
test_advisory_lock(void **state)
{
	struct db *a = connect_test(), *b = connect_test();
	char *pid = NULL;
	int i, rc = -1;

	(void)state;
	assert_int_equal(db_try_lock(a, "tally-allocate"), 0);
	/* held elsewhere: refused at once, not waited for */
	assert_int_equal(db_try_lock(b, "tally-allocate"), TALLY_ELOCKED);
	assert_int_equal(db_try_lock(b, "tally-expire"), 0);
	assert_int_equal(db_unlock(a, "tally-allocate"), 0);
	assert_int_equal(db_try_lock(b, "tally-allocate"), 0);
	assert_int_equal(db_query_value(b, &pid, "SELECT pg_backend_pid()", 0,
	    NULL), 0);
	db_free(b);
	/*
	 * Closing the connection releases it once the server has noticed
	 * the disconnect (PQfinish does not wait for the backend to exit):
	 * wait until b's backend holds no advisory lock, then a gets it at
	 * once.  The poll interval is not a timing; the cap only keeps a
	 * broken server from hanging the test.
	 */
	for (i = 0; i < 6000 && testdb_value(a, "SELECT count(*) FROM pg_locks"
	    " WHERE locktype = 'advisory' AND pid = $1::int", pid)[0] != '0';
	    i++)
		usleep(10000);
	rc = db_try_lock(a, "tally-allocate");
	free(pid);
	assert_int_equal(rc, 0);
	db_free(a);
}

static void
test_role(void **state)
{
	struct db *db = NULL;
	char *v = NULL;

	(void)state;
	assert_int_equal(db_connect(&db, "test_db", "tally_report"), 0);
	assert_int_equal(db_query_value(db, &v, "SELECT current_user", 0, NULL), 0);
	assert_string_equal(v, "tally_report");
	free(v);
	db_free(db);
}

int
main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_bad_url_is_config_error),
	};
	const struct CMUnitTest integration[] = {
		cmocka_unit_test(test_params_and_status),
		cmocka_unit_test(test_errors_classified),
		cmocka_unit_test(test_transaction_retry),
		cmocka_unit_test(test_advisory_lock),
		cmocka_unit_test(test_role),
	};
	int rc;

	rc = cmocka_run_group_tests_name("db unit", unit, NULL, NULL);
	if (rc != 0)
		return rc;
	testdb_require();
	return cmocka_run_group_tests_name("db integration", integration, NULL,
	    NULL);
}
