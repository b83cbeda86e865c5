/*
 * test_receiver.c - tally-receiver over real HTTP against a real database.
 *
 * The receiver runs as a child process with NOTIFY_SOCKET pointing at a
 * datagram socket of ours: READY=1 says it is up (and STATUS= which port it
 * bound: the config asks for port 0), RELOADING=1 / STOPPING=1 are checked
 * too.  Requests go through libcurl, or raw sockets where the test needs
 * to misbehave (trickle bytes, lie about sizes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
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

#include "ctl/send.h"
#include "pg/db.h"
#include "base/err.h"
#include "intake/receiver_json.h"
#include "intake/signature.h"
#include "base/strbuf.h"
#include "support/testdb.h"

#include "support/rx_test.h"

/* ---- tests ---- */

static void
test_stored_duplicate(void **state)
{
	struct proc p;
	struct strbuf out = STRBUF_INIT;
	const char *body = "{\"id\":\"evt_sd\",\"type\":\"usage.recorded\","
	    "\"note\":\"caf\\u00e9 \xe2\x82\xac\"}";
	PGresult *res = NULL;
	const char *params[1] = { "msg_sd_1" };

	(void)state;
	proc_start(&p, NULL);
	assert_int_equal(sw_post(&p, "msg_sd_1", body, &out), 200);
	assert_string_equal(out.buf, "{\"status\":\"stored\"}");
	strbuf_reset(&out);
	assert_int_equal(sw_post(&p, "msg_sd_1", body, &out), 200);
	assert_string_equal(out.buf, "{\"status\":\"duplicate\"}");
	assert_int_equal(rows_for("usage", "msg_sd_1"), 1);
	/* the exact bytes, the parsed payload, the signature headers */
	assert_int_equal(db_query(db, &res, "SELECT convert_from(body, 'UTF8'), "
	    "payload->>'type', scheme, content_type, "
	    "sig_headers->>'webhook-id', sig_headers ? 'webhook-signature' "
	    "FROM raw_events WHERE event_key = $1", 1, params), 0);
	assert_string_equal(db_value(res, 0, 0), body);
	assert_string_equal(db_value(res, 0, 1), "usage.recorded");
	assert_string_equal(db_value(res, 0, 2), "standard-webhooks");
	assert_string_equal(db_value(res, 0, 3), "application/json");
	assert_string_equal(db_value(res, 0, 4), "msg_sd_1");
	assert_string_equal(db_value(res, 0, 5), "t");
	PQclear(res);
	/* the receiver's sessions log in as tally_receiver itself: there is
	 * no other role for RESET ROLE to return to */
	assert_int_equal(db_query(db, &res, "SELECT DISTINCT usename::text,"
	    " (SELECT count(*) FROM pg_auth_members m JOIN pg_roles r"
	    "  ON r.oid = m.member WHERE r.rolname = a.usename)"
	    " FROM pg_stat_activity a WHERE application_name = 'tally-receiver'"
	    " AND datname = current_database()", 0, NULL), 0);
	assert_int_equal(PQntuples(res), 1);
	assert_string_equal(db_value(res, 0, 0), "tally_receiver");
	assert_string_equal(db_value(res, 0, 1), "0");
	PQclear(res);
	strbuf_release(&out);
	assert_int_equal(proc_stop(&p), 0);
}

static void
test_ndjson(void **state)
{
	struct proc p;
	struct strbuf out = STRBUF_INIT;
	const char *body = "{\"id\":\"nd_1\",\"type\":\"usage.recorded\"}\n"
	    "{\"id\":\"nd_2\",\"type\":\"user.login\"}\r\n\n"
	    "{\"id\":\"nd_3\",\"type\":\"credits.balance\"}\n";
	const char *again = "{\"id\":\"nd_3\"}\n{\"id\":\"nd_4\"}\n";
	const char *bad = "{\"id\":\"nd_5\"}\n{\"id\":\"nd_6\"\n";
	char *v = NULL;
	const char *params[1] = { "msg_nd_1" };

	(void)state;
	proc_start(&p, NULL);
	assert_int_equal(sw_post_full(NULL, &p, SW_SECRET, "msg_nd_1",
	    (long long)time(NULL), body, "application/x-ndjson", &out), 200);
	assert_string_equal(out.buf,
	    "{\"status\":\"stored\",\"stored\":3,\"duplicate\":0}");
	/* the rows' bodies, in line order, are the signed body */
	assert_int_equal(db_query_value(db, &v, "SELECT convert_from("
	    "string_agg(body, ''::bytea ORDER BY (sig_headers->>'ndjson-line')"
	    "::int), 'UTF8') FROM raw_events WHERE sig_headers->>'webhook-id' "
	    "= $1", 1, params), 0);
	assert_string_equal(v, body);
	free(v);
	strbuf_reset(&out);
	assert_int_equal(sw_post_full(NULL, &p, SW_SECRET, "msg_nd_2",
	    (long long)time(NULL), again, "application/x-ndjson", &out), 200);
	assert_string_equal(out.buf,
	    "{\"status\":\"stored\",\"stored\":1,\"duplicate\":1}");
	/* all or nothing: nd_5 is fine, nd_6 is not, neither is stored */
	strbuf_reset(&out);
	assert_int_equal(sw_post_full(NULL, &p, SW_SECRET, "msg_nd_3",
	    (long long)time(NULL), bad, "application/x-ndjson", &out), 400);
	assert_int_equal(rows_for("usage", "nd_5"), 0);
	assert_int_equal(rows_for("usage", "nd_4"), 1);
	strbuf_release(&out);
	assert_int_equal(proc_stop(&p), 0);
}

