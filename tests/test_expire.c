/*
 * test_expire - tally-expire against a real database: assignments past
 * their end expire at the as-of instant and give their seats back (a full
 * account becomes AVAILABLE, a suspended one stays SUSPENDED), nothing else
 * changes, a rerun changes nothing, a dry run changes nothing, an
 * assignment another transaction holds is left for the next run, the
 * ending-soon list, and the program's options and exit codes.
 */
#include "support/alloc_test.h"

#include <sysexits.h>

#include "books/expire.h"
#include "out/table.h"

#define AS_OF "2026-12-01 12:00:00+00"

/*
 * Three accounts: full (2 of 2), suspended (1 of 3), single-user (1).
 * Assignments ending before, at and after the as-of instant, and within
 * and beyond the 3-day ending-soon window.
 */
static void
seed(void)
{
	t_exec(t_su, "INSERT INTO customers (email) VALUES ('c1@example.com'),"
	    " ('c2@example.com'), ('c3@example.com'), ('c4@example.com')");
	t_exec(t_su, "INSERT INTO pool_accounts (email, max_seats) VALUES"
	    " ('full@acc.io', 2), ('sus@acc.io', 3), ('single@acc.io', NULL)");
	t_exec(t_su, "INSERT INTO assignments (account_id, customer_id,"
	    " starts_at, ends_at) SELECT a.id, c.id,"
	    " timestamptz '2026-11-01 00:00:00+00', x.ends::timestamptz"
	    " FROM (VALUES"
	    "  ('full@acc.io', 'c1@example.com', '2026-11-30 00:00:00+00'),"
	    "  ('full@acc.io', 'c2@example.com', '2026-12-03 00:00:00+00'),"
	    "  ('sus@acc.io', 'c3@example.com', '2026-12-01 12:00:00+00'),"
	    "  ('single@acc.io', 'c4@example.com', '2026-12-10 00:00:00+00'))"
	    " AS x(acc, cust, ends)"
	    " JOIN pool_accounts a ON a.email = x.acc"
	    " JOIN customers c ON c.email = x.cust");
	t_exec(t_su, "UPDATE pool_accounts SET status = 'SUSPENDED'"
	    " WHERE email = 'sus@acc.io'");
}

static int
expire(bool dry_run, int days, int format, char **list, struct expire_stats *st)
{
	struct expire_opts o = { .as_of = AS_OF, .dry_run = dry_run,
	    .ending_soon_days = days, .format = format };
	struct expire_stats local;
	struct db *db = t_batch_conn();
	size_t len = 0;
	FILE *f = NULL;
	int rc;

	if (list != NULL) {
		*list = NULL;
		f = open_memstream(list, &len);
		o.list = f;
	}
	rc = expire_run(db, &o, st != NULL ? st : &local);
	if (f != NULL)
		fclose(f);
	db_free(db);
	return rc;
}

static void
test_expire_at_as_of(void **state)
{
	struct expire_stats st;
	char *list = NULL;

	(void)state;
	seed();
	assert_int_equal(expire(false, 3, TABLE_CSV, &list, &st), 0);
	t_check_invariants(t_su);
	/* the one ended before and the one ending exactly at as-of */
	assert_int_equal(st.expired, 2);
	t_expect_str(t_su, "SELECT string_agg(c.email || ' ' || a.status, ', '"
	    " ORDER BY c.email) FROM assignments a JOIN customers c"
	    " ON c.id = a.customer_id",
	    "c1@example.com EXPIRED, c2@example.com ACTIVE,"
	    " c3@example.com EXPIRED, c4@example.com ACTIVE");
	t_expect_ll(t_su, "SELECT count(*) FROM assignments WHERE status = 'EXPIRED'"
	    " AND reason = 'plan ended' AND ended_at IS NOT NULL", 2);
	t_expect_str(t_su, "SELECT string_agg(email || '=' || current_seats_used"
	    " || '/' || status, ', ' ORDER BY id) FROM pool_accounts",
	    "full@acc.io=1/AVAILABLE, sus@acc.io=0/SUSPENDED,"
	    " single@acc.io=1/ASSIGNED");
	/* no audit row per expiry: job_runs counts them (see expire.h) */
	t_expect_ll(t_su, "SELECT count(*) FROM audit_log", 0);
	/* ending within 3 days of as-of: only c2 (c4 ends in 9 days) */
	assert_int_equal(st.ending_soon, 1);
	assert_non_null(list);
	if (strstr(list, "\"assignment\",\"account\",\"customer\",\"order\","
	    "\"starts_at\",\"ends_at\"\r\n") != list ||
	    strstr(list, ",\"full@acc.io\",\"c2@example.com\",,"
	    "\"2026-11-01 00:00:00+00\",\"2026-12-03 00:00:00+00\"\r\n") == NULL ||
	    strstr(list, "c4@example.com") != NULL)
		fail_msg("ending-soon list:\n%s", list);
	free(list);

	/* a rerun at the same instant changes nothing */
	assert_int_equal(expire(false, 3, TABLE_CSV, NULL, &st), 0);
	assert_int_equal(st.expired, 0);
	t_expect_ll(t_su, "SELECT count(*) FROM assignments WHERE status = 'EXPIRED'", 2);
	/* a longer window lists both */
	assert_int_equal(expire(false, 10, TABLE_CSV, NULL, &st), 0);
	assert_int_equal(st.ending_soon, 2);
}

