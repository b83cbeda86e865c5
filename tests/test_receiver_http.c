/*
 * test_receiver_http.c - the HTTP attacks of issue 11 on tally-receiver,
 * each made over a raw socket and each refused:
 *   - ambiguous framing (two Content-Length headers, Transfer-Encoding with
 *     Content-Length, a Transfer-Encoding other than chunked, HTTP/1.1
 *     without Host): 400, the connection closed, nothing stored;
 *   - a negative or malformed Content-Length: one clean 400 (libmicrohttpd
 *     alone wrote its headers twice), also on a kept-alive connection;
 *   - slow bodies that would hold max_connections x max_body in memory:
 *     past max_inflight_bytes, 503 with Retry-After;
 *   - behind a proxy every client shares one address: per_ip_connections
 *     is off on loopback unless set, and works when set;
 *   - a Midtrans notification whose unsigned transaction_status does not
 *     go with its signed status_code (issue 10): 400, nothing stored; a
 *     201 capture is let in only when the fraud check challenged it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/strbuf.h"
#include "pg/db.h"
#include "support/testdb.h"
#include "support/rx_test.h"

#define POST_USAGE "POST /webhooks/usage HTTP/1.1\r\n"
#define JSON_CT "Content-Type: application/json\r\n"

struct framing_case {
	const char *name;
	const char *request;
	int status;
	const char *reason;
};

/* One raw request; its whole answer (the receiver closes) into out. */
static void
raw(const struct proc *p, const char *request, size_t len, struct strbuf *out)
{
	int fd = tcp_connect(p);

	assert_true(fd >= 0);
	strbuf_reset(out);
	assert_int_equal(send(fd, request, len, MSG_NOSIGNAL), (ssize_t)len);
	read_to_close(fd, out);
	close(fd);
}

static void
expect_refusal(const struct framing_case *c, const struct strbuf *out)
{
	char status[32];

	snprintf(status, sizeof(status), "HTTP/1.1 %d ", c->status);
	if (strncmp(out->buf, status, strlen(status)) != 0)
		fail_msg("%s: answered '%.40s', want %d", c->name, out->buf,
		    c->status);
	/* one answer: its headers written once */
	if (status_lines(out->buf) != 1)
		fail_msg("%s: %d status lines in: %s", c->name,
		    status_lines(out->buf), out->buf);
	if (strcasestr(out->buf, "\r\nConnection: close\r\n") == NULL)
		fail_msg("%s: the connection is not closed: %s", c->name, out->buf);
	if (strstr(out->buf, c->reason) == NULL)
		fail_msg("%s: no '%s' in: %s", c->name, c->reason, out->buf);
}

