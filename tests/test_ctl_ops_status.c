/*
 * test_ctl_ops_status.c - `tallyctl status` and `tallyctl alert-failed`
 * against a real database and a real HTTP server: a libmicrohttpd daemon
 * on loopback plays the receiver's /healthz and the chat webhook.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "ctl/backup.h"
#include "ctl/status.h"
#include "ctl/alert_failed.h"
#include "pg/db.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "support/testdb.h"

/* ---- a small HTTP server ---------------------------------------------------- */

static struct {
	pthread_mutex_t lock;
	struct MHD_Daemon *daemon;
	unsigned short port;
	unsigned int health_status;	/* what GET /healthz answers */
	unsigned int hook_status;	/* what POST /hook answers */
	int posts;			/* POSTs received */
	struct strbuf body;		/* the last one */
	struct strbuf content_type;
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER };

static enum MHD_Result
srv_reply(struct MHD_Connection *c, unsigned int status, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text,
	    MHD_RESPMEM_MUST_COPY);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
srv_answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	static int marker;
	const char *ct;
	unsigned int status;

	(void)cls;
	(void)version;
	if (strcmp(method, "GET") == 0 && strcmp(url, "/healthz") == 0) {
		pthread_mutex_lock(&srv.lock);
		status = srv.health_status;
		pthread_mutex_unlock(&srv.lock);
		return srv_reply(c, status, "{}");
	}
	if (strcmp(method, "POST") != 0 || strcmp(url, "/hook") != 0)
		return srv_reply(c, MHD_HTTP_NOT_FOUND, "no");
	pthread_mutex_lock(&srv.lock);
	if (*con_cls == NULL) {
		/* a new request: its body follows in later calls */
		*con_cls = &marker;
		strbuf_reset(&srv.body);
		strbuf_reset(&srv.content_type);
		ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    "Content-Type");
		strbuf_addstr(&srv.content_type, ct != NULL ? ct : "");
		pthread_mutex_unlock(&srv.lock);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		strbuf_add(&srv.body, upload, *upload_size);
		*upload_size = 0;
		pthread_mutex_unlock(&srv.lock);
		return MHD_YES;
	}
	srv.posts++;
	status = srv.hook_status;
	pthread_mutex_unlock(&srv.lock);
	return srv_reply(c, status, "ok");
}

static void
srv_start(void)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	srv.health_status = MHD_HTTP_OK;
	srv.hook_status = MHD_HTTP_OK;
	srv.daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
	    NULL, srv_answer, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
	assert_non_null(srv.daemon);
	info = MHD_get_daemon_info(srv.daemon, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	srv.port = info->port;
	assert_true(srv.port > 0);
}

static void
srv_stop(void)
{
	if (srv.daemon != NULL)
		MHD_stop_daemon(srv.daemon);
	srv.daemon = NULL;
}

/* ---- running the commands ----------------------------------------------------- */

struct env {
	char *url;		/* this test's database */
	struct db *db;		/* a superuser connection to it */
	char dir[64];		/* a temporary directory */
	struct strbuf conf;	/* a tally.conf in dir */
};