static void
test_dry_run(void **state)
{
	struct expire_stats st;

	(void)state;
	seed();
	assert_int_equal(expire(true, 0, TABLE_TEXT, NULL, &st), 0);
	assert_int_equal(st.expired, 2);
	t_expect_ll(t_su, "SELECT count(*) FROM assignments WHERE status = 'ACTIVE'", 4);
	t_expect_ll(t_su, "SELECT sum(current_seats_used) FROM pool_accounts", 4);
}

/* An assignment an admin is changing right now is left for the next run. */
static void
test_locked_assignment_waits(void **state)
{
	struct expire_stats st;
	struct db *admin = NULL;

	(void)state;
	seed();
	if (db_connect_url(&admin, t_url, "test", NULL) != 0)
		fail_msg("connect");
	t_exec(admin, "BEGIN");
	t_exec(admin, "SELECT 1 FROM assignments a JOIN customers c"
	    " ON c.id = a.customer_id WHERE c.email = 'c1@example.com'"
	    " FOR UPDATE OF a");
	assert_int_equal(expire(false, 0, TABLE_TEXT, NULL, &st), 0);
	assert_int_equal(st.expired, 1);
	/* the admin extends it meanwhile: not due any more */
	t_exec(admin, "UPDATE assignments SET ends_at = '2027-01-01' WHERE id ="
	    " (SELECT a.id FROM assignments a JOIN customers c"
	    " ON c.id = a.customer_id WHERE c.email = 'c1@example.com')");
	t_exec(admin, "COMMIT");
	db_free(admin);
	assert_int_equal(expire(false, 0, TABLE_TEXT, NULL, &st), 0);
	assert_int_equal(st.expired, 0);
	t_expect_ll(t_su, "SELECT count(*) FROM assignments WHERE status = 'ACTIVE'", 3);
	t_check_invariants(t_su);
}

/* Many assignments, several batches. */
static void
test_batches(void **state)
{
	struct expire_opts o;
	struct expire_stats st;
	struct db *db;

	(void)state;
	t_exec(t_su, "INSERT INTO customers (email) SELECT 'c' || g || '@example.com'"
	    " FROM generate_series(1, 500) g");
	t_exec(t_su, "INSERT INTO pool_accounts (email, max_seats)"
	    " SELECT 'acc' || g || '@acc.io', 50 FROM generate_series(1, 10) g");
	t_exec(t_su, "INSERT INTO assignments (account_id, customer_id, starts_at,"
	    " ends_at) SELECT (SELECT min(id) FROM pool_accounts) + (c.id - 1) / 50,"
	    " c.id, timestamptz '2026-11-01', timestamptz '2026-11-20'"
	    "  + (c.id % 20) * interval '1 day' FROM customers c");
	memset(&o, 0, sizeof(o));
	o.as_of = AS_OF;
	o.batch = 37;
	db = t_batch_conn();
	assert_int_equal(expire_run(db, &o, &st), 0);
	db_free(db);
	/* ends_at 2026-11-20 + 0..19 days: days 0..11 are due (12 of 20) */
	assert_int_equal(st.expired, 300);
	t_check_invariants(t_su);
	t_expect_ll(t_su, "SELECT sum(current_seats_used) FROM pool_accounts", 200);
}

/* tally-expire with args; diagnostics to the test log, the list (stdout)
 * is checked separately */
#define EXPIRE(args) testdb_run("tally-expire", "%s >/dev/null", args)

static void
test_program(void **state)
{
	static const char *const bad[] = { "--days -1", "--as-of nope", NULL };
	struct db *holder;

	(void)state;
	t_program_cli("tally-expire", bad);
	seed();
	assert_int_equal(EXPIRE("--dry-run --as-of '" AS_OF "'"), 0);
	t_expect_ll(t_su, "SELECT count(*) FROM job_runs", 0);
	t_expect_ll(t_su, "SELECT count(*) FROM assignments WHERE status = 'EXPIRED'", 0);
	assert_int_equal(EXPIRE("--as-of '" AS_OF "' --csv"), 0);
	t_expect_ll(t_su, "SELECT count(*) FROM assignments WHERE status = 'EXPIRED'", 2);
	t_expect_str(t_su, "SELECT concat_ws(' ', program, status, counts->>'expired',"
	    " counts->>'ending_soon', as_of) FROM job_runs",
	    "tally-expire OK 2 1 " AS_OF);
	holder = t_hold_lock("tally-expire");
	assert_int_equal(EXPIRE("--as-of '" AS_OF "'"), EX_TEMPFAIL);
	db_free(holder);
	t_expect_ll(t_su, "SELECT count(*) FROM job_runs", 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
		T(test_expire_at_as_of),
		T(test_dry_run),
		T(test_locked_assignment_waits),
		T(test_batches),
		T(test_program),
#undef T
	};

	testdb_require();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
