/*
 * rx_test.h - what the receiver's test programs share: running
 * tally-receiver as a child process (its configuration, secrets and
 * readiness through a notify socket), requests through libcurl or raw
 * sockets, its /metrics, and reading raw_events back.  Header-only
 * (static inline), like ctl_support.h; include it after <cmocka.h>.
 *
 * Waits are for a state (a notify line, a metric, a closed socket), never
 * for a duration; WAIT_CAP_S only keeps a broken receiver from hanging a
 * test forever, far above anything a working one needs.
 */
#ifndef TALLY_TEST_RX_TEST_H
#define TALLY_TEST_RX_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "pg/db.h"
#include "base/strbuf.h"
#include "intake/signature.h"
#include "support/testdb.h"
#include "support/tfile.h"
#include "support/thttp.h"

#define WAIT_CAP_S 60
#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_SECRET2 "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM="
#define ST_SECRET "whsec_stripe_test_secret_0123456789"
#define MT_SECRET "SB-Mid-server-TEST-key-42"
#define XN_SECRET "xnd-callback-token-0123"

struct proc {
	pid_t pid;
	int notify;
	char dir[64];
	char conf[128];
	unsigned port;
	char base[64];		/* http://127.0.0.1:PORT */
};

static struct db *db;		/* superuser connection to the test database */
static struct proc *running;	/* killed at exit if a test failed mid-way */

/* ---- small helpers ---- */

static inline double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static inline void
write_file(const char *dir, const char *name, const char *content)
{
	(void)tfile_write(dir, name, content);
}

static inline void
write_config(struct proc *p, const char *extra)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "listen = 127.0.0.1:0\n%s\n"
	    "[source usage]\nscheme = standard-webhooks\nsecret_file = %s/sw\n"
	    "[source stripe]\nscheme = stripe\nsecret_file = %s/st\n"
	    "[source midtrans]\nscheme = midtrans\nsecret_file = %s/mt\n"
	    "[source xendit]\nscheme = xendit\nsecret_file = %s/xn\n",
	    extra != NULL ? extra : "", p->dir, p->dir, p->dir, p->dir);
	write_file(p->dir, "tally.conf", sb.buf);
	strbuf_release(&sb);
}

/* Wait for a notify datagram containing want; the whole message in msg. */
static inline bool
notify_wait(struct proc *p, const char *want, int timeout_ms, char *msg,
    size_t msglen)
{
	double until = now_s() + timeout_ms / 1000.0;
	char buf[1024];
	struct pollfd pfd = { p->notify, POLLIN, 0 };
	ssize_t n;

	while (now_s() < until) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(p->notify, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (strstr(buf, want) != NULL) {
			if (msg != NULL)
				snprintf(msg, msglen, "%s", buf);
			return true;
		}
	}
	return false;
}

static inline void
proc_start_env(struct proc *p, const char *dburl)
{
	struct sockaddr_un sa;
	char msg[1024], *prog, sock[sizeof(sa.sun_path)];
	const char *at;

	snprintf(sock, sizeof(sock), "%s/notify", p->dir);
	p->notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(p->notify >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	unlink(sock);
	assert_int_equal(bind(p->notify, (struct sockaddr *)&sa, sizeof(sa)), 0);
	prog = testdb_program("tally-receiver");
	fflush(NULL);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		/* never outlive a test program that died or was killed */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setenv("NOTIFY_SOCKET", sock, 1);
		if (dburl != NULL)
			setenv("TALLY_DATABASE_URL", dburl, 1);
		execl(prog, "tally-receiver", "-c", p->conf, (char *)NULL);
		_exit(127);
	}
	free(prog);
	running = p;
	if (!notify_wait(p, "READY=1", WAIT_CAP_S * 1000, msg, sizeof(msg)))
		fail_msg("tally-receiver did not become ready");
	at = strstr(msg, "listening on port ");
	assert_non_null(at);
	p->port = (unsigned)strtoul(at + strlen("listening on port "), NULL, 10);
	assert_true(p->port > 0);
	snprintf(p->base, sizeof(p->base), "http://127.0.0.1:%u", p->port);
}

static inline void
proc_init(struct proc *p, const char *extra)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/tally-recv-test.XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	/* initdb runs as postgres: the outage test's cluster lives below */
	assert_int_equal(chmod(p->dir, 0755), 0);
	snprintf(p->conf, sizeof(p->conf), "%s/tally.conf", p->dir);
	write_file(p->dir, "sw", SW_SECRET "\n");
	write_file(p->dir, "st", ST_SECRET "\n");
	write_file(p->dir, "mt", MT_SECRET "\n");
	write_file(p->dir, "xn", XN_SECRET "\n");
	write_config(p, extra);
}

static inline void
proc_start(struct proc *p, const char *extra)
{
	proc_init(p, extra);
	proc_start_env(p, NULL);
}