static void
test_framing(void **state)
{
	static const struct framing_case cases[] = {
		{ "two Content-Length", POST_USAGE "Host: x\r\n" JSON_CT
		  "Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}abc", 400,
		  "more than one Content-Length" },
		{ "two equal Content-Length", POST_USAGE "Host: x\r\n" JSON_CT
		  "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400,
		  "more than one Content-Length" },
		{ "Transfer-Encoding and Content-Length", POST_USAGE "Host: x\r\n"
		  JSON_CT "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n"
		  "2\r\n{}\r\n0\r\n\r\n", 400,
		  "Transfer-Encoding together with Content-Length" },
		{ "Transfer-Encoding gzip", POST_USAGE "Host: x\r\n" JSON_CT
		  "Transfer-Encoding: gzip\r\n\r\n", 400,
		  "Transfer-Encoding other than chunked" },
		{ "HTTP/1.1 without Host", POST_USAGE JSON_CT
		  "Content-Length: 2\r\n\r\n{}", 400, "HTTP/1.1 without Host" },
		{ "two Host", POST_USAGE "Host: x\r\nHost: y\r\n" JSON_CT
		  "Content-Length: 2\r\n\r\n{}", 400, "more than one Host" },
		{ "Content-Length -1", POST_USAGE "Host: x\r\n" JSON_CT
		  "Content-Length: -1\r\n\r\n", 400, "malformed Content-Length" },
		{ "Content-Length 12abc", POST_USAGE "Host: x\r\n" JSON_CT
		  "Content-Length: 12abc\r\n\r\n", 400, "malformed Content-Length" },
		{ "Content-Length +2", POST_USAGE "Host: x\r\n" JSON_CT
		  "Content-Length: +2\r\n\r\n{}", 400, "malformed Content-Length" },
		{ "Content-Length past 2^64", POST_USAGE "Host: x\r\n" JSON_CT
		  "Content-Length: 99999999999999999999999\r\n\r\n", 413,
		  "body too large" },
		{ "GET with two Content-Length", "GET /healthz HTTP/1.1\r\n"
		  "Host: x\r\nContent-Length: 0\r\nContent-Length: 1\r\n\r\n", 400,
		  "more than one Content-Length" },
	};
	struct proc p;
	struct strbuf out = STRBUF_INIT;
	const struct framing_case later = { "a later request, kept alive", NULL,
		400, "malformed Content-Length" };
	const char *ka = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	    POST_USAGE "Host: x\r\n" JSON_CT "Content-Length: -1\r\n\r\n";
	const char *second;

	(void)state;
	proc_start(&p, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		raw(&p, cases[i].request, strlen(cases[i].request), &out);
		expect_refusal(&cases[i], &out);
	}
	/* the same after a good request on the same connection */
	raw(&p, ka, strlen(ka), &out);
	assert_memory_equal(out.buf, "HTTP/1.1 200 ", 13);
	second = strstr(out.buf + 1, "HTTP/1.1 ");
	assert_non_null(second);
	{
		struct strbuf tail = STRBUF_INIT;

		strbuf_addstr(&tail, second);
		expect_refusal(&later, &tail);
		strbuf_release(&tail);
	}
	/* HTTP/1.0 needs no Host: it gets as far as the signature */
	raw(&p, "POST /webhooks/usage HTTP/1.0\r\n" JSON_CT
	    "Content-Length: 2\r\n\r\n{}", strlen("POST /webhooks/usage HTTP/1.0"
	    "\r\n" JSON_CT "Content-Length: 2\r\n\r\n{}"), &out);
	assert_memory_equal(out.buf, "HTTP/1.1 401 ", 13);
	/* nothing got in, each was counted, and the receiver still serves */
	assert_int_equal(count_rows("SELECT count(*) FROM raw_events WHERE "
	    "source = $1", "usage", NULL), 0);
	/* every case, and the kept-alive one */
	wait_metric_eq(&p, "tally_receiver_framing_errors_total",
	    (long long)(sizeof(cases) / sizeof(cases[0])) + 1);
	assert_int_equal(sw_post(&p, "msg_after_framing", "{\"id\":\"f\"}", NULL),
	    200);
	strbuf_release(&out);
	assert_int_equal(proc_stop(&p), 0);
}

/* A body with a Content-Length, sent up to the last byte and held there:
 * its memory is reserved from the headers on.  Returns the socket. */
static int
hold_body(const struct proc *p, size_t len)
{
	struct strbuf req = STRBUF_INIT;
	int fd = tcp_connect(p);

	assert_true(fd >= 0);
	strbuf_addf(&req, POST_USAGE "Host: x\r\n" JSON_CT "webhook-id: slow\r\n"
	    "Content-Length: %zu\r\n\r\n{", len);
	assert_int_equal(send(fd, req.buf, req.len, MSG_NOSIGNAL),
	    (ssize_t)req.len);
	strbuf_release(&req);
	return fd;
}