static void
test_refusals(void **state)
{
	struct proc p;
	struct strbuf out = STRBUF_INIT, url = STRBUF_INIT;
	const char *body = "{\"id\":\"evt_r\"}";
	long long t = (long long)time(NULL);

	(void)state;
	proc_start(&p, NULL);
	/* wrong secret, stale, future */
	assert_int_equal(sw_post_full(NULL, &p, SW_SECRET2, "msg_r1", t, body,
	    "application/json", &out), 401);
	assert_non_null(strstr(out.buf, "signature mismatch"));
	strbuf_reset(&out);
	assert_int_equal(sw_post_full(NULL, &p, SW_SECRET, "msg_r2", t - 400,
	    body, "application/json", &out), 401);
	assert_non_null(strstr(out.buf, "timestamp too old"));
	assert_int_equal(sw_post_full(NULL, &p, SW_SECRET, "msg_r3", t + 400,
	    body, "application/json", NULL), 401);
	/* wrong content type: 415 */
	assert_int_equal(sw_post_full(NULL, &p, SW_SECRET, "msg_r4", t, body,
	    "text/plain", NULL), 415);
	/* signed but not JSON: 400 */
	assert_int_equal(sw_post_full(NULL, &p, SW_SECRET, "msg_r5", t,
	    "{\"id\":", "application/json", NULL), 400);
	/* unknown source, unknown path: 404; wrong method: 405 */
	strbuf_addf(&url, "%s/webhooks/nosuch", p.base);
	assert_int_equal(http(NULL, "POST", url.buf, body, NULL, NULL), 404);
	assert_int_equal(get(&p, "/nothing", NULL), 404);
	assert_int_equal(get(&p, "/webhooks/usage", NULL), 405);
	strbuf_reset(&url);
	strbuf_addf(&url, "%s/healthz", p.base);
	assert_int_equal(http(NULL, "POST", url.buf, "", NULL, NULL), 405);
	/* a tampered body, a missing header, a duplicated header */
	{
		struct signature_key k;
		struct strbuf sig = STRBUF_INIT, h1 = STRBUF_INIT,
		    h2 = STRBUF_INIT, h3 = STRBUF_INIT;
		const char *reason;
		char ts[32];

		snprintf(ts, sizeof(ts), "%lld", t);
		signature_key_init(&k, SCHEME_STANDARD_WEBHOOKS,
		    (const unsigned char *)SW_SECRET, strlen(SW_SECRET), &reason);
		signature_standard_sign(&k, "msg_r6", ts, body, strlen(body), &sig);
		signature_key_release(&k);
		strbuf_addf(&h1, "webhook-id: msg_r6");
		strbuf_addf(&h2, "webhook-timestamp: %s", ts);
		strbuf_addf(&h3, "webhook-signature: %s", sig.buf);
		strbuf_reset(&url);
		strbuf_addf(&url, "%s/webhooks/usage", p.base);
		{
			const char *ok[] = { h1.buf, h2.buf, h3.buf,
				"Content-Type: application/json", NULL };
			const char *dup[] = { h1.buf, h2.buf, h3.buf, h3.buf,
				"Content-Type: application/json", NULL };
			const char *dupid[] = { h1.buf, "webhook-id: msg_r6x",
				h2.buf, h3.buf, "Content-Type: application/json",
				NULL };
			const char *missing[] = { h1.buf, h2.buf,
				"Content-Type: application/json", NULL };

			assert_int_equal(http(NULL, "POST", url.buf,
			    "{\"id\":\"evt_R\"}", ok, NULL), 401);
			assert_int_equal(http(NULL, "POST", url.buf, body, missing,
			    NULL), 401);
			strbuf_reset(&out);
			assert_int_equal(http(NULL, "POST", url.buf, body, dup,
			    &out), 401);
			assert_non_null(strstr(out.buf, "duplicated"));
			assert_int_equal(http(NULL, "POST", url.buf, body, dupid,
			    NULL), 401);
			/* and the untouched request is fine */
			assert_int_equal(http(NULL, "POST", url.buf, body, ok,
			    NULL), 200);
		}
		strbuf_release(&sig);
		strbuf_release(&h1);
		strbuf_release(&h2);
		strbuf_release(&h3);
	}
	assert_int_equal(rows_for("usage", "msg_r6"), 1);
	/* of msg_r1 .. msg_r6x only the intact msg_r6 is stored */
	assert_int_equal(count_rows("SELECT count(*) FROM raw_events WHERE "
	    "event_key LIKE $1", "msg\\_r%", NULL), 1);
	/* the failures are counted */
	strbuf_reset(&out);
	assert_int_equal(get(&p, "/metrics", &out), 200);
	assert_non_null(strstr(out.buf,
	    "tally_receiver_signature_failures_total{source=\"usage\"} 7"));
	assert_non_null(strstr(out.buf,
	    "tally_receiver_requests_total{source=\"usage\",code=\"415\"} 1"));
	assert_non_null(strstr(out.buf,
	    "tally_receiver_requests_total{source=\"\",code=\"404\"} 2"));
	strbuf_release(&out);
	strbuf_release(&url);
	assert_int_equal(proc_stop(&p), 0);
}

static void
test_sizes(void **state)
{
	struct proc p;
	struct strbuf req = STRBUF_INIT, resp = STRBUF_INIT, big = STRBUF_INIT;
	int fd;

	(void)state;
	proc_start(&p, "max_body = 2048");
	/* Content-Length over the limit: 413 before a byte of body is sent */
	fd = tcp_connect(&p);
	assert_true(fd >= 0);
	strbuf_addstr(&req, "POST /webhooks/usage HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n");
	assert_int_equal(send(fd, req.buf, req.len, 0), (ssize_t)req.len);
	read_response(fd, &resp);
	close(fd);
	assert_memory_equal(resp.buf, "HTTP/1.1 413", 12);
	/* chunked, no length, four times the limit: read, dropped, and
	 * answered 413 (it used to be cut without an answer) */
	fd = tcp_connect(&p);
	strbuf_reset(&req);
	strbuf_reset(&resp);
	strbuf_addstr(&req, "POST /webhooks/usage HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (int c = 0; c < 8; c++) {
		strbuf_addstr(&req, "400\r\n");
		for (int i = 0; i < 0x400; i++)
			strbuf_addch(&req, 'x');
		strbuf_addstr(&req, "\r\n");
	}
	strbuf_addstr(&req, "0\r\n\r\n");
	assert_int_equal(send(fd, req.buf, req.len, 0), (ssize_t)req.len);
	read_response(fd, &resp);
	close(fd);
	assert_memory_equal(resp.buf, "HTTP/1.1 413", 12);
	assert_int_equal(status_lines(resp.buf), 1);
	assert_non_null(strstr(resp.buf, "body too large"));
	/* exactly at the limit is fine (signed, so it gets as far as JSON) */
	strbuf_addstr(&big, "{\"id\":\"big\",\"pad\":\"");
	while (big.len < 2048 - 2)
		strbuf_addch(&big, 'x');
	strbuf_addstr(&big, "\"}");
	assert_int_equal(big.len, 2048);
	assert_int_equal(sw_post(&p, "msg_big", big.buf, NULL), 200);
	strbuf_addch(&big, ' ');
	assert_int_equal(sw_post(&p, "msg_big2", big.buf, NULL), 413);
	/* nothing held once it is all answered */
	wait_metric_eq(&p, "tally_receiver_body_bytes", 0);
	strbuf_release(&req);
	strbuf_release(&resp);
	strbuf_release(&big);
	assert_int_equal(proc_stop(&p), 0);
}

/*
 * Send what one byte at a time, each after the interval, until the
 * receiver closes the connection.  The interval is well under the idle
 * timeout, so only the whole-request deadline can be what closes it
 * (tally_receiver_deadline_cuts_total tells).
 */
static void
trickle(const struct proc *p, const char *what, long interval_ms)
{
	double cap = now_s() + WAIT_CAP_S;
	int fd = tcp_connect(p);
	char c;

	assert_true(fd >= 0);
	for (size_t i = 0;; i++) {
		struct pollfd pfd = { fd, POLLIN, 0 };

		if (send(fd, &what[i % strlen(what)], 1, MSG_NOSIGNAL) != 1)
			break;
		if (poll(&pfd, 1, (int)interval_ms) > 0 &&
		    recv(fd, &c, 1, MSG_DONTWAIT) <= 0)
			break;
		if (now_s() > cap)
			fail_msg("a trickling client was never cut");
	}
	close(fd);
}