/* Write a tally.conf with the given lines into e->dir. */
static void
write_conf(struct env *e, const char *text)
{
	FILE *f;

	strbuf_reset(&e->conf);
	strbuf_addf(&e->conf, "%s/tally.conf", e->dir);
	f = fopen(e->conf.buf, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Run fn(argv) with its stdout captured into out; returns its exit code. */
static int
run_captured(int (*fn)(int, char **), char **argv, struct strbuf *out)
{
	char buf[4096];
	FILE *tmp;
	int saved, rc, argc = 0;
	size_t n;

	while (argv[argc] != NULL)
		argc++;
	tmp = tmpfile();
	assert_non_null(tmp);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
	rc = fn(argc, argv);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	strbuf_reset(out);
	while ((n = fread(buf, 1, sizeof(buf), tmp)) > 0)
		strbuf_add(out, buf, n);
	fclose(tmp);
	return rc;
}

static int
setup(void **state)
{
	struct env *e = xcalloc(1, sizeof(*e));

	testdb_create(&e->url, &e->db);
	setenv("TALLY_DATABASE_URL", e->url, 1);
	snprintf(e->dir, sizeof(e->dir), "/tmp/tally-ops.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	strbuf_init(&e->conf);
	setenv("STATE_DIRECTORY", e->dir, 1);
	unsetenv("MONITOR_SERVICE_RESULT");
	unsetenv("MONITOR_EXIT_CODE");
	unsetenv("MONITOR_EXIT_STATUS");
	unsetenv("MONITOR_INVOCATION_ID");
	pthread_mutex_lock(&srv.lock);
	srv.health_status = MHD_HTTP_OK;
	srv.hook_status = MHD_HTTP_OK;
	srv.posts = 0;
	pthread_mutex_unlock(&srv.lock);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	struct strbuf cmd = STRBUF_INIT;

	strbuf_addf(&cmd, "rm -rf '%s'", e->dir);
	testdb_system(cmd.buf);
	strbuf_release(&cmd);
	db_free(e->db);
	free(e->url);
	strbuf_release(&e->conf);
	free(e);
	return 0;
}

static void
sql(struct env *e, const char *text)
{
	if (db_simple(e->db, text) != 0)
		fail_msg("%s: %s", text, db_errmsg(e->db));
}

/* status --json with e->conf; the parsed object (caller decrefs). */
static json_t *
status_json(struct env *e, int *rc)
{
	char a0[] = "status", a1[] = "-c", a3[] = "--json";
	char *argv[] = { a0, a1, e->conf.buf, a3, NULL };
	struct strbuf out = STRBUF_INIT;
	json_error_t jerr;
	json_t *j;

	*rc = run_captured(ctl_status, argv, &out);
	j = json_loads(out.buf, 0, &jerr);
	if (j == NULL)
		fail_msg("status --json printed no JSON (%s): %s", jerr.text,
		    out.buf);
	strbuf_release(&out);
	return j;
}

static const char *
jstr(json_t *root, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(root, a), b);

	if (!json_is_string(v))
		fail_msg("%s.%s is not a string", a, b);
	return json_string_value(v);
}

/* The string member key of object o (NULL when it is no string). */
static const char *
ostr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long
jint(json_t *root, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(root, a), b);

	if (!json_is_integer(v))
		fail_msg("%s.%s is not an integer", a, b);
	return json_integer_value(v);
}

/* An integer status --json must show: section.key is want. */
struct jwant {
	const char *section, *key;
	long long want;
};

static json_t *
program_run(json_t *root, const char *program)
{
	json_t *runs = json_object_get(json_object_get(root, "programs"), "runs");
	size_t i;

	for (i = 0; i < json_array_size(runs); i++)
		if (strcmp(json_string_value(json_object_get(
		    json_array_get(runs, i), "program")), program) == 0)
			return json_array_get(runs, i);
	fail_msg("no run of %s in status", program);
	return NULL;
}

static void
conf_for_server(struct env *e, const char *extra)
{
	struct strbuf text = STRBUF_INIT;

	strbuf_addf(&text, "listen = 127.0.0.1:%u\n%s", srv.port, extra);
	write_conf(e, text.buf);
	strbuf_release(&text);
}

/* ---- status ----------------------------------------------------------------- */

/* A tally with something wrong in every corner: each check must say so. */
static void
test_status_finds_problems(void **state)
{
	struct env *e = *state;
	json_t *j, *run;
	int rc;

	/* free seats: 3 + 1 on the two usable accounts; the suspended one's
	 * two seats do not count */
	sql(e, "INSERT INTO pool_accounts (email, max_seats) VALUES"
	    " ('a@pool.test', 3), ('b@pool.test', NULL), ('c@pool.test', 2);"
	    "UPDATE pool_accounts SET status = 'SUSPENDED'"
	    " WHERE email = 'c@pool.test'");
	sql(e, "INSERT INTO raw_events (source, scheme, event_key, body, payload,"
	    " received_at) VALUES"
	    " ('stripe', 'stripe', 'e1', '\\x7b7d', '{}', now() - interval '20 min'),"
	    " ('stripe', 'stripe', 'e2', '\\x7b7d', '{}', now()),"
	    " ('stripe', 'stripe', 'e3', '\\x7b7d', '{}', now()),"
	    " ('stripe', 'stripe', 'e4', '\\x7b7d', '{}', now());"
	    "UPDATE raw_events SET status = 'FAILED', error = 'unknown sku'"
	    " WHERE event_key = 'e3';"
	    "UPDATE raw_events SET status = 'DONE' WHERE event_key = 'e4'");
	sql(e, "INSERT INTO customers (email) VALUES ('c1@shop.test');"
	    "INSERT INTO products (sku, name, kind, duration_days, price_minor,"
	    " currency) VALUES ('seat30', 'Seat', 'SEAT', 30, 1000, 'USD');"
	    "INSERT INTO orders (source, provider_ref, customer_id, product_id,"
	    " amount_minor, currency, status, paid_at)"
	    " SELECT 'stripe', x.ref, c.id, p.id, 1000, 'USD', x.st, x.paid"
	    " FROM customers c, products p, (VALUES"
	    "  ('o1', 'PAID', now() - interval '1 hour'),"
	    "  ('o2', 'PAID', now()),"
	    "  ('o3', 'PENDING', NULL::timestamptz),"
	    "  ('o4', 'PAID', now() - interval '3 hours')) x(ref, st, paid);"
	    /* held for an admin: not waiting for the allocator */
	    "UPDATE orders SET status = 'HELD', hold_reason = 'UNDERPAID',"
	    " held_at = now() - interval '2 hours' WHERE provider_ref = 'o4'");
	sql(e, "INSERT INTO job_runs (program, started_at, finished_at, status,"
	    " message) VALUES"
	    " ('tally-allocate', now() - interval '2 min', now() - interval '2 min',"
	    "  'OK', NULL),"
	    " ('tally-allocate', now() - interval '30 s', now() - interval '29 s',"
	    "  'FAILED', 'database unavailable'),"
	    " ('tally-expire', now() - interval '2 days',"
	    "  now() - interval '2 days', 'OK', NULL),"
	    " ('tally-reconcile', now() - interval '1 hour',"
	    "  now() - interval '50 min', 'PROBLEMS', '3 open cases'),"
	    " ('tally-custom', now(), NULL, 'RUNNING', NULL)");
	sql(e, "INSERT INTO reconcile_cases (category, fingerprint, keys, status,"
	    " severity, first_seen, last_seen, closed_at, accepted_at,"
	    " accepted_note) VALUES"
	    " ('PAID_NOT_FULFILLED', 'f1', '{}', 'OPEN', 'error', now(), now(),"
	    "  NULL, NULL, NULL),"
	    " ('MISSING_IN_SETTLEMENT', 'f2', '{}', 'OPEN', 'warning', now(),"
	    "  now(), NULL, NULL, NULL),"
	    " ('MISSING_IN_SETTLEMENT', 'f3', '{}', 'OPEN', 'info', now(), now(),"
	    "  NULL, NULL, NULL),"
	    " ('AMOUNT_MISMATCH', 'f4', '{}', 'CLOSED', 'error', now(), now(),"
	    "  now(), NULL, NULL),"
	    " ('AMOUNT_MISMATCH', 'f5', '{}', 'ACCEPTED', 'error', now(), now(),"
	    "  NULL, now(), 'known')");
	sql(e, "INSERT INTO alerts (key, active, raised_at, summary,"
	    " delivery_pending, last_error) VALUES"
	    " ('seats_low', true, now(), 'low', true, 'HTTP 500'),"
	    " ('orders_unfulfilled', false, now(), 'x', false, NULL)");
	conf_for_server(e, "fulfil_sla_minutes = 5\nalert_seat_threshold = 5\n");

	j = status_json(e, &rc);
	assert_int_equal(rc, 1);
	assert_string_equal(jstr(j, "receiver", "state"), "ok");
	assert_string_equal(jstr(j, "database", "state"), "ok");

	/* every figure the fixture above makes, section by section */
	for (const struct jwant *w = (const struct jwant[]){
	    { "events", "waiting", 2 }, { "events", "failed", 1 },
	    { "pool", "free_seats", 4 }, { "pool", "accounts", 3 },
	    { "pool", "accounts_with_room", 2 }, { "pool", "suspended", 1 },
	    { "orders", "unfulfilled", 2 }, { "orders", "late", 1 },
	    { "orders", "held", 1 },
	    { "reconcile", "open", 3 }, { "reconcile", "error", 1 },
	    { "reconcile", "warning", 1 }, { "reconcile", "info", 1 },
	    { "reconcile", "accepted", 1 },
	    { "alerts", "firing", 1 }, { "alerts", "undelivered", 1 },
	    { NULL, NULL, 0 } }; w->section != NULL; w++)
		if (jint(j, w->section, w->key) != w->want)
			fail_msg("%s.%s: %lld, want %lld", w->section, w->key,
			    jint(j, w->section, w->key), w->want);
	/* and each of them warns */
	for (const char *const *sec = (const char *const[]){ "events", "pool",
	    "orders", "reconcile", "alerts", NULL }; *sec != NULL; sec++)
		assert_string_equal(jstr(j, *sec, "state"), "warn");
	assert_true(jint(j, "events", "oldest_waiting_seconds") >= 1200);
	assert_true(jint(j, "orders", "oldest_held_seconds") >= 7200);
	assert_non_null(strstr(jstr(j, "orders", "summary"), "; 1 held for an "
	    "admin (oldest 2 h"));
	assert_string_equal(jstr(j, "alerts", "last_delivery_error"), "HTTP 500");

	/* the last run decides, not the last success */
	run = program_run(j, "tally-allocate");
	assert_string_equal(ostr(run, "status"), "FAILED");
	assert_string_equal(ostr(run, "state"), "fail");
	assert_string_equal(ostr(run, "message"), "database unavailable");
	assert_true(json_is_string(json_object_get(run, "last_success")));
	/* OK, but two days ago for a five-minute timer */
	run = program_run(j, "tally-expire");
	assert_true(json_is_true(json_object_get(run, "overdue")));
	assert_string_equal(ostr(run, "state"), "warn");
	run = program_run(j, "tally-reconcile");
	assert_string_equal(ostr(run, "state"), "warn");
	/* a program status knows nothing about is still shown */
	run = program_run(j, "tally-custom");
	assert_string_equal(ostr(run, "status"), "RUNNING");
	assert_string_equal(ostr(run, "state"), "ok");
	run = program_run(j, "tally-weekly-report");
	assert_true(json_is_null(json_object_get(run, "status")));
	assert_string_equal(jstr(j, "programs", "state"), "fail");
	assert_string_equal(ostr(j, "state"), "fail");
	json_decref(j);

	/* waiting twenty minutes is a warning on its own, fresh ones are not */
	sql(e, "UPDATE raw_events SET status = 'DONE' WHERE event_key = 'e3'");
	j = status_json(e, &rc);
	assert_int_equal(jint(j, "events", "failed"), 0);
	assert_string_equal(jstr(j, "events", "state"), "warn");
	json_decref(j);
	sql(e, "UPDATE raw_events SET status = 'DONE' WHERE event_key = 'e1'");
	j = status_json(e, &rc);
	assert_int_equal(jint(j, "events", "waiting"), 1);
	assert_string_equal(jstr(j, "events", "state"), "ok");
	json_decref(j);

	/* only error cases count when reconcile_severity is error */
	conf_for_server(e, "reconcile_severity = error\n");
	sql(e, "UPDATE reconcile_cases SET status = 'CLOSED', closed_at = now()"
	    " WHERE severity = 'error' AND status = 'OPEN'");
	j = status_json(e, &rc);
	assert_int_equal(jint(j, "reconcile", "open"), 2);
	assert_string_equal(jstr(j, "reconcile", "state"), "ok");
	json_decref(j);
}

/* A healthy tally: every check ok, exit 0, and the text for people. */
static void
test_status_healthy(void **state)
{
	struct env *e = *state;
	char a0[] = "status", a1[] = "-c";
	char *argv[] = { a0, a1, NULL, NULL };
	struct strbuf out = STRBUF_INIT;
	json_t *j;
	int rc;

	sql(e, "INSERT INTO pool_accounts (email, max_seats)"
	    " VALUES ('big@pool.test', 10);"
	    "INSERT INTO job_runs (program, started_at, finished_at, status)"
	    " VALUES ('tally-allocate', now(), now(), 'OK')");
	conf_for_server(e, "");
	j = status_json(e, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(ostr(j, "state"), "ok");
	assert_int_equal(jint(j, "receiver", "http_status"), 200);
	assert_int_equal(jint(j, "pool", "free_seats"), 10);
	assert_int_equal(jint(j, "orders", "unfulfilled"), 0);
	json_decref(j);

	argv[2] = e->conf.buf;
	rc = run_captured(ctl_status, argv, &out);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out.buf, "receiver   ok    http://127.0.0.1:"));
	assert_non_null(strstr(out.buf, "pool       ok    10 free seats"));
	assert_non_null(strstr(out.buf, "\nprogram "));
	assert_non_null(strstr(out.buf, "\ntally-allocate "));
	assert_non_null(strstr(out.buf, "\ntally-monthly-review  -      never"));
	strbuf_release(&out);
}

