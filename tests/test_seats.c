/*
 * test_seats - lib/books/seats.h, the seat-assignment call tallyctl makes: the
 * policy when no account is named, every refusal with its code, order
 * fulfilment through it (exactly once, also against the allocator),
 * waiting for a locked account instead of refusing, and the per-statement
 * seat trigger of sql/012 (several seats in one statement, releases,
 * refusals).
 */
#include "support/alloc_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "books/seats.h"

static long long
customer(const char *email)
{
	struct strbuf sb = STRBUF_INIT;
	long long id;

	strbuf_addf(&sb, "INSERT INTO customers (email) VALUES ('%s') RETURNING id",
	    email);
	id = t_ll(t_su, sb.buf);
	strbuf_release(&sb);
	return id;
}

static long long
account(const char *email, const char *max_seats)
{
	struct strbuf sb = STRBUF_INIT;
	long long id;

	strbuf_addf(&sb, "INSERT INTO pool_accounts (email, max_seats)"
	    " VALUES ('%s', %s) RETURNING id", email, max_seats);
	id = t_ll(t_su, sb.buf);
	strbuf_release(&sb);
	return id;
}

/* seats_assign in its own transaction, as tallyctl would call it. */
static int
assign(long long acc, long long cust, long long order, const char *starts,
    int days, long long *id)
{
	struct db *db = NULL;
	int rc;

	if (db_connect_url(&db, t_url, "test", "tally_admin") != 0)
		fail_msg("connect as tally_admin");
	if (db_begin(db, DB_READ_COMMITTED) != 0)
		fail_msg("begin: %s", db_errmsg(db));
	rc = seats_assign(db, acc, cust, order, starts, days, id);
	if (rc == 0) {
		if (db_commit(db) != 0)
			fail_msg("commit: %s", db_errmsg(db));
	} else {
		db_rollback(db);
	}
	db_free(db);
	return rc;
}

static void
test_policy_and_refusals(void **state)
{
	long long c1, single, multi3, sus, id = 0, free_seats = 0;
	long long before;

	(void)state;
	c1 = customer("c1@example.com");
	single = account("single@acc.io", "NULL");
	multi3 = account("multi3@acc.io", "3");
	sus = account("sus@acc.io", "2");
	t_exec(t_su, "UPDATE pool_accounts SET status = 'SUSPENDED'"
	    " WHERE email = 'sus@acc.io'");
	assert_int_equal(seats_free_total(t_su, &free_seats), 0);
	assert_int_equal(free_seats, 4);

	/* by policy: the multi-seat account before the single-user one */
	assert_int_equal(assign(0, c1, 0, NULL, 30, &id), 0);
	assert_true(id > 0);
	t_expect_str(t_su, "SELECT concat_ws(' ', acc.email, a.status,"
	    " a.ends_at - a.starts_at, a.order_id IS NULL)"
	    " FROM assignments a JOIN pool_accounts acc ON acc.id = a.account_id",
	    "multi3@acc.io ACTIVE 30 days t");
	/* a named account; an explicit start */
	assert_int_equal(assign(single, c1, 0, "2026-12-01 00:00:00+00", 7, &id), 0);
	t_expect_str(t_su, "SELECT concat_ws(' ', starts_at, ends_at) FROM assignments"
	    " ORDER BY id DESC LIMIT 1",
	    "2026-12-01 00:00:00+00 2026-12-08 00:00:00+00");
	t_expect_str(t_su, "SELECT status FROM pool_accounts WHERE email = 'single@acc.io'",
	    "ASSIGNED");

	before = t_ll(t_su, "SELECT count(*) FROM assignments");
	assert_int_equal(assign(single, c1, 0, NULL, 30, &id), TALLY_EREFUSED);
	assert_int_equal(id, 0);
	assert_int_equal(assign(sus, c1, 0, NULL, 30, NULL), TALLY_EREFUSED);
	assert_int_equal(assign(999999, c1, 0, NULL, 30, NULL), TALLY_ENOTFOUND);
	assert_int_equal(assign(multi3, 999999, 0, NULL, 30, NULL), TALLY_ENOTFOUND);
	assert_int_equal(assign(multi3, c1, 999999, NULL, 30, NULL), TALLY_ENOTFOUND);
	assert_int_equal(assign(multi3, c1, 0, NULL, 0, NULL), TALLY_EUSAGE);
	assert_int_equal(assign(multi3, c1, 0, NULL, 36501, NULL), TALLY_EUSAGE);
	assert_int_equal(assign(multi3, c1, 0, "not a time", 30, NULL), TALLY_EDATA);
	t_expect_ll(t_su, "SELECT count(*) FROM assignments", before);

	/* fill the rest: then no account has room */
	assert_int_equal(assign(0, c1, 0, NULL, 30, NULL), 0);
	assert_int_equal(assign(0, c1, 0, NULL, 30, NULL), 0);
	assert_int_equal(seats_free_total(t_su, &free_seats), 0);
	assert_int_equal(free_seats, 0);
	assert_int_equal(assign(0, c1, 0, NULL, 30, NULL), TALLY_EREFUSED);
	t_check_invariants(t_su);
}