static void
test_slow_client(void **state)
{
	struct proc p;
	const char *h = "POST /webhooks/usage HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n";

	(void)state;
	/* MHD's idle timeout (= the deadline, 4 s) never fires: a byte comes
	 * every 0.1 s (a stall of the test of 4 s would be needed).  Only the
	 * whole-request deadline can cut these. */
	proc_start(&p, "request_deadline = 4");
	assert_int_equal(metric(&p, "tally_receiver_deadline_cuts_total"), 0);
	/* headers trickled one byte at a time */
	trickle(&p, "POST /webhooks/usage HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 100);
	assert_int_equal(metric(&p, "tally_receiver_deadline_cuts_total"), 1);
	/* a body trickled after quick headers */
	{
		int fd = tcp_connect(&p);
		char c;

		assert_int_equal(send(fd, h, strlen(h), 0), (ssize_t)strlen(h));
		for (;;) {
			struct pollfd pfd = { fd, POLLIN, 0 };

			if (send(fd, "x", 1, MSG_NOSIGNAL) != 1)
				break;
			if (poll(&pfd, 1, 100) > 0 &&
			    recv(fd, &c, 1, MSG_DONTWAIT) <= 0)
				break;
		}
		close(fd);
	}
	assert_int_equal(metric(&p, "tally_receiver_deadline_cuts_total"), 2);
	/* a quick request afterwards is still served */
	assert_int_equal(sw_post(&p, "msg_after_slow", "{\"id\":\"s\"}", NULL),
	    200);
	assert_int_equal(proc_stop(&p), 0);
}

static void
test_health_metrics(void **state)
{
	struct proc p;
	struct strbuf out = STRBUF_INIT;
	int ok = 0;

	(void)state;
	proc_start(&p, NULL);
	assert_int_equal(get(&p, "/healthz", &out), 200);
	assert_string_equal(out.buf, "{\"status\":\"ok\"}");
	for (int i = 0; i < 5; i++) {
		char id[32];

		snprintf(id, sizeof(id), "msg_hm_%d", i);
		ok += sw_post(&p, id, "{\"id\":\"x\"}", NULL) == 200;
	}
	assert_int_equal(ok, 5);
	strbuf_reset(&out);
	assert_int_equal(get(&p, "/metrics", &out), 200);
	assert_non_null(strstr(out.buf,
	    "tally_receiver_requests_total{source=\"usage\",code=\"200\"} 5"));
	assert_non_null(strstr(out.buf,
	    "tally_receiver_events_stored_total{source=\"usage\"} 5"));
	assert_non_null(strstr(out.buf, "tally_receiver_database_up 1"));
	assert_non_null(strstr(out.buf, "# TYPE tally_receiver_commit_seconds "
	    "histogram"));
	assert_non_null(strstr(out.buf, "tally_receiver_commit_batch_requests_"
	    "count "));
	strbuf_release(&out);
	assert_int_equal(proc_stop(&p), 0);
}

/* Payloads for the other schemes, sent by tallyctl send (in-process). */
static int
send_file(const struct proc *p, const char *source, const char *file,
    const char *replay)
{
	struct strbuf url = STRBUF_INIT;
	int rc;

	strbuf_addf(&url, "%s/webhooks/%s", p->base, source);
	if (replay != NULL) {
		char *argv[] = { (char *)(uintptr_t)"send", (char *)(uintptr_t)source,
			(char *)(uintptr_t)"--replay", (char *)(uintptr_t)replay,
			(char *)(uintptr_t)"--url", url.buf,
			(char *)(uintptr_t)"-c", (char *)(uintptr_t)p->conf, NULL };

		rc = ctl_send(8, argv);
	} else {
		char *argv[] = { (char *)(uintptr_t)"send", (char *)(uintptr_t)source,
			(char *)(uintptr_t)file, (char *)(uintptr_t)"--url", url.buf,
			(char *)(uintptr_t)"-c", (char *)(uintptr_t)p->conf, NULL };

		rc = ctl_send(7, argv);
	}
	strbuf_release(&url);
	return rc;
}

static void
test_providers(void **state)
{
	struct proc p;
	char path[256];

	(void)state;
	proc_start(&p, NULL);
	write_file(p.dir, "stripe.json", "{\"id\":\"evt_ST1\",\"object\":\"event\","
	    "\"type\":\"checkout.session.completed\",\"data\":{\"object\":"
	    "{\"amount_total\":1999,\"currency\":\"usd\"}}}");
	write_file(p.dir, "midtrans.json", "{\"order_id\":\"ORD-77\","
	    "\"status_code\":\"200\",\"gross_amount\":\"150000.00\","
	    "\"transaction_status\":\"settlement\",\"transaction_id\":\"tx-77\","
	    "\"currency\":\"IDR\"}");
	write_file(p.dir, "xendit.json", "{\"id\":\"inv_77\",\"external_id\":"
	    "\"o77\",\"status\":\"PAID\",\"amount\":50000}");
	write_file(p.dir, "usage.ndjson", "{\"id\":\"u_77a\"}\n{\"id\":\"u_77b\"}\n");
	snprintf(path, sizeof(path), "%s/stripe.json", p.dir);
	assert_int_equal(send_file(&p, "stripe", path, NULL), 0);
	assert_int_equal(rows_for("stripe", "evt_ST1"), 1);
	snprintf(path, sizeof(path), "%s/midtrans.json", p.dir);
	assert_int_equal(send_file(&p, "midtrans", path, NULL), 0);
	assert_int_equal(rows_for("midtrans", "ORD-77:settlement:tx-77"), 1);
	snprintf(path, sizeof(path), "%s/xendit.json", p.dir);
	assert_int_equal(send_file(&p, "xendit", path, NULL), 0);
	assert_int_equal(rows_for("xendit", "inv_77:PAID"), 1);
	snprintf(path, sizeof(path), "%s/usage.ndjson", p.dir);
	assert_int_equal(send_file(&p, "usage", path, NULL), 0);
	assert_int_equal(rows_for("usage", "u_77b"), 1);
	/* the token is not stored anywhere */
	assert_int_equal(count_rows("SELECT count(*) FROM raw_events WHERE "
	    "sig_headers::text LIKE $1 OR convert_from(body, 'UTF8') LIKE $1",
	    "%" XN_SECRET "%", NULL), 0);
	/* a replay is the same event: acknowledged, stored once */
	assert_int_equal(send_file(&p, "stripe", NULL, "evt_ST1"), 0);
	assert_int_equal(send_file(&p, "midtrans", NULL,
	    "ORD-77:settlement:tx-77"), 0);
	assert_int_equal(rows_for("stripe", "evt_ST1"), 1);
	assert_int_equal(rows_for("midtrans", "ORD-77:settlement:tx-77"), 1);
	/* a stored event that is not there */
	assert_int_equal(send_file(&p, "stripe", NULL, "evt_nope"), 65);
	/* a file signed for another scheme's source is refused */
	snprintf(path, sizeof(path), "%s/stripe.json", p.dir);
	{
		struct strbuf url = STRBUF_INIT;
		char *argv[] = { (char *)(uintptr_t)"send",
			(char *)(uintptr_t)"stripe", path,
			(char *)(uintptr_t)"--url", NULL, (char *)(uintptr_t)"-c",
			p.conf, NULL };

		strbuf_addf(&url, "%s/webhooks/usage", p.base);
		argv[4] = url.buf;
		assert_int_equal(ctl_send(7, argv), 65);
		strbuf_release(&url);
	}
	assert_int_equal(proc_stop(&p), 0);
}

static void
test_reload(void **state)
{
	struct proc p;
	struct strbuf out = STRBUF_INIT;

	(void)state;
	proc_start(&p, NULL);
	assert_int_equal(sw_post(&p, "msg_rl_1", "{\"id\":\"a\"}", NULL), 200);
	/* rotate: the new secret first, the old one still accepted */
	write_file(p.dir, "sw", SW_SECRET2 "\n" SW_SECRET "\n");
	kill(p.pid, SIGHUP);
	assert_true(notify_wait(&p, "RELOADING=1", WAIT_CAP_S * 1000, NULL, 0));
	assert_true(notify_wait(&p, "READY=1", WAIT_CAP_S * 1000, NULL, 0));
	assert_int_equal(sw_post_full(NULL, &p, SW_SECRET2, "msg_rl_2",
	    (long long)time(NULL), "{\"id\":\"b\"}", "application/json", NULL),
	    200);
	assert_int_equal(sw_post(&p, "msg_rl_3", "{\"id\":\"c\"}", NULL), 200);
	/* the old one retired */
	write_file(p.dir, "sw", SW_SECRET2 "\n");
	kill(p.pid, SIGHUP);
	assert_true(notify_wait(&p, "READY=1", WAIT_CAP_S * 1000, NULL, 0));
	assert_int_equal(sw_post(&p, "msg_rl_4", "{\"id\":\"d\"}", NULL), 401);
	/* a broken configuration is refused and the one in force stays */
	write_file(p.dir, "tally.conf", "listen = 127.0.0.1:0\n[source usage]\n"
	    "scheme = carrier-pigeon\n");
	kill(p.pid, SIGHUP);
	assert_true(notify_wait(&p, "reload refused", WAIT_CAP_S * 1000, NULL, 0));
	assert_int_equal(sw_post_full(NULL, &p, SW_SECRET2, "msg_rl_5",
	    (long long)time(NULL), "{\"id\":\"e\"}", "application/json", NULL),
	    200);
	/* an empty secret file too */
	write_config(&p, NULL);
	write_file(p.dir, "sw", "");
	kill(p.pid, SIGHUP);
	assert_true(notify_wait(&p, "reload refused", WAIT_CAP_S * 1000, NULL, 0));
	assert_int_equal(sw_post_full(NULL, &p, SW_SECRET2, "msg_rl_6",
	    (long long)time(NULL), "{\"id\":\"f\"}", "application/json", NULL),
	    200);
	assert_int_equal(get(&p, "/metrics", &out), 200);
	assert_non_null(strstr(out.buf, "tally_receiver_reloads_total 2"));
	assert_non_null(strstr(out.buf, "tally_receiver_reload_failures_total 2"));
	strbuf_release(&out);
	assert_int_equal(proc_stop(&p), 0);
}

static void
test_config_check(void **state)
{
	struct proc p;
	struct strbuf cmd = STRBUF_INIT;
	char *prog = testdb_program("tally-receiver");

	(void)state;
	proc_init(&p, NULL);
	strbuf_addf(&cmd, "%s -n -c %s | grep -qx 'configuration OK'", prog,
	    p.conf);
	assert_int_equal(testdb_system(cmd.buf), 0);
	write_file(p.dir, "sw", "whsec_not*base64\n");
	strbuf_reset(&cmd);
	strbuf_addf(&cmd, "%s -n -c %s 2>/dev/null", prog, p.conf);
	assert_int_equal(testdb_system(cmd.buf), 78);
	write_file(p.dir, "sw", SW_SECRET "\n");
	strbuf_reset(&cmd);
	strbuf_addf(&cmd, "listen = nowhere\n[source usage]\n"
	    "scheme = standard-webhooks\nsecret_file = %s/sw\n", p.dir);
	write_file(p.dir, "tally.conf", cmd.buf);
	strbuf_reset(&cmd);
	strbuf_addf(&cmd, "%s -n -c %s 2>/dev/null", prog, p.conf);
	assert_int_equal(testdb_system(cmd.buf), 78);
	strbuf_reset(&cmd);
	strbuf_addf(&cmd, "%s --bogus 2>/dev/null", prog);
	assert_int_equal(testdb_system(cmd.buf), 64);
	strbuf_release(&cmd);
	free(prog);
	proc_stop(&p);
}

static void
test_port_taken(void **state)
{
	struct proc a, b;
	struct strbuf extra = STRBUF_INIT, cmd = STRBUF_INIT;
	char *prog = testdb_program("tally-receiver");

	(void)state;
	proc_start(&a, NULL);
	/* a second receiver on the same port must fail, not share it */
	proc_init(&b, NULL);
	strbuf_addf(&extra, "listen = 127.0.0.1:%u\n"
	    "[source usage]\nscheme = standard-webhooks\nsecret_file = %s/sw\n",
	    a.port, b.dir);
	write_file(b.dir, "tally.conf", extra.buf);
	strbuf_addf(&cmd, "%s -c %s 2>/dev/null", prog, b.conf);
	assert_int_equal(testdb_system(cmd.buf), 69);
	assert_int_equal(sw_post(&a, "msg_port", "{\"id\":\"p\"}", NULL), 200);
	strbuf_release(&extra);
	strbuf_release(&cmd);
	free(prog);
	b.notify = -1;
	proc_stop(&b);
	assert_int_equal(proc_stop(&a), 0);
}

/* ---- reuse_port: receivers side by side on one port ---- */

/* The local port of a connected socket. */
static unsigned
local_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	return ntohs(sa.sin_port);
}