/* The receiver answering 503, then not at all; then no database. */
static void
test_status_receiver_and_database_down(void **state)
{
	struct env *e = *state;
	struct strbuf text = STRBUF_INIT;
	json_t *j;
	int rc;

	sql(e, "INSERT INTO pool_accounts (email, max_seats)"
	    " VALUES ('big@pool.test', 10)");
	pthread_mutex_lock(&srv.lock);
	srv.health_status = MHD_HTTP_SERVICE_UNAVAILABLE;
	pthread_mutex_unlock(&srv.lock);
	conf_for_server(e, "");
	j = status_json(e, &rc);
	assert_int_equal(rc, 1);
	assert_string_equal(jstr(j, "receiver", "state"), "fail");
	assert_int_equal(jint(j, "receiver", "http_status"), 503);
	assert_non_null(strstr(jstr(j, "receiver", "summary"),
	    "cannot reach the database"));
	json_decref(j);

	/* port 1 on loopback: nobody listens there */
	write_conf(e, "listen = 127.0.0.1:1\n");
	j = status_json(e, &rc);
	assert_int_equal(rc, 1);
	assert_string_equal(jstr(j, "receiver", "state"), "fail");
	assert_true(json_is_null(json_object_get(json_object_get(j, "receiver"),
	    "http_status")));
	json_decref(j);

	/* no database: still a report, and exit 69 */
	strbuf_addf(&text, "host=%s/nowhere port=5432 dbname=x user=tally "
	    "connect_timeout=2", e->dir);
	setenv("TALLY_DATABASE_URL", text.buf, 1);
	conf_for_server(e, "");
	pthread_mutex_lock(&srv.lock);
	srv.health_status = MHD_HTTP_OK;
	pthread_mutex_unlock(&srv.lock);
	j = status_json(e, &rc);
	assert_int_equal(rc, 69);
	assert_string_equal(jstr(j, "receiver", "state"), "ok");
	assert_string_equal(jstr(j, "database", "state"), "fail");
	assert_null(json_object_get(j, "pool"));
	json_decref(j);
	strbuf_release(&text);
}