static void
test_order_fulfilment(void **state)
{
	long long c1, acc, seat_order, credit_order, id = 0;
	struct allocate_stats st;

	(void)state;
	t_seed_products(t_su);
	c1 = customer("c1@example.com");
	acc = account("pool@acc.io", "5");
	seat_order = t_ll(t_su, "INSERT INTO orders (source, provider_ref,"
	    " customer_id, product_id, amount_minor, currency, status, paid_at)"
	    " SELECT 'stripe', 'pi_manual', c.id, p.id, 1999, 'USD', 'PAID', now()"
	    " FROM customers c, products p WHERE p.sku = 'seat-30' RETURNING id");
	credit_order = t_ll(t_su, "INSERT INTO orders (source, provider_ref,"
	    " customer_id, product_id, amount_minor, currency, status, paid_at)"
	    " SELECT 'stripe', 'pi_credits', c.id, p.id, 999, 'USD', 'PAID', now()"
	    " FROM customers c, products p WHERE p.sku = 'credits-100' RETURNING id");
	t_exec(t_su, "INSERT INTO fulfil_queue (order_id) SELECT id FROM orders");

	/* an admin fulfils the seat order by hand: out of the queue, once */
	assert_int_equal(assign(acc, c1, seat_order, NULL, 30, &id), 0);
	t_expect_ll(t_su, "SELECT count(*) FROM fulfil_queue", 1);
	t_expect_str(t_su, "SELECT concat_ws(' ', f.kind, f.assignment_id = a.id,"
	    " a.order_id = f.order_id) FROM fulfilments f JOIN assignments a"
	    " ON a.id = f.assignment_id", "SEAT t t");
	assert_int_equal(assign(acc, c1, seat_order, NULL, 30, NULL), TALLY_ECONFLICT);
	/* a credit package is not a seat */
	assert_int_equal(assign(acc, c1, credit_order, NULL, 30, NULL), TALLY_EREFUSED);
	/* the allocator does not fulfil it again; it does the credit order */
	assert_int_equal(t_allocate(&st), 0);
	assert_int_equal(st.seats, 0);
	assert_int_equal(st.credits, 1);
	t_expect_ll(t_su, "SELECT count(*) FROM assignments", 1);
	t_check_invariants(t_su);
}

/* ---- waiting for a locked account -------------------------------- */

struct waiter {
	long long customer;
	int rc;
	atomic_bool done;
};

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->rc = assign(0, w->customer, 0, NULL, 30, NULL);
	atomic_store(&w->done, true);
	return NULL;
}

/* Whether some session waits for a lock that session pid holds. */
static bool
blocked_by(int pid)
{
	char pidbuf[16], *v = NULL;
	const char *params[1] = { pidbuf };
	bool yes;

	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	if (db_query_value(t_su, &v, "SELECT count(*) FROM pg_stat_activity"
	    " WHERE $1::integer = ANY (pg_blocking_pids(pid))", 1, params) != 0)
		fail_msg("pg_blocking_pids: %s", db_errmsg(t_su));
	yes = v != NULL && strcmp(v, "0") != 0;
	free(v);
	return yes;
}

/*
 * The only account with room is held by another transaction (an
 * allocator busy with it): seats_assign waits for it instead of saying
 * there is no room.  The order of events is what is checked, never a
 * duration: the waiter shows as blocked by the holder and has not
 * finished while the lock is held; once the holder commits it gets the
 * seat.
 */
static void
test_waits_for_locked_account(void **state)
{
	struct waiter w;
	struct db *holder = NULL;
	pthread_t th;
	int tries;

	(void)state;
	w.customer = customer("w@example.com");
	w.rc = -1;
	atomic_init(&w.done, false);
	account("busy@acc.io", "2");
	if (db_connect_url(&holder, t_url, "test", NULL) != 0)
		fail_msg("connect");
	t_exec(holder, "BEGIN");
	t_exec(holder, "SELECT 1 FROM pool_accounts FOR NO KEY UPDATE");
	assert_int_equal(pthread_create(&th, NULL, waiter_main, &w), 0);
	/* until the waiter is seen waiting on the holder (or finished, which
	 * is the failure this test is for) */
	for (tries = 0; !blocked_by(PQbackendPID(db_conn(holder))) &&
	    !atomic_load(&w.done); tries++) {
		if (tries > 60000)
			fail_msg("the waiter never blocked on the held account");
		usleep(1000);
	}
	assert_false(atomic_load(&w.done));
	t_exec(holder, "COMMIT");
	pthread_join(th, NULL);
	db_free(holder);
	assert_int_equal(w.rc, 0);
	t_expect_ll(t_su, "SELECT current_seats_used FROM pool_accounts", 1);
}

/* ---- the per-statement seat trigger (sql/012) -------------------- */