/* The inode of the server's end of a connection (/proc/net/tcp: local
 * port srv, remote port cli); 0 while no process has accepted it. */
static unsigned long
server_inode(unsigned srv, unsigned cli)
{
	char line[512];
	unsigned lp, rp;
	unsigned long inode, found = 0;
	FILE *f = fopen("/proc/net/tcp", "r");

	assert_non_null(f);
	while (found == 0 && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, " %*d: %*x:%x %*x:%x %*x %*x:%*x %*x:%*x %*x "
		    "%*u %*u %lu", &lp, &rp, &inode) == 3 && lp == srv &&
		    rp == cli)
			found = inode;
	fclose(f);
	return found;
}

/* Whether process pid has the socket inode open. */
static bool
holds(pid_t pid, unsigned long inode)
{
	char dir[64], path[400], link[128], want[64];
	struct dirent *de;
	bool yes = false;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	if ((d = opendir(dir)) == NULL)
		return false;
	while (!yes && (de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			yes = strcmp(link, want) == 0;
		}
	}
	closedir(d);
	return yes;
}

/* Which receiver accepted the connection fd: a's or b's pid, once one
 * of them has (the kernel chose at connect time); 0 if neither does. */
static pid_t
acceptor(int fd, const struct proc *a, const struct proc *b)
{
	unsigned cli = local_port(fd);
	double until = now_s() + WAIT_CAP_S;	/* a cap, not a timing */
	unsigned long inode;

	while (now_s() < until) {
		if ((inode = server_inode(a->port, cli)) != 0) {
			if (holds(a->pid, inode))
				return a->pid;
			if (holds(b->pid, inode))
				return b->pid;
		}
		sleep_ms(5);
	}
	return 0;
}