static void
test_status_usage_and_config(void **state)
{
	struct env *e = *state;
	char a0[] = "status", a1[] = "--bogus", a2[] = "-c", a3[] = "extra";
	char *bad_flag[] = { a0, a1, NULL };
	char *extra[] = { a0, a3, NULL };
	char *conf[] = { a0, a2, NULL, NULL };
	struct strbuf out = STRBUF_INIT;

	assert_int_equal(run_captured(ctl_status, bad_flag, &out), 64);
	assert_int_equal(run_captured(ctl_status, extra, &out), 64);
	/* a time zone PostgreSQL does not know is a configuration error */
	conf_for_server(e, "tz = Mars/Olympus_Mons\n");
	conf[2] = e->conf.buf;
	assert_int_equal(run_captured(ctl_status, conf, &out), 78);
	write_conf(e, "no_such_key = 1\n");
	conf[2] = e->conf.buf;
	assert_int_equal(run_captured(ctl_status, conf, &out), 78);
	strbuf_release(&out);
}

/* ---- alert-failed ----------------------------------------------------------- */

static int
alert(struct env *e, const char *repeat, const char *unit)
{
	char a0[] = "alert-failed", a1[] = "-c", a3[] = "--repeat";
	char r[32], u[256];
	char *argv[] = { a0, a1, e->conf.buf, a3, r, u, NULL };
	struct strbuf out = STRBUF_INIT;
	int rc;

	snprintf(r, sizeof(r), "%s", repeat);
	snprintf(u, sizeof(u), "%s", unit);
	rc = run_captured(ctl_alert_failed, argv, &out);
	strbuf_release(&out);
	return rc;
}