static void
test_trigger_per_statement(void **state)
{
	(void)state;
	customer("t@example.com");
	account("a@acc.io", "3");
	account("b@acc.io", "2");
	account("s@acc.io", "NULL");
	/* several seats on several accounts in one statement */
	t_exec(t_su, "INSERT INTO assignments (account_id, customer_id, starts_at,"
	    " ends_at) SELECT a.id, c.id, now(), now() + interval '1 day'"
	    " FROM pool_accounts a CROSS JOIN customers c"
	    " CROSS JOIN generate_series(1, 2) g WHERE a.email IN ('a@acc.io',"
	    " 'b@acc.io')");
	t_expect_str(t_su, "SELECT string_agg(email || '=' || current_seats_used"
	    " || '/' || status, ', ' ORDER BY id) FROM pool_accounts",
	    "a@acc.io=2/AVAILABLE, b@acc.io=2/ASSIGNED, s@acc.io=0/AVAILABLE");
	/* one too many for b in one statement: the whole statement fails */
	if (db_simple(t_su, "INSERT INTO assignments (account_id, customer_id,"
	    " starts_at, ends_at) SELECT a.id, c.id, now(), now() + interval '1 day'"
	    " FROM pool_accounts a, customers c WHERE a.email IN ('a@acc.io',"
	    " 'b@acc.io')") == 0)
		fail_msg("oversubscription accepted");
	assert_string_equal(db_sqlstate(t_su), "23514");
	t_expect_ll(t_su, "SELECT count(*) FROM assignments", 4);
	/* releases in one statement: counts and status follow */
	t_exec(t_su, "UPDATE assignments SET status = 'EXPIRED', ended_at = now()");
	t_expect_str(t_su, "SELECT string_agg(email || '=' || current_seats_used"
	    " || '/' || status, ', ' ORDER BY id) FROM pool_accounts",
	    "a@acc.io=0/AVAILABLE, b@acc.io=0/AVAILABLE, s@acc.io=0/AVAILABLE");
	/* an ended assignment cannot come back, nor move, nor be deleted */
	if (db_simple(t_su, "UPDATE assignments SET status = 'ACTIVE', ended_at = NULL") == 0)
		fail_msg("reactivated an expired assignment");
	assert_string_equal(db_sqlstate(t_su), "23514");
	if (db_simple(t_su, "UPDATE assignments SET account_id = (SELECT id FROM"
	    " pool_accounts WHERE email = 's@acc.io')") == 0)
		fail_msg("moved an assignment");
	assert_string_equal(db_sqlstate(t_su), "23514");
	if (db_simple(t_su, "DELETE FROM assignments") == 0)
		fail_msg("deleted assignments");
	assert_string_equal(db_sqlstate(t_su), "P0001");
	t_exec(t_su, "DELETE FROM assignments WHERE false");
	/* a suspended account refuses a new seat; it stays suspended when
	 * one of its seats is released */
	t_exec(t_su, "INSERT INTO assignments (account_id, customer_id, starts_at,"
	    " ends_at) SELECT a.id, c.id, now(), now() + interval '1 day'"
	    " FROM pool_accounts a, customers c WHERE a.email = 'a@acc.io'");
	t_exec(t_su, "UPDATE pool_accounts SET status = 'SUSPENDED'"
	    " WHERE email = 'a@acc.io'");
	if (db_simple(t_su, "INSERT INTO assignments (account_id, customer_id,"
	    " starts_at, ends_at) SELECT a.id, c.id, now(), now() + interval '1 day'"
	    " FROM pool_accounts a, customers c WHERE a.email = 'a@acc.io'") == 0)
		fail_msg("seat on a suspended account");
	assert_string_equal(db_sqlstate(t_su), "23514");
	t_exec(t_su, "UPDATE assignments SET status = 'REVOKED', ended_at = now()"
	    " WHERE status = 'ACTIVE'");
	t_expect_str(t_su, "SELECT concat_ws(' ', status, current_seats_used)"
	    " FROM pool_accounts WHERE email = 'a@acc.io'", "SUSPENDED 0");
	/* an extension (ACTIVE stays ACTIVE) changes no count */
	t_exec(t_su, "UPDATE pool_accounts SET status = 'AVAILABLE'"
	    " WHERE email = 'a@acc.io'");
	t_exec(t_su, "INSERT INTO assignments (account_id, customer_id, starts_at,"
	    " ends_at) SELECT a.id, c.id, now(), now() + interval '1 day'"
	    " FROM pool_accounts a, customers c WHERE a.email = 'a@acc.io'");
	t_exec(t_su, "UPDATE assignments SET ends_at = ends_at + interval '30 days'"
	    " WHERE status = 'ACTIVE'");
	t_expect_ll(t_su, "SELECT current_seats_used FROM pool_accounts"
	    " WHERE email = 'a@acc.io'", 1);
	t_check_invariants(t_su);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
		T(test_policy_and_refusals),
		T(test_order_fulfilment),
		T(test_waits_for_locked_account),
		T(test_trigger_per_statement),
#undef T
	};

	testdb_require();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
