/*
 * test_allocate_concurrency - the proof that allocation is safe with
 * several allocators and admins at once.
 *
 * While a receiver thread delivers 3,000 orders' events (Stripe, Midtrans,
 * Xendit; seats and credits; duplicates; refunds before and after their
 * payments; a late "pending" after a settlement), four allocator threads -
 * each its own connection, each calling allocate_run() as tally-allocate
 * does - work them concurrently; an admin thread revokes assignments,
 * suspends and reactivates accounts and gives walk-in seats with
 * seats_assign(); an expirer thread ends the walk-ins that are over.  There
 * are fewer seats than seat orders, so some must wait for room.
 *
 * Afterwards: every seat counter equals its ACTIVE assignments and none is
 * above capacity; every paid order is fulfilled exactly once, or waits for
 * lack of room (and then there is no free seat left); every refunded order
 * holds no seat and no credits; every automatic revocation is audited;
 * every event is DONE.
 */
#include "support/alloc_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "pg/audit.h"
#include "books/expire.h"
#include "books/seats.h"

#define ORDERS 3000
#define CHUNK 100
#define ALLOCATORS 4

static atomic_int receiver_done;
static atomic_int admin_done;
static atomic_int errors;
static pthread_mutex_t err_mu = PTHREAD_MUTEX_INITIALIZER;
static char first_error[512];