static int
posts(void)
{
	int n;

	pthread_mutex_lock(&srv.lock);
	n = srv.posts;
	pthread_mutex_unlock(&srv.lock);
	return n;
}

/* The fake alert hook answers status from now on. */
static void
hook_answers(unsigned status)
{
	pthread_mutex_lock(&srv.lock);
	srv.hook_status = status;
	pthread_mutex_unlock(&srv.lock);
}

static void
test_alert_posts_once_per_window(void **state)
{
	struct env *e = *state;
	struct strbuf text = STRBUF_INIT, statefile = STRBUF_INIT;
	json_error_t jerr;
	json_t *j, *run;
	struct stat sb;

	sql(e, "INSERT INTO job_runs (program, started_at, finished_at, status,"
	    " message) VALUES ('tally-allocate', now(), now(), 'FAILED',"
	    " 'cannot connect to the database')");
	strbuf_addf(&text, "alert_url = http://127.0.0.1:%u/hook\n", srv.port);
	write_conf(e, text.buf);
	setenv("MONITOR_SERVICE_RESULT", "exit-code", 1);
	setenv("MONITOR_EXIT_CODE", "exited", 1);
	setenv("MONITOR_EXIT_STATUS", "69", 1);
	setenv("MONITOR_INVOCATION_ID", "0123abcd", 1);

	assert_int_equal(alert(e, "60", "tally-allocate.service"), 0);
	assert_int_equal(posts(), 1);
	pthread_mutex_lock(&srv.lock);
	assert_string_equal(srv.content_type.buf, "application/json");
	j = json_loads(srv.body.buf, 0, &jerr);
	pthread_mutex_unlock(&srv.lock);
	assert_non_null(j);
	assert_string_equal(ostr(j, "unit"), "tally-allocate.service");
	assert_string_equal(ostr(j, "exit_status"), "69");
	assert_string_equal(ostr(j, "event"), "unit_failed");
	run = json_object_get(j, "last_run");
	assert_string_equal(ostr(run, "status"), "FAILED");
	assert_non_null(strstr(ostr(j, "text"),
	    "tally-allocate.service failed on "));
	assert_non_null(strstr(ostr(j, "text"),
	    "exited with status 69 (database or service unavailable)"));
	assert_non_null(strstr(ostr(j, "text"),
	    "cannot connect to the database"));
	assert_non_null(strstr(ostr(j, "text"),
	    "_SYSTEMD_INVOCATION_ID=0123abcd"));
	json_decref(j);
	strbuf_addf(&statefile, "%s/alerts/tally-allocate.service", e->dir);
	assert_int_equal(stat(statefile.buf, &sb), 0);

	/* failing again within the window: logged, not posted */
	assert_int_equal(alert(e, "60", "tally-allocate.service"), 0);
	assert_int_equal(posts(), 1);
	/* another unit has its own window */
	assert_int_equal(alert(e, "60", "tally-expire.service"), 0);
	assert_int_equal(posts(), 2);
	/* --repeat 0: every failure */
	assert_int_equal(alert(e, "0", "tally-allocate.service"), 0);
	assert_int_equal(posts(), 3);
	strbuf_release(&text);
	strbuf_release(&statefile);
}