/* A signed Standard Webhooks delivery to /webhooks/usage as raw HTTP,
 * closing the connection after the answer. */
static void
signed_request(struct strbuf *req, const char *id, const char *body)
{
	struct signature_key k;
	struct strbuf sig = STRBUF_INIT;
	const char *reason = NULL;
	char ts[32];

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	assert_int_equal(signature_key_init(&k, SCHEME_STANDARD_WEBHOOKS,
	    (const unsigned char *)SW_SECRET, strlen(SW_SECRET), &reason), 0);
	signature_standard_sign(&k, id, ts, body, strlen(body), &sig);
	signature_key_release(&k);
	strbuf_addf(req, "POST /webhooks/usage HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "webhook-id: %s\r\nwebhook-timestamp: %s\r\n"
	    "webhook-signature: %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", id, ts,
	    sig.buf, strlen(body), body);
	strbuf_release(&sig);
}

/* A third receiver on a's port, configured by extra, run by cmd_prefix
 * (a user change, or ""): its exit status and stderr. */
static int
third(const struct proc *a, const char *extra, const char *cmd_prefix,
    struct strbuf *err)
{
	struct proc c;
	struct strbuf conf = STRBUF_INIT, cmd = STRBUF_INIT, path = STRBUF_INIT;
	char *prog = testdb_program("tally-receiver");
	char buf[1024];
	size_t n;
	FILE *f;
	int rc;

	proc_init(&c, NULL);
	strbuf_addf(&conf, "listen = 127.0.0.1:%u\n%s\n[source usage]\n"
	    "scheme = standard-webhooks\nsecret_file = %s/sw\n", a->port, extra,
	    c.dir);
	write_file(c.dir, "tally.conf", conf.buf);
	strbuf_addf(&path, "%s/stderr", c.dir);
	/* another user must be able to read its own configuration and
	 * secret (0600, refused otherwise), so that binding is what fails */
	if (cmd_prefix[0] != '\0') {
		strbuf_addf(&cmd, "chown -R 65534:65534 %s && ", c.dir);
		strbuf_addf(&cmd, "%s %s -c %s 2>%s", cmd_prefix, prog, c.conf,
		    path.buf);
	} else
		strbuf_addf(&cmd, "%s -c %s 2>%s", prog, c.conf, path.buf);
	rc = testdb_system(cmd.buf);
	if ((f = fopen(path.buf, "r")) != NULL) {
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			strbuf_add(err, buf, n);
		fclose(f);
	}
	c.notify = -1;
	proc_stop(&c);
	strbuf_release(&conf);
	strbuf_release(&cmd);
	strbuf_release(&path);
	free(prog);
	return rc;
}

/*
 * reuse_port = yes: two receivers on one port, one delivery sent to both
 * at once (one connection each process accepted): one row, two 200s,
 * one "stored" and one "duplicate".  Who may join the port: not a
 * receiver without reuse_port, and not one of another user (the kernel's
 * rule this relies on), which both fail to bind (69).
 */
static void
test_reuse_port(void **state)
{
	struct proc a, b;
	struct strbuf conf = STRBUF_INIT, req = STRBUF_INIT, ra = STRBUF_INIT,
	    rb = STRBUF_INIT, err = STRBUF_INIT;
	const char *body = "{\"id\":\"evt_rp\",\"type\":\"usage.recorded\"}";
	int fa = -1, fb = -1, fd;
	pid_t who;

	(void)state;
	proc_start(&a, "reuse_port = yes");
	proc_init(&b, NULL);
	strbuf_addf(&conf, "listen = 127.0.0.1:%u\nreuse_port = yes\n"
	    "per_ip_connections = 512\n[source usage]\n"
	    "scheme = standard-webhooks\nsecret_file = %s/sw\n", a.port, b.dir);
	write_file(b.dir, "tally.conf", conf.buf);
	proc_start_env(&b, NULL);
	assert_int_equal(b.port, a.port);

	/* the kernel spreads connections by a hash of their addresses:
	 * new ones until each process has accepted one */
	for (int i = 0; i < 400 && (fa < 0 || fb < 0); i++) {
		assert_true((fd = tcp_connect(&a)) >= 0);
		who = acceptor(fd, &a, &b);
		assert_true(who != 0);
		if (who == a.pid && fa < 0)
			fa = fd;
		else if (who == b.pid && fb < 0)
			fb = fd;
		else
			close(fd);
	}
	assert_true(fa >= 0 && fb >= 0);
	/* both requests out before either answer is read */
	signed_request(&req, "reuse_1", body);
	assert_int_equal(write(fa, req.buf, req.len), (ssize_t)req.len);
	assert_int_equal(write(fb, req.buf, req.len), (ssize_t)req.len);
	(void)read_response(fa, &ra);
	(void)read_response(fb, &rb);
	close(fa);
	close(fb);
	assert_true(strncmp(ra.buf, "HTTP/1.1 200", 12) == 0);
	assert_true(strncmp(rb.buf, "HTTP/1.1 200", 12) == 0);
	assert_true((strstr(ra.buf, "\"stored\"") != NULL &&
	    strstr(rb.buf, "\"duplicate\"") != NULL) ||
	    (strstr(ra.buf, "\"duplicate\"") != NULL &&
	    strstr(rb.buf, "\"stored\"") != NULL));
	assert_int_equal(rows_for("usage", "reuse_1"), 1);

	/* no share for a receiver that did not ask */
	assert_int_equal(third(&a, "", "", &err), 69);
	assert_non_null(strstr(err.buf, "cannot listen"));
	/* nor for another user's, though it asks */
	if (geteuid() == 0) {
		strbuf_reset(&err);
		assert_int_equal(third(&a, "reuse_port = yes", "setpriv "
		    "--reuid=65534 --regid=65534 --clear-groups", &err), 69);
		assert_non_null(strstr(err.buf, "cannot listen"));
	} else {
		/* the kernel's rule needs a second user to be tried */
		fprintf(stderr, "not run: another user's receiver (we are "
		    "not root)\n");
	}
	strbuf_release(&conf);
	strbuf_release(&req);
	strbuf_release(&ra);
	strbuf_release(&rb);
	strbuf_release(&err);
	assert_int_equal(proc_stop(&b), 0);
	assert_int_equal(proc_stop(&a), 0);
}