static void
test_body_budget(void **state)
{
	struct proc p;
	struct strbuf out = STRBUF_INIT, hout = STRBUF_INIT, body = STRBUF_INIT;
	int slow[4];

	(void)state;
	/* room for one 40000-byte body, not two */
	proc_start(&p, "max_body = 40000\nmax_inflight_bytes = 65536");
	slow[0] = hold_body(&p, 40000);
	wait_metric_eq(&p, "tally_receiver_body_bytes", 40001);
	/* three more slow clients: each refused at its headers, while the
	 * first still holds its share; memory stays within the budget */
	for (int i = 1; i < 4; i++) {
		slow[i] = hold_body(&p, 40000);
		strbuf_reset(&out);
		read_to_close(slow[i], &out);
		assert_memory_equal(out.buf, "HTTP/1.1 503 ", 13);
		assert_non_null(strcasestr(out.buf, "\r\nRetry-After: 1\r\n"));
		assert_non_null(strstr(out.buf, "too many request bodies"));
		close(slow[i]);
	}
	assert_int_equal(metric(&p, "tally_receiver_body_bytes"), 40001);
	/* a signed request too big for what is left: 503, Retry-After */
	strbuf_addstr(&body, "{\"id\":\"b\",\"pad\":\"");
	while (body.len < 30000)
		strbuf_addch(&body, 'x');
	strbuf_addstr(&body, "\"}");
	strbuf_reset(&out);
	assert_int_equal(sw_post_h(NULL, &p, SW_SECRET, "msg_budget",
	    (long long)time(NULL), body.buf, "application/json", &out, &hout),
	    503);
	assert_non_null(strcasestr(hout.buf, "\nRetry-After: 1\r\n"));
	assert_int_equal(metric(&p, "tally_receiver_body_budget_refusals_total"),
	    4);
	/* a small one still fits */
	assert_int_equal(sw_post(&p, "msg_budget_small", "{\"id\":\"s\"}", NULL),
	    200);
	/* the slow client goes: its share comes back, the big one goes in */
	close(slow[0]);
	wait_metric_eq(&p, "tally_receiver_body_bytes", 0);
	assert_int_equal(sw_post(&p, "msg_budget", body.buf, NULL), 200);
	assert_int_equal(rows_for("usage", "msg_budget"), 1);
	/* a chunked body that outgrows the budget is dropped and refused
	 * (once the last request has given its share back) */
	wait_metric_eq(&p, "tally_receiver_body_bytes", 0);
	slow[0] = hold_body(&p, 40000);
	wait_metric_eq(&p, "tally_receiver_body_bytes", 40001);
	{
		struct strbuf req = STRBUF_INIT;
		int fd = tcp_connect(&p);

		strbuf_addstr(&req, POST_USAGE "Host: x\r\n" JSON_CT
		    "Transfer-Encoding: chunked\r\n\r\n");
		for (int c = 0; c < 8; c++) {
			strbuf_addstr(&req, "1000\r\n");
			for (int i = 0; i < 0x1000; i++)
				strbuf_addch(&req, 'y');
			strbuf_addstr(&req, "\r\n");
		}
		strbuf_addstr(&req, "0\r\n\r\n");
		assert_int_equal(send(fd, req.buf, req.len, MSG_NOSIGNAL),
		    (ssize_t)req.len);
		strbuf_reset(&out);
		read_to_close(fd, &out);
		close(fd);
		assert_memory_equal(out.buf, "HTTP/1.1 503 ", 13);
		assert_non_null(strcasestr(out.buf, "\r\nRetry-After: 1\r\n"));
		assert_int_equal(status_lines(out.buf), 1);
		strbuf_release(&req);
	}
	close(slow[0]);
	wait_metric_eq(&p, "tally_receiver_body_bytes", 0);
	strbuf_release(&out);
	strbuf_release(&hout);
	strbuf_release(&body);
	assert_int_equal(proc_stop(&p), 0);
}

/* Open n connections that send a request line and then trickle nothing:
 * slow clients, as a proxy would pass them on. */
static void
open_slow(const struct proc *p, int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		fds[i] = tcp_connect(p);
		assert_true(fds[i] >= 0);
		assert_int_equal(send(fds[i], POST_USAGE, strlen(POST_USAGE),
		    MSG_NOSIGNAL), (ssize_t)strlen(POST_USAGE));
	}
}

static void
test_per_ip_auto_off_on_loopback(void **state)
{
	struct proc p;
	int fds[80];

	(void)state;
	/* the default: auto, which is off on a loopback address */
	proc_start(&p, "request_deadline = 3600");
	open_slow(&p, fds, 80);
	/* (the connection asking counts itself) */
	wait_metric(&p, "tally_receiver_connections", 80 + 1);
	/* 80 slow clients from one address hold nobody else up */
	assert_int_equal(sw_post(&p, "msg_ip_1", "{\"id\":\"i\"}", NULL), 200);
	assert_true(metric(&p, "tally_receiver_connections") >= 80 + 1);
	for (int i = 0; i < 80; i++)
		close(fds[i]);
	assert_int_equal(proc_stop(&p), 0);
}

/* Raw TCP to the receiver from a given loopback address. */
static int
connect_from(const struct proc *p, const char *from)
{
	struct sockaddr_in sa, me;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, from, &me.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)p->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void