static void
test_alert_delivery_failure_retries(void **state)
{
	struct env *e = *state;
	struct strbuf text = STRBUF_INIT, statefile = STRBUF_INIT;
	struct stat sb;

	strbuf_addf(&text, "alert_url = http://127.0.0.1:%u/hook\n", srv.port);
	write_conf(e, text.buf);
	strbuf_addf(&statefile, "%s/alerts/tally-backup.service", e->dir);
	hook_answers(MHD_HTTP_INTERNAL_SERVER_ERROR);
	assert_int_equal(alert(e, "60", "tally-backup.service"), 69);
	assert_int_equal(posts(), 1);
	/* not taken, so not remembered: the next failure posts again */
	assert_int_not_equal(stat(statefile.buf, &sb), 0);
	hook_answers(MHD_HTTP_OK);
	assert_int_equal(alert(e, "60", "tally-backup.service"), 0);
	assert_int_equal(posts(), 2);
	assert_int_equal(stat(statefile.buf, &sb), 0);

	/* nobody listening */
	write_conf(e, "alert_url = http://127.0.0.1:1/hook\n");
	assert_int_equal(alert(e, "0", "tally-backup.service"), 69);
	strbuf_release(&text);
	strbuf_release(&statefile);
}

static void
test_alert_without_url_or_database(void **state)
{
	struct env *e = *state;
	struct strbuf text = STRBUF_INIT;

	/* no alert_url: the journal is the only place, exit 0 */
	write_conf(e, "");
	assert_int_equal(alert(e, "60", "tally-weekly-report.service"), 0);
	assert_int_equal(posts(), 0);

	/* the database down is often why the unit failed: still alerted */
	strbuf_addf(&text, "host=%s/nowhere port=5432 dbname=x user=tally "
	    "connect_timeout=2", e->dir);
	setenv("TALLY_DATABASE_URL", text.buf, 1);
	strbuf_reset(&text);
	strbuf_addf(&text, "alert_url = http://127.0.0.1:%u/hook\n", srv.port);
	write_conf(e, text.buf);
	assert_int_equal(alert(e, "60", "tally-reconcile.service"), 0);
	assert_int_equal(posts(), 1);
	pthread_mutex_lock(&srv.lock);
	assert_non_null(strstr(srv.body.buf, "the database does not answer"));
	assert_non_null(strstr(srv.body.buf, "\"last_run\":null"));
	pthread_mutex_unlock(&srv.lock);
	strbuf_release(&text);
}