/* ---- concurrency: group commit and SIGTERM under load ---- */

struct loader {
	const struct proc *p;
	const char *prefix;	/* event ids: PREFIX_N_I, new in each test */
	int n;			/* which loader */
	int max;		/* requests at most */
	char (*acked)[32];	/* ids answered 2xx */
	int nacked;
	int sent;
	int non2xx;
	int no_retry_after;	/* 503s without Retry-After */
	long last_code;		/* the last refusal, for a failing test */
	char last_answer[160];
};

static atomic_int acked_total;	/* over every loader, for waiting */

static void *
load_main(void *arg)
{
	struct loader *l = arg;
	CURL *h = curl_easy_init();
	struct strbuf hout = STRBUF_INIT, body = STRBUF_INIT;
	char id[32];
	long code;

	for (int i = 0; i < l->max; i++) {
		snprintf(id, sizeof(id), "%s_%d_%d", l->prefix, l->n, i);
		strbuf_reset(&hout);
		strbuf_reset(&body);
		code = sw_post_h(h, l->p, SW_SECRET, id, (long long)time(NULL),
		    "{\"id\":\"load\",\"type\":\"usage.recorded\"}",
		    "application/json", &body, &hout);
		l->sent++;
		if (code >= 200 && code < 300) {
			snprintf(l->acked[l->nacked++], 32, "%s", id);
			atomic_fetch_add(&acked_total, 1);
		} else if (code == 0) {
			break;	/* the receiver is gone */
		} else {
			l->non2xx++;
			l->last_code = code;
			snprintf(l->last_answer, sizeof(l->last_answer), "%s",
			    strbuf_str(&body));
			if (code == 503 && strcasestr(hout.buf,
			    "\nRetry-After: 1\r\n") == NULL)
				l->no_retry_after++;
		}
	}
	strbuf_release(&hout);
	strbuf_release(&body);
	curl_easy_cleanup(h);
	return NULL;
}

static void
run_load(struct proc *p, const char *prefix, struct loader *l, int n, int max,
    pthread_t *t)
{
	for (int i = 0; i < n; i++) {
		memset(&l[i], 0, sizeof(l[i]));
		l[i].p = p;
		l[i].prefix = prefix;
		l[i].n = i;
		l[i].max = max;
		l[i].acked = calloc((size_t)max, 32);
		assert_int_equal(pthread_create(&t[i], NULL, load_main, &l[i]), 0);
	}
}

static void
test_group_commit(void **state)
{
	struct proc p;
	struct loader l[16];
	pthread_t t[16];
	struct strbuf out = STRBUF_INIT;
	const char *s;
	long long batches, requests, total = 0;

	(void)state;
	proc_start(&p, NULL);
	/*
	 * The table locked, the committers stick: each of the 16 clients'
	 * first requests ends up in a stuck commit or in the queue.  Once
	 * all 16 are in, at most one commit per committer holds them (and
	 * the queue goes whole to the first committer back), so with fewer
	 * committers than 16 some commit carries more than one.
	 */
	assert_int_equal(db_simple(db, "BEGIN; LOCK TABLE raw_events IN "
	    "EXCLUSIVE MODE"), 0);
	run_load(&p, "gc", l, 16, 40, t);
	wait_committer_blocked();
	for (double cap = now_s() + WAIT_CAP_S;
	    metric(&p, "tally_receiver_queue_depth") +
	    metric(&p, "tally_receiver_committing") < 16; sleep_ms(10))
		if (now_s() > cap)
			fail_msg("the 16 first requests never all got in");
	db_rollback(db);
	for (int i = 0; i < 16; i++) {
		pthread_join(t[i], NULL);
		if (l[i].nacked != 40)
			fail_msg("loader %d: %d of 40 stored; last refusal %ld %s", i,
			    l[i].nacked, l[i].last_code, l[i].last_answer);
		total += l[i].nacked;
		free(l[i].acked);
	}
	assert_int_equal(count_rows("SELECT count(*) FROM raw_events WHERE "
	    "event_key LIKE $1", "gc\\_%", NULL), total);
	assert_int_equal(get(&p, "/metrics", &out), 200);
	s = strstr(out.buf, "tally_receiver_commit_batch_requests_sum ");
	assert_non_null(s);
	requests = strtoll(s + strlen("tally_receiver_commit_batch_requests_sum "),
	    NULL, 10);
	s = strstr(out.buf, "tally_receiver_commit_batch_requests_count ");
	batches = strtoll(s + strlen("tally_receiver_commit_batch_requests_count "),
	    NULL, 10);
	/* the queued requests shared commits */
	print_message("%lld requests in %lld commits\n", requests, batches);
	assert_true(requests >= total);
	assert_true(batches < requests);
	strbuf_release(&out);
	assert_int_equal(proc_stop(&p), 0);
}

static void
test_sigterm_under_load(void **state)
{
	struct proc p;
	struct loader l[8];
	pthread_t t[8];
	struct strbuf arr = STRBUF_INIT;
	long long acked = 0, sent = 0;
	const char *params[1];
	char *v = NULL;
	int st = 0;

	(void)state;
	proc_start(&p, NULL);
	atomic_store(&acked_total, 0);
	run_load(&p, "st", l, 8, 100000, t);
	/* under load: a few hundred acknowledged, and more coming */
	while (atomic_load(&acked_total) < 300)
		sleep_ms(10);
	kill(p.pid, SIGTERM);
	assert_true(notify_wait(&p, "STOPPING=1", WAIT_CAP_S * 1000, NULL, 0));
	waitpid(p.pid, &st, 0);
	p.pid = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	strbuf_addch(&arr, '{');
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		for (int j = 0; j < l[i].nacked; j++)
			strbuf_addf(&arr, "%s%s", acked++ ? "," : "", l[i].acked[j]);
		sent += l[i].sent;
		/* "shutting down" 503s say when to come back */
		assert_int_equal(l[i].no_retry_after, 0);
		free(l[i].acked);
	}
	strbuf_addch(&arr, '}');
	print_message("%lld sent, %lld acknowledged before and during the drain\n",
	    sent, acked);
	assert_true(acked > 0);
	/* every acknowledged event is stored */
	params[0] = arr.buf;
	assert_int_equal(db_query_value(db, &v, "SELECT count(*) FROM raw_events "
	    "WHERE source = 'usage' AND event_key = ANY($1::text[])", 1, params),
	    0);
	assert_int_equal(strtoll(v, NULL, 10), acked);
	free(v);
	strbuf_release(&arr);
	proc_stop(&p);
}