/* SIGTERM, and the exit status (0 after a clean drain); the directory
 * stays. */
static inline int
proc_halt(struct proc *p)
{
	int st = 0;

	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		waitpid(p->pid, &st, 0);
		p->pid = 0;
	}
	running = NULL;
	if (p->notify > 0)
		close(p->notify);
	p->notify = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline int
proc_stop(struct proc *p)
{
	char cmd[128];
	int st = proc_halt(p);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", p->dir);
	testdb_system(cmd);
	return st;
}

/* After a failed assertion the test never reached proc_stop(). */
static inline void
kill_running(void)
{
	char cmd[128];

	if (running == NULL)
		return;
	if (running->pid > 0) {
		kill(running->pid, SIGKILL);
		waitpid(running->pid, NULL, 0);
		running->pid = 0;
	}
	/* the outage test's private cluster, if it got that far */
	{
		struct strbuf sb = STRBUF_INIT;
		char *ctl = testdb_program("tallyctl");

		strbuf_addf(&sb, "test ! -d %s/home/pg || env -u TALLY_DATABASE_URL "
		    "TALLY_HOME=%s/home %s db down >/dev/null 2>&1", running->dir,
		    running->dir, ctl);
		testdb_system(sb.buf);
		strbuf_release(&sb);
		free(ctl);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", running->dir);
	testdb_system(cmd);
	running = NULL;
}

static inline int
teardown(void **state)
{
	(void)state;
	kill_running();
	/* a lock or trigger a failed test left behind */
	db_rollback(db);
	db_simple(db, "DROP TRIGGER IF EXISTS test_poison ON raw_events; "
	    "DROP FUNCTION IF EXISTS test_poison()");
	return 0;
}

/* ---- HTTP ---- */

static inline size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	strbuf_add(arg, data, size * n);
	return size * n;
}

/* One request; hdrs is NULL-terminated "Name: value"; the answer's body
 * into out and its header lines into hout (either may be NULL).  Returns
 * the status (0 when no answer came). */
static inline long
http_h(CURL *h, const char *method, const char *url, const char *body,
    const char *const *hdrs, struct strbuf *out, struct strbuf *hout)
{
	struct curl_slist *list = NULL;

	for (size_t i = 0; hdrs != NULL && hdrs[i] != NULL; i++)
		list = curl_slist_append(list, hdrs[i]);
	return thttp_exchange(h, method, url, body, list, hout, out, WAIT_CAP_S);
}

static inline long
http(CURL *h, const char *method, const char *url, const char *body,
    const char *const *hdrs, struct strbuf *out)
{
	return http_h(h, method, url, body, hdrs, out, NULL);
}

/* A signed Standard Webhooks POST to /webhooks/usage; the answer's
 * headers into hout (NULL: not kept). */
static inline long
sw_post_h(CURL *h, const struct proc *p, const char *secret,
    const char *id, long long ts, const char *body, const char *ct,
    struct strbuf *out, struct strbuf *hout)
{
	struct signature_key k;
	struct strbuf sig = STRBUF_INIT, hid = STRBUF_INIT, hts = STRBUF_INIT,
	    hsig = STRBUF_INIT, hct = STRBUF_INIT, url = STRBUF_INIT;
	const char *reason = NULL;
	char tsbuf[32];
	long code;

	assert_int_equal(signature_key_init(&k, SCHEME_STANDARD_WEBHOOKS,
	    (const unsigned char *)secret, strlen(secret), &reason), 0);
	snprintf(tsbuf, sizeof(tsbuf), "%lld", ts);
	signature_standard_sign(&k, id, tsbuf, body, strlen(body), &sig);
	signature_key_release(&k);
	strbuf_addf(&hid, "webhook-id: %s", id);
	strbuf_addf(&hts, "webhook-timestamp: %s", tsbuf);
	strbuf_addf(&hsig, "webhook-signature: %s", sig.buf);
	strbuf_addf(&hct, "Content-Type: %s", ct);
	strbuf_addf(&url, "%s/webhooks/usage", p->base);
	{
		const char *hdrs[] = { hid.buf, hts.buf, hsig.buf, hct.buf, NULL };

		code = http_h(h, "POST", url.buf, body, hdrs, out, hout);
	}
	strbuf_release(&sig);
	strbuf_release(&hid);
	strbuf_release(&hts);
	strbuf_release(&hsig);
	strbuf_release(&hct);
	strbuf_release(&url);
	return code;
}

static inline long
sw_post_full(CURL *h, const struct proc *p, const char *secret,
    const char *id, long long ts, const char *body, const char *ct,
    struct strbuf *out)
{
	return sw_post_h(h, p, secret, id, ts, body, ct, out, NULL);
}

static inline long
sw_post(const struct proc *p, const char *id, const char *body,
    struct strbuf *out)
{
	return sw_post_full(NULL, p, SW_SECRET, id, (long long)time(NULL), body,
	    "application/json", out);
}