static void
test_alert_usage(void **state)
{
	struct env *e = *state;
	char a0[] = "alert-failed";
	char *none[] = { a0, NULL };
	struct strbuf out = STRBUF_INIT;

	write_conf(e, "");
	/* never a path: the name becomes a file name under alerts/ */
	assert_int_equal(alert(e, "60", "../../etc/passwd"), 64);
	assert_int_equal(alert(e, "60", ".hidden"), 64);
	assert_int_equal(alert(e, "60", "a b.service"), 64);
	assert_int_equal(alert(e, "-5", "tally-expire.service"), 64);
	assert_int_equal(alert(e, "soon", "tally-expire.service"), 64);
	assert_int_equal(run_captured(ctl_alert_failed, none, &out), 64);
	assert_int_equal(posts(), 0);
	strbuf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status_finds_problems,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_healthy, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_status_receiver_and_database_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_usage_and_config,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_alert_posts_once_per_window,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_alert_delivery_failure_retries, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_alert_without_url_or_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alert_usage, setup,
		    teardown),
	};
	int rc;

	log_init("test_ctl_ops_status");
	testdb_require();
	strbuf_init(&srv.body);
	strbuf_init(&srv.content_type);
	srv_start();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	srv_stop();
	strbuf_release(&srv.body);
	strbuf_release(&srv.content_type);
	return rc;
}