test_per_ip_when_set(void **state)
{
	struct proc p;
	struct strbuf out = STRBUF_INIT;
	const char *get_health = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	int fds[3], fd;

	(void)state;
	/* three slow clients from 127.0.0.2; the test looks from 127.0.0.1 */
	proc_start(&p, "per_ip_connections = 3\nrequest_deadline = 3600");
	for (int i = 0; i < 3; i++) {
		fds[i] = connect_from(&p, "127.0.0.2");
		assert_int_equal(send(fds[i], POST_USAGE, strlen(POST_USAGE),
		    MSG_NOSIGNAL), (ssize_t)strlen(POST_USAGE));
	}
	/* (the connection asking counts itself) */
	wait_metric(&p, "tally_receiver_connections", 3 + 1);
	/* a fourth from that address is turned away, unanswered */
	fd = connect_from(&p, "127.0.0.2");
	send(fd, get_health, strlen(get_health), MSG_NOSIGNAL);
	read_to_close(fd, &out);
	close(fd);
	assert_int_equal(out.len, 0);
	/* another address is not */
	assert_int_equal(sw_post(&p, "msg_ip_2", "{\"id\":\"i\"}", NULL), 200);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	wait_metric_eq(&p, "tally_receiver_connections", 1);
	fd = connect_from(&p, "127.0.0.2");
	assert_int_equal(send(fd, get_health, strlen(get_health), MSG_NOSIGNAL),
	    (ssize_t)strlen(get_health));
	read_to_close(fd, &out);
	close(fd);
	assert_memory_equal(out.buf, "HTTP/1.1 200 ", 13);
	strbuf_release(&out);
	assert_int_equal(proc_stop(&p), 0);
}

/* A Midtrans notification signed with the test source's key, posted to
 * /webhooks/midtrans; more is further members ending in a comma. */
static long
midtrans_post(const struct proc *p, const char *code, const char *status,
    const char *more, struct strbuf *out)
{
	struct signature_key k;
	struct strbuf body = STRBUF_INIT, url = STRBUF_INIT;
	const char *reason = NULL;
	const char *hdrs[] = { "Content-Type: application/json", NULL };
	char sig[2 * SIGNATURE_SHA512_LEN + 1];
	long rc;

	assert_int_equal(signature_key_init(&k, SCHEME_MIDTRANS,
	    (const unsigned char *)MT_SECRET, strlen(MT_SECRET), &reason), 0);
	assert_int_equal(signature_midtrans_sign(&k, "mt-201", code,
	    "150000.00", sig), 0);
	signature_key_release(&k);
	strbuf_addf(&body, "{\"order_id\":\"mt-201\",\"status_code\":\"%s\","
	    "\"gross_amount\":\"150000.00\",\"transaction_status\":\"%s\","
	    "\"transaction_id\":\"tx-201\",%s\"signature_key\":\"%s\","
	    "\"currency\":\"IDR\",\"custom_field1\":\"seat-30-idr\"}", code,
	    status, more, sig);
	strbuf_addf(&url, "%s/webhooks/midtrans", p->base);
	rc = http(NULL, "POST", url.buf, body.buf, hdrs, out);
	strbuf_release(&body);
	strbuf_release(&url);
	return rc;
}

static void
test_midtrans_code_mismatch(void **state)
{
	struct proc p;
	struct strbuf out = STRBUF_INIT;

	(void)state;
	proc_start(&p, NULL);
	/* a pending notification (signed 201) relabelled capture: refused
	 * whether it says nothing of the fraud check or that it accepted */
	assert_int_equal(midtrans_post(&p, "201", "capture", "", &out), 400);
	assert_non_null(strstr(out.buf, "does not go with the signed"));
	assert_int_equal(midtrans_post(&p, "201", "capture",
	    "\"fraud_status\":\"accept\",", &out), 400);
	assert_int_equal(midtrans_post(&p, "201", "settlement", "", &out), 400);
	assert_int_equal(count_rows("SELECT count(*) FROM raw_events WHERE "
	    "source = $1", "midtrans", NULL), 0);
	/* the real 201 capture, challenged by the fraud check, is taken in */
	assert_int_equal(midtrans_post(&p, "201", "capture",
	    "\"fraud_status\":\"challenge\",", &out), 200);
	assert_int_equal(rows_for("midtrans", "mt-201:capture:tx-201"), 1);
	/* and so is an honest pending one */
	assert_int_equal(midtrans_post(&p, "201", "pending", "", &out), 200);
	assert_int_equal(rows_for("midtrans", "mt-201:pending:tx-201"), 1);
	strbuf_release(&out);
	assert_int_equal(proc_stop(&p), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_framing, teardown),
		cmocka_unit_test_teardown(test_body_budget, teardown),
		cmocka_unit_test_teardown(test_per_ip_auto_off_on_loopback,
		    teardown),
		cmocka_unit_test_teardown(test_per_ip_when_set, teardown),
		cmocka_unit_test_teardown(test_midtrans_code_mismatch, teardown),
	};
	int rc;

	rx_test_begin("test_receiver_http");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rx_test_end();
	return rc;
}
