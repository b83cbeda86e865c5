/*
 * test_alert - edge-triggered alerts posted to a chat webhook, against a
 * real database and a small HTTP listener (libmicrohttpd) standing in for
 * the chat: one message when a condition starts and one when it ends,
 * nothing on reruns in between, every condition of the issue (free seats,
 * unfulfillable orders, suspensions in a day, failed batch runs), delivery
 * failures (closed port, HTTP 500) kept and retried without failing the
 * run, two evaluators at once agreeing on one edge, and the history that
 * keeps every raise and resolve (sql/061) although `alerts` keeps only the
 * latest.
 */
#include "support/alloc_test.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>

#include "books/alert.h"

/* ---- the chat webhook stand-in ----------------------------------- */

#define SINK_MAX 64

static struct {
	pthread_mutex_t mu;
	unsigned status;	/* what to answer */
	char *bodies[SINK_MAX];
	char *types[SINK_MAX];
	int n;
} sink = { PTHREAD_MUTEX_INITIALIZER, 200, { NULL }, { NULL }, 0 };

static struct MHD_Daemon *daemon_h;
static char sink_url[64];

static enum MHD_Result
sink_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct strbuf *body = *con_cls;
	struct MHD_Response *resp;
	const char *ctype;
	enum MHD_Result ret;

	(void)cls;
	(void)url;
	(void)version;
	if (body == NULL) {
		body = xcalloc(1, sizeof(*body));
		strbuf_init(body);
		*con_cls = body;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		strbuf_add(body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	pthread_mutex_lock(&sink.mu);
	if (sink.n < SINK_MAX && strcmp(method, "POST") == 0) {
		sink.bodies[sink.n] = strbuf_detach(body, NULL);
		sink.types[sink.n] = xstrdup(ctype != NULL ? ctype : "");
		sink.n++;
	}
	pthread_mutex_unlock(&sink.mu);
	strbuf_release(body);
	free(body);
	*con_cls = NULL;
	resp = MHD_create_response_from_buffer(2, (void *)(uintptr_t)"ok",
	    MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, sink.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int
sink_start(void **state)
{
	const union MHD_DaemonInfo *info;

	(void)state;
	daemon_h = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
	    NULL, sink_request, NULL, MHD_OPTION_END);
	if (daemon_h == NULL)
		return -1;
	info = MHD_get_daemon_info(daemon_h, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL)
		return -1;
	snprintf(sink_url, sizeof(sink_url), "http://127.0.0.1:%u/hook",
	    (unsigned)info->port);
	return 0;
}

static int
sink_stop(void **state)
{
	(void)state;
	MHD_stop_daemon(daemon_h);
	return 0;
}

static void
sink_reset(unsigned status)
{
	int i;

	pthread_mutex_lock(&sink.mu);
	for (i = 0; i < sink.n; i++) {
		free(sink.bodies[i]);
		free(sink.types[i]);
	}
	sink.n = 0;
	sink.status = status;
	pthread_mutex_unlock(&sink.mu);
}

static int
sink_count(void)
{
	int n;

	pthread_mutex_lock(&sink.mu);
	n = sink.n;
	pthread_mutex_unlock(&sink.mu);
	return n;
}

/* Field of the i-th message as text ("" when absent). */
static char *
sink_field(int i, const char *field)
{
	json_error_t err;
	json_t *root, *v;
	char *out;

	pthread_mutex_lock(&sink.mu);
	root = json_loads(sink.bodies[i], 0, &err);
	pthread_mutex_unlock(&sink.mu);
	if (root == NULL)
		fail_msg("message %d is not JSON: %s", i, err.text);
	v = json_object_get(root, field);
	if (json_is_string(v))
		out = xstrdup(json_string_value(v));
	else if (v != NULL && !json_is_null(v))
		out = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	else
		out = xstrdup("");
	json_decref(root);
	return out;
}

static void
expect_message(int i, const char *alert, const char *state,
    const char *text_prefix)
{
	char *a = sink_field(i, "alert"), *s = sink_field(i, "state");
	char *t = sink_field(i, "text");

	if (strcmp(a, alert) != 0 || strcmp(s, state) != 0 ||
	    strncmp(t, text_prefix, strlen(text_prefix)) != 0)
		fail_msg("message %d: %s %s \"%s\", want %s %s \"%s...\"", i, a, s,
		    t, alert, state, text_prefix);
	free(a);
	free(s);
	free(t);
}

/* ---- helpers ------------------------------------------------------ */

static struct alert_opts
opts(const char *url)
{
	struct alert_opts o;

	memset(&o, 0, sizeof(o));
	o.url = url;
	o.seat_threshold = 5;
	o.suspensions = 3;
	o.program = "test_alert";
	o.timeout = 5;
	return o;
}

static struct alert_result
run(const struct alert_opts *o)
{
	struct alert_result r;
	struct db *db = t_batch_conn();

	if (alert_run(db, o, &r) != 0)
		fail_msg("alert_run failed");
	db_free(db);
	return r;
}

/* Add free_seats single-user accounts (fresh names each call). */
static void
pool(int free_seats)
{
	static int next;
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "INSERT INTO pool_accounts (email, max_seats)"
	    " SELECT 'a' || g || '@acc.io', NULL FROM generate_series(%d, %d) g",
	    next + 1, next + free_seats);
	next += free_seats;
	t_exec(t_su, sb.buf);
	strbuf_release(&sb);
}

/* ---- the tests ----------------------------------------------------- */

static void
test_seats_low_edges(void **state)
{
	struct alert_opts o = opts(sink_url);
	struct alert_result r;
	char *raised_at;

	(void)state;
	sink_reset(200);
	pool(2);
	r = run(&o);
	assert_int_equal(r.raised, 1);
	assert_int_equal(r.sent, 1);
	assert_int_equal(sink_count(), 1);
	expect_message(0, "seats_low", "raised",
	    "[tally] ALERT seats_low: 2 free seat(s) in the pool (threshold 5)");
	raised_at = sink_field(0, "raised_at");
	assert_true(raised_at[0] != '\0');
	pthread_mutex_lock(&sink.mu);
	assert_string_equal(sink.types[0], "application/json");
	pthread_mutex_unlock(&sink.mu);
	/* reruns while nothing changes: nothing sent */
	r = run(&o);
	r = run(&o);
	assert_int_equal(r.raised + r.resolved + r.sent, 0);
	assert_int_equal(r.active, 1);
	assert_int_equal(sink_count(), 1);
	/* enough room again: one "resolved", naming when it was raised */
	pool(10);
	r = run(&o);
	assert_int_equal(r.resolved, 1);
	assert_int_equal(sink_count(), 2);
	expect_message(1, "seats_low", "resolved", "[tally] RESOLVED seats_low: 12");
	{
		char *again = sink_field(1, "raised_at");

		assert_string_equal(again, raised_at);
		free(again);
	}
	free(raised_at);
	r = run(&o);
	assert_int_equal(sink_count(), 2);
	t_expect_str(t_su, "SELECT concat_ws(' ', active, delivery_pending,"
	    " resolved_at IS NOT NULL) FROM alerts WHERE key = 'seats_low'", "f f t");
}

static void
test_delivery_failures(void **state)
{
	struct alert_opts closed = opts("http://127.0.0.1:1/hook");
	struct alert_opts o = opts(sink_url);
	struct alert_result r;

	(void)state;
	sink_reset(200);
	pool(1);
	/* nobody listens: logged, kept, and the run still succeeds */
	r = run(&closed);
	assert_int_equal(r.raised, 1);
	assert_int_equal(r.failed, 1);
	t_expect_str(t_su, "SELECT concat_ws(' ', active, delivery_pending,"
	    " delivery_attempts, last_error IS NOT NULL) FROM alerts"
	    " WHERE key = 'seats_low'", "t t 1 t");
	/* the chat answers 500: still pending */
	sink_reset(500);
	r = run(&o);
	assert_int_equal(r.failed, 1);
	assert_int_equal(sink_count(), 1);
	t_expect_str(t_su, "SELECT last_error FROM alerts WHERE key = 'seats_low'",
	    "HTTP status 500");
	/* next run, the chat is back: delivered once */
	sink_reset(200);
	r = run(&o);
	assert_int_equal(r.raised, 0);
	assert_int_equal(r.sent, 1);
	assert_int_equal(sink_count(), 1);
	expect_message(0, "seats_low", "raised", "[tally] ALERT seats_low");
	r = run(&o);
	assert_int_equal(sink_count(), 1);

	/* raised and resolved before any delivery worked: only the
	 * "resolved" goes out, not a stale "raised" */
	t_exec(t_su, "INSERT INTO fulfil_queue (order_id, last_error) SELECT"
	    " (SELECT id FROM orders), 'no account with a free seat'"
	    " FROM (SELECT 1) x WHERE false");
	t_exec(t_su, "INSERT INTO customers (email) VALUES ('q@example.com')");
	t_exec(t_su, "INSERT INTO orders (source, provider_ref, amount_minor,"
	    " currency, status) VALUES ('stripe', 'pi_q', 1, 'USD', 'PAID')");
	t_exec(t_su, "INSERT INTO fulfil_queue (order_id, tried_at, attempts,"
	    " last_error) SELECT id, now(), 1, 'no account with a free seat'"
	    " FROM orders");
	sink_reset(200);
	r = run(&closed);
	assert_int_equal(r.raised, 1);
	t_exec(t_su, "DELETE FROM fulfil_queue");
	r = run(&closed);
	assert_int_equal(r.resolved, 1);
	r = run(&o);
	assert_int_equal(sink_count(), 1);
	expect_message(0, "orders_unfulfilled", "resolved",
	    "[tally] RESOLVED orders_unfulfilled: 0 paid order(s)");
}

static void
test_conditions(void **state)
{
	struct alert_opts o = opts(NULL);	/* log only */
	struct alert_result r;

	(void)state;
	pool(10);
	r = run(&o);
	assert_int_equal(r.raised, 0);
	assert_int_equal(r.active, 0);

	/* three suspensions within a day */
	t_exec(t_su, "SELECT 1");
	{
		struct db *db = t_batch_conn();
		int i;

		for (i = 1; i <= 3; i++) {
			char id[16];
			const char *params[1] = { id };

			snprintf(id, sizeof(id), "%d", i);
			if (db_command(db, NULL, "INSERT INTO audit_log (actor, action,"
			    " entity, entity_id, prev_hash, hash) VALUES ('admin',"
			    " 'account.suspend', 'account', $1, '', '')", 1, params) != 0)
				fail_msg("audit: %s", db_errmsg(db));
		}
		db_free(db);
	}
	r = run(&o);
	assert_int_equal(r.raised, 1);
	t_expect_str(t_su, "SELECT concat_ws(' ', active, delivery_pending,"
	    " last_payload->'details'->>'suspended') FROM alerts"
	    " WHERE key = 'accounts_suspended'", "t f 3");
	/* much later the window has moved on (and stays there below:
	 * going back in time would raise it again) */
	o.as_of = "2100-01-01 00:00:00+00";
	r = run(&o);
	assert_int_equal(r.resolved, 1);

	/* a batch run that failed, then one that worked */
	t_exec(t_su, "INSERT INTO job_runs (program, started_at, finished_at,"
	    " status, message) VALUES ('tally-reconcile', now() - interval '1 hour',"
	    " now() - interval '59 minutes', 'OK', NULL), ('tally-reconcile',"
	    " now() - interval '10 minutes', now() - interval '9 minutes', 'FAILED',"
	    " 'database unavailable'), ('tally-reconcile', now(), NULL, 'RUNNING',"
	    " NULL)");
	r = run(&o);
	assert_int_equal(r.raised, 1);
	t_expect_str(t_su, "SELECT summary LIKE 'tally-reconcile failed at %:"
	    " database unavailable' FROM alerts WHERE key = 'job_failed:tally-reconcile'",
	    "t");
	t_exec(t_su, "UPDATE job_runs SET status = 'OK', finished_at = now()"
	    " WHERE status = 'RUNNING'");
	r = run(&o);
	assert_int_equal(r.resolved, 1);
	t_expect_ll(t_su, "SELECT count(*) FROM alerts WHERE active", 0);
}

/* Two programs evaluating at once record one edge between them. */
struct racer {
	pthread_barrier_t *barrier;
	struct alert_result r;
};

static void *
racer_main(void *arg)
{
	struct racer *x = arg;
	struct alert_opts o = opts(NULL);
	struct db *db = t_batch_conn();

	pthread_barrier_wait(x->barrier);
	if (alert_check(db, &o, &x->r) != 0)
		x->r.raised = -100;
	db_free(db);
	return NULL;
}

static void
test_two_evaluators(void **state)
{
	pthread_barrier_t barrier;
	struct racer x[4];
	pthread_t th[4];
	int i, raised = 0;

	(void)state;
	pool(1);
	pthread_barrier_init(&barrier, NULL, 4);
	for (i = 0; i < 4; i++) {
		memset(&x[i], 0, sizeof(x[i]));
		x[i].barrier = &barrier;
		pthread_create(&th[i], NULL, racer_main, &x[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		raised += x[i].r.raised;
	}
	pthread_barrier_destroy(&barrier);
	assert_int_equal(raised, 1);
	t_expect_ll(t_su, "SELECT count(*) FROM alerts WHERE active", 1);
}

/* The programs raise job_failed for themselves when a run fails. */
static void
test_program_failure_alert(void **state)
{
	(void)state;
	setenv("TALLY_DATABASE_URL", t_url, 1);
	pool(10);
	/* make the expiry fail: revoke the batch role's right to update */
	t_exec(t_su, "REVOKE UPDATE ON assignments FROM tally_batch");
	t_exec(t_su, "INSERT INTO customers (email) VALUES ('f@example.com')");
	t_exec(t_su, "INSERT INTO assignments (account_id, customer_id, starts_at,"
	    " ends_at) SELECT min(a.id), min(c.id), now() - interval '2 days',"
	    " now() - interval '1 day' FROM pool_accounts a, customers c");
	assert_int_equal(testdb_run("tally-expire", "--days 0"), 70);
	t_expect_str(t_su, "SELECT status FROM job_runs", "FAILED");
	t_expect_str(t_su, "SELECT concat_ws(' ', active, summary LIKE"
	    " 'tally-expire failed at %permission denied%') FROM alerts"
	    " WHERE key = 'job_failed:tally-expire'", "t t");
	t_exec(t_su, "GRANT UPDATE ON assignments TO tally_batch");
	assert_int_equal(testdb_run("tally-expire", "--days 0"), 0);
	t_expect_str(t_su, "SELECT active FROM alerts"
	    " WHERE key = 'job_failed:tally-expire'", "f");
}

/*
 * Every edge is in alert_history, written in the transaction that changes
 * `alerts`: raised, resolved, raised again is three rows, although the
 * alerts row only remembers the last raise.  Reruns add nothing; the
 * batch role cannot rewrite the history.
 */
static void
test_history(void **state)
{
	struct alert_opts o = opts(NULL);
	struct alert_result r;
	struct db *db;

	(void)state;
	pool(2);
	r = run(&o);
	assert_int_equal(r.raised, 1);
	r = run(&o);
	pool(10);
	r = run(&o);
	assert_int_equal(r.resolved, 1);
	/* busy again: 12 seats, threshold raised to 20 */
	o.seat_threshold = 20;
	r = run(&o);
	assert_int_equal(r.raised, 1);
	r = run(&o);
	t_expect_str(t_su, "SELECT string_agg(event, ' ' ORDER BY at, id)"
	    " FROM alert_history WHERE key = 'seats_low'",
	    "RAISED RESOLVED RAISED");
	/* each edge at the instant alerts recorded for it, with its summary */
	t_expect_str(t_su, "SELECT count(*) FROM alert_history h JOIN alerts a"
	    " USING (key) WHERE h.key = 'seats_low' AND h.event = 'RAISED'"
	    " AND h.at = a.raised_at AND h.summary = a.summary", "1");
	t_expect_str(t_su, "SELECT summary FROM alert_history"
	    " WHERE key = 'seats_low' AND event = 'RESOLVED'",
	    "12 free seat(s) in the pool (threshold 5)");
	/* the other conditions were never raised: no history */
	t_expect_ll(t_su, "SELECT count(*) FROM alert_history"
	    " WHERE key <> 'seats_low'", 0);
	db = t_batch_conn();
	assert_int_not_equal(db_command(db, NULL, "UPDATE alert_history"
	    " SET summary = 'nothing happened'", 0, NULL), 0);
	assert_int_not_equal(db_command(db, NULL, "DELETE FROM alert_history",
	    0, NULL), 0);
	db_free(db);
	t_expect_ll(t_su, "SELECT count(*) FROM alert_history", 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
		T(test_seats_low_edges),
		T(test_delivery_failures),
		T(test_conditions),
		T(test_two_evaluators),
		T(test_program_failure_alert),
		T(test_history),
#undef T
	};

	testdb_require();
	return cmocka_run_group_tests(tests, sink_start, sink_stop);
}