static void
error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Threads cannot use cmocka's assertions (longjmp): note and go on. */
static void
error(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&err_mu);
	if (atomic_fetch_add(&errors, 1) == 0) {
		va_start(ap, fmt);
		vsnprintf(first_error, sizeof(first_error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&err_mu);
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * The events of orders [from, to): g % 10 in 0..5 a Stripe seat (session,
 * and for even g also the payment intent), 6..7 Stripe credits, 8 a
 * Midtrans seat (settlement, then a stale pending), 9 a Xendit seat.
 * Every 20th order is refunded in full: for half of them the refund comes
 * first.  $3 selects the part: 1 refunds sent early, 2 payments, 3 late
 * refunds and stale notifications.
 */
static const char sql_events[] =
    "INSERT INTO raw_events (source, scheme, event_key, body, payload)"
    " SELECT e.scheme, e.scheme, e.key, convert_to(e.p::text, 'UTF8'), e.p"
    " FROM (SELECT g, x.n, x.scheme, x.key, x.p FROM generate_series($1::integer,"
    "  $2::integer - 1) g CROSS JOIN LATERAL (VALUES"
    "  (1, 'stripe', 'cs' || g, CASE WHEN g % 10 <= 7 AND $3::integer = 2 THEN"
    "   jsonb_build_object('id', 'evt_cs' || g, 'type', 'checkout.session.completed',"
    "   'created', 1795000000, 'data', jsonb_build_object('object',"
    "   jsonb_build_object('id', 'cs_' || g, 'payment_intent', 'pi_' || g,"
    "   'payment_status', 'paid', 'amount_total', CASE WHEN g % 10 <= 5"
    "   THEN 1999 ELSE 999 END, 'currency', 'usd', 'customer_details',"
    "   jsonb_build_object('email', 'u' || g || '@example.com'), 'metadata',"
    "   jsonb_build_object('sku', CASE WHEN g % 10 <= 5 THEN 'seat-30'"
    "   ELSE 'credits-100' END)))) END),"
    "  (2, 'stripe', 'pi' || g, CASE WHEN g % 10 <= 7 AND g % 2 = 0"
    "   AND $3::integer = 2 THEN"
    "   jsonb_build_object('id', 'evt_pi' || g, 'type', 'payment_intent.succeeded',"
    "   'created', 1795000001, 'data', jsonb_build_object('object',"
    "   jsonb_build_object('id', 'pi_' || g, 'amount_received', CASE WHEN"
    "   g % 10 <= 5 THEN 1999 ELSE 999 END, 'currency', 'usd',"
    "   'receipt_email', 'u' || g || '@example.com'))) END),"
    "  (3, 'stripe', 're' || g, CASE WHEN g % 10 <= 7 AND g % 20 = 3"
    "   AND $3::integer = CASE WHEN g % 40 = 3 THEN 1 ELSE 3 END THEN"
    "   jsonb_build_object('id', 'evt_re' || g, 'type', 'charge.refunded',"
    "   'created', 1795000100, 'data', jsonb_build_object('object',"
    "   jsonb_build_object('id', 'ch_' || g, 'payment_intent', 'pi_' || g,"
    "   'amount', CASE WHEN g % 10 <= 5 THEN 1999 ELSE 999 END,"
    "   'amount_refunded', CASE WHEN g % 10 <= 5 THEN 1999 ELSE 999 END,"
    "   'currency', 'usd', 'refunded', true))) END),"
    "  (4, 'midtrans', 'mt' || g || '-' || $3::integer, CASE WHEN g % 10 = 8"
    "   AND $3::integer IN (2, 3) THEN jsonb_build_object("
    "   'transaction_status', CASE WHEN $3::integer = 2 THEN 'settlement'"
    "   ELSE 'pending' END, 'fraud_status', 'accept', 'order_id', 'ord-' || g,"
    "   'transaction_id', 'tx-' || g, 'status_code', '200', 'gross_amount',"
    "   '150000.00', 'currency', 'IDR', 'transaction_time', '2026-11-20 10:15:00',"
    "   'custom_field1', 'seat-30-idr', 'customer_details',"
    "   jsonb_build_object('email', 'u' || g || '@example.com')) END),"
    "  (5, 'xendit', 'xe' || g, CASE WHEN g % 10 = 9 AND $3::integer = 2 THEN"
    "   jsonb_build_object('id', 'inv_' || g, 'status', 'PAID', 'amount', 150000,"
    "   'paid_amount', 150000, 'currency', 'IDR', 'payer_email',"
    "   'u' || g || '@example.com', 'paid_at', '2026-11-20T03:16:00Z',"
    "   'metadata', jsonb_build_object('sku', 'seat-30-idr')) END)"
    "  ) AS x(n, scheme, key, p)) e"
    " WHERE e.p IS NOT NULL ORDER BY e.g, e.n"
    " ON CONFLICT (source, event_key) DO NOTHING";

static void
deliver_part(struct db *db, int g, int part)
{
	char from[16], to[16], p[4];
	const char *params[3] = { from, to, p };

	snprintf(from, sizeof(from), "%d", g);
	snprintf(to, sizeof(to), "%d", g + CHUNK);
	snprintf(p, sizeof(p), "%d", part);
	if (db_command(db, NULL, sql_events, 3, params) != 0)
		error("receiver: %s", db_errmsg(db));
}

/* Late refunds come LAG chunks after their payments: by then the orders
 * are (being) fulfilled, and the refunds must take seats back. */
#define LAG 5

static void *
receiver_main(void *arg)
{
	struct db *db = NULL;
	int g;

	(void)arg;
	if (db_connect_url(&db, t_url, "test-receiver", NULL) != 0) {
		error("receiver: connect");
		atomic_store(&receiver_done, 1);
		return NULL;
	}
	for (g = 0; g < ORDERS + LAG * CHUNK; g += CHUNK) {
		if (g < ORDERS) {
			deliver_part(db, g, 1);
			deliver_part(db, g, 2);
			/* the same chunk delivered again: the receiver's dedup */
			deliver_part(db, g, 2);
		}
		if (g >= LAG * CHUNK)
			deliver_part(db, g - LAG * CHUNK, 3);
		pause_ms(15);
	}
	db_free(db);
	atomic_store(&receiver_done, 1);
	return NULL;
}

struct allocator {
	pthread_t th;
	int runs;
	long long seats, credits;
};

static void *
allocator_main(void *arg)
{
	struct allocator *a = arg;
	struct allocate_opts o;
	struct allocate_stats st;
	struct db *db = t_batch_conn();
	int rc, quiet = 0;

	memset(&o, 0, sizeof(o));
	o.jobs = 1;
	o.batch = 100;
	o.fulfil_sla_minutes = 5;
	o.cfg = &t_cfg;		/* Midtrans and Xendit are asked (the fake) */
	for (;;) {
		bool done = atomic_load(&receiver_done) && atomic_load(&admin_done);

		rc = allocate_run(db, &o, &st);
		a->runs++;
		if (rc != 0 && rc != TALLY_EPROBLEMS) {
			error("allocator: %s", tally_strerror(rc));
			break;
		}
		a->seats += st.seats;
		a->credits += st.credits;
		if (st.ev.events == 0 && st.seats + st.credits == 0)
			quiet++;
		else
			quiet = 0;
		/* all delivered and two passes found nothing to do */
		if (done && quiet >= 2)
			break;
	}
	db_free(db);
	return NULL;
}

struct admin_op {
	int kind;		/* 0 revoke, 1 suspend, 2 reactivate, 3 walk-in */
	long long n;		/* rows changed */
	int refused;
};

static int
admin_tx(struct db *db, void *arg)
{
	struct admin_op *op = arg;
	PGresult *res = NULL;
	long long cust, id = 0;
	char *c = NULL;
	int rc = 0;

	op->n = 0;
	op->refused = 0;
	switch (op->kind) {
	case 0:
		rc = db_query(db, &res, "UPDATE assignments SET status = 'REVOKED',"
		    " ended_at = now(), reason = 'admin: test' WHERE id = (SELECT id"
		    " FROM assignments WHERE status = 'ACTIVE' ORDER BY random()"
		    " LIMIT 1) AND status = 'ACTIVE' RETURNING id::text", 0, NULL);
		if (rc == 0 && PQntuples(res) == 1) {
			op->n = 1;
			rc = audit_record(db, "admin", "assignment.revoke", "assignment",
			    PQgetvalue(res, 0, 0), "test", NULL, NULL);
		}
		break;
	case 1:
	case 2:
		rc = db_query(db, &res, op->kind == 1 ?
		    "UPDATE pool_accounts SET status = 'SUSPENDED' WHERE id = (SELECT id"
		    " FROM pool_accounts WHERE status <> 'SUSPENDED' ORDER BY random()"
		    " LIMIT 1) RETURNING id::text" :
		    "UPDATE pool_accounts SET status = 'AVAILABLE' WHERE id = (SELECT id"
		    " FROM pool_accounts WHERE status = 'SUSPENDED' ORDER BY random()"
		    " LIMIT 1) RETURNING id::text", 0, NULL);
		if (rc == 0 && PQntuples(res) == 1) {
			op->n = 1;
			rc = audit_record(db, "admin", op->kind == 1 ?
			    "account.suspend" : "account.reactivate", "account",
			    PQgetvalue(res, 0, 0), "test", NULL, NULL);
		}
		break;
	default:
		rc = db_query_value(db, &c, "SELECT id FROM customers"
		    " ORDER BY random() LIMIT 1", 0, NULL);
		if (rc != 0 || c == NULL)
			break;
		cust = strtoll(c, NULL, 10);
		/* a walk-in that is already over: the expirer ends it */
		rc = seats_assign(db, 0, cust, 0, "2026-01-01 00:00:00+00", 1, &id);
		if (rc == TALLY_EREFUSED) {
			op->refused = 1;
			rc = 0;
		} else if (rc == 0) {
			op->n = 1;
			rc = audit_record(db, "admin", "assignment.assign",
			    "assignment", NULL, "walk-in", NULL, NULL);
		}
		break;
	}
	PQclear(res);
	free(c);
	return rc;
}

static void *
admin_main(void *arg)
{
	struct admin_op op;
	struct db *db = NULL;
	int i, rc;

	(void)arg;
	if (db_connect_url(&db, t_url, "test-admin", "tally_admin") != 0) {
		error("admin: connect");
		atomic_store(&admin_done, 1);
		return NULL;
	}
	for (i = 0; !atomic_load(&receiver_done) || i < 200; i++) {
		op.kind = i % 4;
		rc = db_transaction(db, DB_READ_COMMITTED, 10, admin_tx, &op);
		if (rc != 0)
			error("admin op %d: %s: %s", op.kind, tally_strerror(rc),
			    db_errmsg(db));
		pause_ms(2);
	}
	/* give back every suspended account, so that "no room" below
	 * really means no room */
	if (db_command(db, NULL, "UPDATE pool_accounts SET status = 'AVAILABLE'"
	    " WHERE status = 'SUSPENDED'", 0, NULL) != 0)
		error("admin: reactivate: %s", db_errmsg(db));
	db_free(db);
	atomic_store(&admin_done, 1);
	return NULL;
}

static void *
expirer_main(void *arg)
{
	struct expire_opts o;
	struct expire_stats st;
	struct db *db = t_batch_conn();
	long long *expired = arg;

	memset(&o, 0, sizeof(o));
	o.batch = 50;
	while (!atomic_load(&admin_done)) {
		if (expire_run(db, &o, &st) != 0)
			error("expire failed");
		*expired += st.expired;
		pause_ms(20);
	}
	if (expire_run(db, &o, &st) != 0)
		error("expire failed");
	*expired += st.expired;
	db_free(db);
	return NULL;
}

/*
 * What the fake status API says about each Midtrans and Xendit order of
 * sql_events: settled, and paid (the late "pending" notifications are
 * then confirmed as the settlement they were overtaken by).
 */
static void
provider_answers(void)
{
	char path[64], body[512];

	for (int g = 0; g < ORDERS; g++) {
		if (g % 10 == 8) {
			snprintf(path, sizeof(path), "/v2/ord-%d/status", g);
			snprintf(body, sizeof(body), "{\"status_code\":\"200\","
			    "\"transaction_status\":\"settlement\","
			    "\"fraud_status\":\"accept\",\"order_id\":\"ord-%d\","
			    "\"transaction_id\":\"tx-%d\",\"gross_amount\":"
			    "\"150000.00\",\"currency\":\"IDR\","
			    "\"transaction_time\":\"2026-11-20 10:15:00\"}", g, g);
			t_provider_says(path, body);
		} else if (g % 10 == 9) {
			snprintf(path, sizeof(path), "/v2/invoices/inv_%d", g);
			snprintf(body, sizeof(body), "{\"id\":\"inv_%d\","
			    "\"status\":\"PAID\",\"amount\":150000,"
			    "\"paid_amount\":150000,\"currency\":\"IDR\","
			    "\"paid_at\":\"2026-11-20T03:16:00Z\"}", g);
			t_provider_says(path, body);
		}
	}
}

static void
test_concurrent_allocators(void **state)
{
	struct allocator al[ALLOCATORS];
	pthread_t rt, at, et;
	struct allocate_stats st;
	long long expired = 0, seats = 0, credits = 0;
	int i, busy = 0;

	(void)state;
	t_seed_products(t_su);
	/* 100 x 10 seats + 150 single-user: 1,150 seats for 2,400 seat orders */
	t_exec(t_su, "INSERT INTO pool_accounts (email, max_seats)"
	    " SELECT 'acc' || g || '@pool.io', CASE WHEN g <= 100 THEN 10 END"
	    " FROM generate_series(1, 250) g");
	t_exec(t_su, "INSERT INTO customers (email) VALUES ('walkin@example.com')");
	provider_answers();

	memset(al, 0, sizeof(al));
	pthread_create(&rt, NULL, receiver_main, NULL);
	pthread_create(&at, NULL, admin_main, NULL);
	pthread_create(&et, NULL, expirer_main, &expired);
	for (i = 0; i < ALLOCATORS; i++)
		pthread_create(&al[i].th, NULL, allocator_main, &al[i]);
	pthread_join(rt, NULL);
	pthread_join(at, NULL);
	pthread_join(et, NULL);
	for (i = 0; i < ALLOCATORS; i++) {
		pthread_join(al[i].th, NULL);
		seats += al[i].seats;
		credits += al[i].credits;
		if (al[i].seats + al[i].credits > 0)
			busy++;
	}
	if (atomic_load(&errors) > 0)
		fail_msg("%d error(s) in threads; first: %s", atomic_load(&errors),
		    first_error);
	/* the work was shared, not done by one */
	print_message("allocators: %d did work; %lld seats, %lld credit packages;"
	    " %lld walk-ins expired\n", busy, seats, credits, expired);
	assert_true(busy >= 2);

	/* one more pass: everything fulfillable is fulfilled */
	memset(&st, 0, sizeof(st));
	(void)t_allocate(&st);
	print_message("final pass: %lld seats; assignments: %lld revoked by the"
	    " admin, %lld by refunds, %lld walk-ins; %lld orders wait for room\n",
	    st.seats, t_ll(t_su, "SELECT count(*) FROM assignments"
	    " WHERE reason = 'admin: test'"), t_ll(t_su, "SELECT count(*) FROM"
	    " assignments WHERE reason LIKE 'refund%'"), t_ll(t_su, "SELECT count(*)"
	    " FROM assignments WHERE order_id IS NULL"),
	    t_ll(t_su, "SELECT count(*) FROM fulfil_queue"));
	print_message("refunded orders: %lld fulfilled before their refund\n",
	    t_ll(t_su, "SELECT count(*) FROM orders o JOIN fulfilments f"
	    " ON f.order_id = o.id WHERE o.status = 'REFUNDED'"));

	t_check_invariants(t_su);
	t_expect_ll(t_su, "SELECT count(*) FROM raw_events WHERE status <> 'DONE'", 0);
	t_expect_ll(t_su, "SELECT count(*) FROM orders", ORDERS);
	/* exactly once, or waiting for room - and then there is none */
	t_expect_ll(t_su, "SELECT count(*) FROM orders o"
	    " WHERE o.status IN ('PAID', 'PARTIALLY_REFUNDED') AND"
	    " (SELECT count(*) FROM fulfilments f WHERE f.order_id = o.id)"
	    " + (SELECT count(*) FROM fulfil_queue q WHERE q.order_id = o.id) <> 1", 0);
	t_expect_ll(t_su, "SELECT count(*) FROM fulfil_queue q JOIN orders o"
	    " ON o.id = q.order_id JOIN products p ON p.id = o.product_id"
	    " WHERE p.kind <> 'SEAT'"
	    " OR q.last_error IS DISTINCT FROM 'no account with a free seat'", 0);
	if (t_ll(t_su, "SELECT count(*) FROM fulfil_queue") > 0)
		t_expect_ll(t_su, "SELECT tally_free_seats()", 0);
	/* credits need no room: every paid credit order has them */
	t_expect_ll(t_su, "SELECT count(*) FROM fulfil_queue", t_ll(t_su,
	    "SELECT count(*) FROM orders o JOIN products p ON p.id = o.product_id"
	    " WHERE p.kind = 'SEAT' AND o.status = 'PAID'"
	    " AND NOT EXISTS (SELECT 1 FROM fulfilments f WHERE f.order_id = o.id)"));
	/* refunded orders hold nothing */
	t_expect_ll(t_su, "SELECT count(*) FROM orders WHERE status = 'REFUNDED'",
	    ORDERS / 20);
	t_expect_ll(t_su, "SELECT count(*) FROM assignments a JOIN orders o"
	    " ON o.id = a.order_id WHERE o.status = 'REFUNDED'"
	    " AND a.status = 'ACTIVE'", 0);
	t_expect_ll(t_su, "SELECT count(*) FROM orders o WHERE o.status = 'REFUNDED'"
	    " AND (SELECT coalesce(sum(delta), 0) FROM credit_ledger l"
	    "  WHERE l.order_id = o.id) <> 0", 0);
	/* refunds did meet fulfilled orders (the late ones arrive after) */
	assert_true(t_ll(t_su, "SELECT count(*) FROM assignments"
	    " WHERE reason LIKE 'refund of order %'") > 0);
	/* every automatic revocation and debit is audited, once */
	t_expect_ll(t_su, "SELECT count(*) FROM audit_log"
	    " WHERE action = 'order.refund_revoke'",
	    t_ll(t_su, "SELECT count(*) FROM assignments"
	    " WHERE reason LIKE 'refund of order %'"));
	t_expect_ll(t_su, "SELECT count(*) FROM audit_log"
	    " WHERE action = 'order.refund_debit'",
	    t_ll(t_su, "SELECT count(*) FROM credit_ledger WHERE kind = 'REFUND'"));
	/* the audit chain survived concurrent writers: keyed, dense */
	{
		struct audit_check chk;

		audit_check_init(&chk);
		assert_int_equal(audit_verify_chain(t_su, NULL, 0, &chk), 0);
		if (chk.first_bad != 0)
			fail_msg("audit row %lld: %s", chk.first_bad,
			    chk.problem.buf);
		assert_int_equal(chk.legacy, 0);
		assert_int_equal(chk.rows, t_ll(t_su, "SELECT count(*) FROM"
		    " audit_log"));
		audit_check_release(&chk);
	}
	/* a late "pending" did not undo any Midtrans settlement */
	t_expect_ll(t_su, "SELECT count(*) FROM orders WHERE source = 'midtrans'"
	    " AND status <> 'PAID'", 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_concurrent_allocators,
		    t_setup, t_teardown),
	};

	testdb_require();
	return cmocka_run_group_tests(tests, t_providers_start,
	    t_providers_stop);
}