static inline long
get(const struct proc *p, const char *path, struct strbuf *out)
{
	struct strbuf url = STRBUF_INIT;
	long code;

	strbuf_addf(&url, "%s%s", p->base, path);
	code = http(NULL, "GET", url.buf, NULL, NULL, out);
	strbuf_release(&url);
	return code;
}

/* Raw TCP to the receiver; -1 on failure. */
static inline int
tcp_connect(const struct proc *p)
{
	return thttp_connect((unsigned short)p->port);
}

/*
 * Read one whole answer (its headers, and as many body bytes as its
 * Content-Length says), or until the peer closes.  Returns true when the
 * peer closed the connection after it.
 */
static inline bool
read_response(int fd, struct strbuf *out)
{
	return thttp_read_answer(fd, out, WAIT_CAP_S);
}

/* Wait until the peer closes the connection (its answer, if any, into out). */
static inline void
read_to_close(int fd, struct strbuf *out)
{
	thttp_read_to_close(fd, out, WAIT_CAP_S);
}

/* How many status lines ("HTTP/1.x NNN") the bytes hold. */
static inline int
status_lines(const char *s)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, "HTTP/1.")) != NULL; p++)
		if (p == s || p[-1] == '\n' || p[-1] == '}')
			n++;
	return n;
}

/* A value of /metrics ("name" or "name{labels}"); -1 when absent. */
static inline long long
metric(const struct proc *p, const char *name)
{
	struct strbuf out = STRBUF_INIT, want = STRBUF_INIT;
	const char *at;
	long long v = -1;

	if (get(p, "/metrics", &out) == 200) {
		strbuf_addf(&want, "\n%s ", name);
		at = strstr(out.buf, want.buf);
		if (at != NULL)
			v = strtoll(at + want.len, NULL, 10);
	}
	strbuf_release(&out);
	strbuf_release(&want);
	return v;
}

/* Poll /metrics until name is v (exact) or at least v.  A request's
 * memory is given back after its answer left, so a client may see the
 * answer before the count. */
static inline void
wait_metric_until(const struct proc *p, const char *name, long long v,
    bool exact)
{
	double until = now_s() + WAIT_CAP_S;
	long long got;

	while ((got = metric(p, name)) != v && (exact || got < v)) {
		if (now_s() > until)
			fail_msg("%s stayed at %lld, never %s %lld", name, got,
			    exact ? "became" : "reached", v);
		sleep_ms(20);
	}
}

static inline void
wait_metric_eq(const struct proc *p, const char *name, long long v)
{
	wait_metric_until(p, name, v, true);
}

static inline void
wait_metric(const struct proc *p, const char *name, long long v)
{
	wait_metric_until(p, name, v, false);
}

/* The start and end of a receiver test program's main(). */
static inline void
rx_test_begin(const char *appname)
{
	testdb_require();
	if (db_connect(&db, appname, NULL) != 0) {
		fprintf(stderr, "cannot connect to the test database\n");
		exit(1);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	atexit(kill_running);
	signal(SIGPIPE, SIG_IGN);
}

static inline void
rx_test_end(void)
{
	db_free(db);
	curl_global_cleanup();
}

/* ---- database ---- */

/* Our session (db) holds raw_events' lock, and a receiver's committer
 * waits behind it. */
static inline void
wait_committer_blocked(void)
{
	double cap = now_s() + WAIT_CAP_S;
	char *v = NULL;

	for (;;) {
		assert_int_equal(db_query_value(db, &v, "SELECT count(*) FROM"
		    " pg_stat_activity WHERE application_name = 'tally-receiver'"
		    " AND pg_backend_pid() = ANY(pg_blocking_pids(pid))", 0, NULL),
		    0);
		if (strcmp(v, "0") != 0)
			break;
		free(v);
		v = NULL;
		if (now_s() > cap)
			fail_msg("no committer ever waited for the lock");
		sleep_ms(10);
	}
	free(v);
}

static inline void
lock_still_ours(void)
{
	char *v = NULL;

	assert_int_equal(db_query_value(db, &v, "SELECT count(*) FROM pg_locks"
	    " WHERE pid = pg_backend_pid() AND relation = 'raw_events'::regclass"
	    " AND mode = 'ExclusiveLock' AND granted", 0, NULL), 0);
	assert_string_equal(v, "1");
	free(v);
}



static inline long long
count_rows(const char *sql, const char *a, const char *b)
{
	const char *params[2] = { a, b };
	char *v = NULL;
	long long n;

	assert_int_equal(db_query_value(db, &v, sql, b != NULL ? 2 : 1, params),
	    0);
	n = strtoll(v, NULL, 10);
	free(v);
	return n;
}

static inline long long
rows_for(const char *source, const char *key)
{
	return count_rows("SELECT count(*) FROM raw_events WHERE source = $1 "
	    "AND event_key = $2", source, key);
}


#endif