/* ---- a stalled database: queue limit, deadline, one bad row ---- */

struct one {
	const struct proc *p;
	char id[32];
	long code;
	struct strbuf out;
	struct strbuf hout;	/* the answer's headers */
	atomic_bool done;
};

static void *
one_main(void *arg)
{
	struct one *o = arg;

	o->code = sw_post_h(NULL, o->p, SW_SECRET, o->id, (long long)time(NULL),
	    "{\"id\":\"stall\"}", "application/json", &o->out, &o->hout);
	atomic_store(&o->done, true);
	return NULL;
}

static void
fire(struct one *o, int n, const struct proc *p, const char *prefix,
    pthread_t *t)
{
	for (int i = 0; i < n; i++) {
		memset(&o[i], 0, sizeof(o[i]));
		o[i].p = p;
		snprintf(o[i].id, sizeof(o[i].id), "%s_%d", prefix, i);
		strbuf_init(&o[i].out);
		strbuf_init(&o[i].hout);
		atomic_init(&o[i].done, false);
		assert_int_equal(pthread_create(&t[i], NULL, one_main, &o[i]), 0);
	}
}

static int
finished(struct one *o, int n)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		k += atomic_load(&o[i].done);
	return k;
}

/* Wait until at least k of the n have their answer. */
static void
wait_finished(struct one *o, int n, int k)
{
	double cap = now_s() + WAIT_CAP_S;

	while (finished(o, n) < k) {
		if (now_s() > cap)
			fail_msg("only %d of %d requests answered", finished(o, n),
			    k);
		sleep_ms(10);
	}
}

static void
test_overload(void **state)
{
	struct proc p;
	struct one o[8];
	pthread_t t[8];
	int ok = 0, over = 0;

	(void)state;
	/* one committer stuck on a lock holds what it took (the batch of
	 * queued requests: at most 2), two more may wait: 8 cannot all fit,
	 * and at least 4 are refused at once.  The committer count is
	 * pinned: by default it follows the CPU count, and with more
	 * committers each taking a batch, how many fit is a race.  The
	 * deadline is far away, so no answer here comes from it. */
	setenv("TALLY_RECEIVER_COMMITTERS", "1", 1);
	proc_start(&p, "queue_limit = 2\nrequest_deadline = 3600");
	unsetenv("TALLY_RECEIVER_COMMITTERS");
	assert_int_equal(db_simple(db, "BEGIN; LOCK TABLE raw_events IN "
	    "EXCLUSIVE MODE"), 0);
	fire(o, 8, &p, "ovl", t);
	wait_committer_blocked();
	wait_finished(o, 8, 4);
	/* answered while the lock was still held: refused, not waiting */
	lock_still_ours();
	for (int i = 0; i < 8; i++)
		if (atomic_load(&o[i].done)) {
			assert_int_equal(o[i].code, 503);
			assert_non_null(strstr(o[i].out.buf, "overloaded"));
		}
	db_rollback(db);
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		if (o[i].code == 200) {
			ok++;
			assert_int_equal(rows_for("usage", o[i].id), 1);
		} else {
			assert_int_equal(o[i].code, 503);
			assert_non_null(strstr(o[i].out.buf, "overloaded"));
			assert_non_null(strcasestr(o[i].hout.buf,
			    "\nRetry-After: 1\r\n"));
			over++;
		}
		strbuf_release(&o[i].out);
		strbuf_release(&o[i].hout);
	}
	print_message("%d stored, %d refused as overloaded\n", ok, over);
	assert_true(over >= 4);
	assert_int_equal(ok + over, 8);
	assert_int_equal(proc_stop(&p), 0);
}

static void
test_deadline_while_queued(void **state)
{
	struct proc p;
	struct one o[3];
	pthread_t t[3];

	(void)state;
	proc_start(&p, "request_deadline = 2");
	assert_int_equal(db_simple(db, "BEGIN; LOCK TABLE raw_events IN "
	    "EXCLUSIVE MODE"), 0);
	fire(o, 3, &p, "dlq", t);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	/* every one answered while its commit could not have returned: the
	 * lock is still ours, and not one row is in */
	lock_still_ours();
	assert_int_equal(count_rows("SELECT count(*) FROM raw_events WHERE "
	    "event_key LIKE $1", "dlq\\_%", NULL), 0);
	/* never 2xx for a commit that had not returned: 503 at the deadline */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(o[i].code, 503);
		assert_non_null(strstr(o[i].out.buf, "deadline exceeded"));
		assert_non_null(strcasestr(o[i].hout.buf, "\nRetry-After: 1\r\n"));
		strbuf_release(&o[i].out);
		strbuf_release(&o[i].hout);
	}
	db_rollback(db);
	wait_metric_eq(&p, "tally_receiver_deadline_503_total", 3);
	/* and the receiver is fine afterwards */
	assert_int_equal(sw_post(&p, "dlq_after", "{\"id\":\"x\"}", NULL), 200);
	assert_int_equal(proc_stop(&p), 0);
}

static void
test_bad_row_isolated(void **state)
{
	struct proc p;
	struct loader l[6];
	pthread_t t[6];
	struct one bad[2];
	pthread_t tb[2];

	(void)state;
	/* a row the database refuses although it passed every check here */
	assert_int_equal(db_simple(db,
	    "CREATE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$ "
	    "BEGIN IF new.event_key LIKE 'poison%' THEN RAISE EXCEPTION 'poison' "
	    "USING ERRCODE = 'check_violation'; END IF; RETURN new; END $$; "
	    "CREATE TRIGGER test_poison BEFORE INSERT ON raw_events FOR EACH ROW "
	    "EXECUTE FUNCTION test_poison()"), 0);
	proc_start(&p, NULL);
	run_load(&p, "br", l, 6, 30, t);
	fire(bad, 2, &p, "poison", tb);
	for (int i = 0; i < 2; i++) {
		pthread_join(tb[i], NULL);
		assert_int_equal(bad[i].code, 400);
		assert_non_null(strstr(bad[i].out.buf, "rejected by the database"));
		strbuf_release(&bad[i].out);
		strbuf_release(&bad[i].hout);
	}
	/* whoever shared a commit with a bad row is stored all the same */
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(l[i].nacked, 30);
		free(l[i].acked);
	}
	assert_int_equal(proc_stop(&p), 0);
	assert_int_equal(db_simple(db, "DROP TRIGGER test_poison ON raw_events; "
	    "DROP FUNCTION test_poison()"), 0);
}

/* ---- the database goes away and comes back ---- */

static char *
run_capture(const char *cmd)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[512];
	FILE *fp;

	fflush(NULL);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	while (fgets(buf, sizeof(buf), fp) != NULL)
		strbuf_addstr(&sb, buf);
	assert_int_equal(pclose(fp), 0);
	while (sb.len > 0 && sb.buf[sb.len - 1] == '\n')
		sb.buf[--sb.len] = '\0';
	return strbuf_detach(&sb, NULL);
}

static void
test_database_outage(void **state)
{
	struct proc p;
	struct strbuf cmd = STRBUF_INIT, home = STRBUF_INIT;
	char *ctl = testdb_program("tallyctl"), *url;
	struct strbuf hout = STRBUF_INIT, cmd2 = STRBUF_INIT;
	long code = 0;
	double t0;

	(void)state;
	proc_init(&p, NULL);
	/* a cluster of our own: the shared one must not stop */
	strbuf_addf(&home, "%s/home", p.dir);
	strbuf_addf(&cmd, "env -u TALLY_DATABASE_URL TALLY_HOME=%s %s db up "
	    ">%s/dbup.log 2>&1", home.buf, ctl, p.dir);
	assert_int_equal(testdb_system(cmd.buf), 0);
	strbuf_reset(&cmd);
	strbuf_addf(&cmd, "env -u TALLY_DATABASE_URL TALLY_HOME=%s %s db url",
	    home.buf, ctl);
	url = run_capture(cmd.buf);
	proc_start_env(&p, url);
	assert_int_equal(sw_post(&p, "msg_out_1", "{\"id\":\"1\"}", NULL), 200);

	strbuf_reset(&cmd);
	strbuf_addf(&cmd, "env -u TALLY_DATABASE_URL TALLY_HOME=%s %s db down "
	    ">/dev/null 2>&1", home.buf, ctl);
	assert_int_equal(testdb_system(cmd.buf), 0);
	assert_int_equal(sw_post(&p, "msg_out_2", "{\"id\":\"2\"}", NULL), 503);
	assert_int_equal(sw_post_h(NULL, &p, SW_SECRET, "msg_out_3", (long long)
	    time(NULL), "{\"id\":\"3\"}", "application/json", NULL, &hout), 503);
	assert_non_null(strcasestr(hout.buf, "\nRetry-After: 1\r\n"));
	strbuf_reset(&hout);
	strbuf_addf(&cmd2, "%s/healthz", p.base);
	assert_int_equal(http_h(NULL, "GET", cmd2.buf, NULL, NULL, NULL, &hout),
	    503);
	assert_non_null(strcasestr(hout.buf, "\nRetry-After: 1\r\n"));

	strbuf_reset(&cmd);
	strbuf_addf(&cmd, "env -u TALLY_DATABASE_URL TALLY_HOME=%s %s db up "
	    ">>%s/dbup.log 2>&1", home.buf, ctl, p.dir);
	assert_int_equal(testdb_system(cmd.buf), 0);
	/* the committers reconnect in the background: until then, 503 */
	t0 = now_s();
	while ((code = sw_post(&p, "msg_out_2", "{\"id\":\"2\"}", NULL)) !=
	    200 && now_s() - t0 < WAIT_CAP_S) {
		assert_int_equal(code, 503);
		sleep_ms(100);
	}
	assert_int_equal(code, 200);
	assert_int_equal(get(&p, "/healthz", NULL), 200);
	assert_int_equal(proc_halt(&p), 0);

	strbuf_reset(&cmd);
	strbuf_addf(&cmd, "env -u TALLY_DATABASE_URL TALLY_HOME=%s %s db down "
	    ">/dev/null 2>&1; rm -rf %s", home.buf, ctl, p.dir);
	testdb_system(cmd.buf);
	free(url);
	free(ctl);
	strbuf_release(&cmd);
	strbuf_release(&cmd2);
	strbuf_release(&hout);
	strbuf_release(&home);
}

/* ---- the scanner agrees with PostgreSQL ---- */

static void
test_json_agrees_with_postgres(void **state)
{
	static const char *const docs[] = {
		"{\"a\":1}", "{\"a\":1e1000}", "{\"a\":1e-1000}", "{\"a\":-0.0e+0}",
		"{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\\u00e9\\u20ac\"}",
		"{\"a\":[{},[],null,true,false,\"\"]}", "{\"a\":1,\"a\":2}",
		"{\"a\":01}", "{\"a\":1.}", "{\"a\":\"\\u0000\"}",
		"{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\\ud800\"}",
		"{\"a\":[1,]}", "{\"a\":\"\\q\"}",
		"{\"a\":\"\xc3\xa9\"}", "{\"a\":\"\\/\\b\\f\\n\\r\\t\"}",
		" \t\r\n{} \n", "{\"a\":-}", "{\"a\":.1}", "{\"\\u00e9\":1}",
	};
	static const char *const stricter[] = {
		"{\"a\":1e1001}", "{\"a\":1e-1001}",
	};
	PGresult *res;

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		const char *params[1] = { docs[i] };
		int ours = receiver_json_scan(docs[i], strlen(docs[i]), NULL, 0,
		    NULL);
		int pg = db_query(db, &res, "SELECT $1::text::jsonb", 1, params);

		PQclear(res);
		/* on these, exactly as strict as PostgreSQL */
		if ((ours == 0) != (pg == 0))
			fail_msg("%s: scanner %s, PostgreSQL %s", docs[i],
			    ours == 0 ? "accepts" : "refuses",
			    pg == 0 ? "accepts" : "refuses");
	}
	/* deliberately stricter, well inside numeric's range: refused by
	 * us, stored by PostgreSQL */
	for (size_t i = 0; i < sizeof(stricter) / sizeof(stricter[0]); i++) {
		const char *params[1] = { stricter[i] };

		assert_int_equal(receiver_json_scan(stricter[i],
		    strlen(stricter[i]), NULL, 0, NULL), TALLY_EDATA);
		assert_int_equal(db_query(db, &res, "SELECT $1::text::jsonb", 1,
		    params), 0);
		PQclear(res);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_json_agrees_with_postgres, teardown),
		cmocka_unit_test_teardown(test_config_check, teardown),
		cmocka_unit_test_teardown(test_port_taken, teardown),
		cmocka_unit_test_teardown(test_reuse_port, teardown),
		cmocka_unit_test_teardown(test_stored_duplicate, teardown),
		cmocka_unit_test_teardown(test_ndjson, teardown),
		cmocka_unit_test_teardown(test_refusals, teardown),
		cmocka_unit_test_teardown(test_sizes, teardown),
		cmocka_unit_test_teardown(test_health_metrics, teardown),
		cmocka_unit_test_teardown(test_providers, teardown),
		cmocka_unit_test_teardown(test_reload, teardown),
		cmocka_unit_test_teardown(test_slow_client, teardown),
		cmocka_unit_test_teardown(test_group_commit, teardown),
		cmocka_unit_test_teardown(test_sigterm_under_load, teardown),
		cmocka_unit_test_teardown(test_overload, teardown),
		cmocka_unit_test_teardown(test_deadline_while_queued, teardown),
		cmocka_unit_test_teardown(test_bad_row_isolated, teardown),
		cmocka_unit_test_teardown(test_database_outage, teardown),
	};
	int rc;

	rx_test_begin("test_receiver");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rx_test_end();
	return rc;
}
