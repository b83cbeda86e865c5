/*
 * test_admin_http.c - tally-admin as an HTTP server that is attacked:
 * framing that could smuggle a request, a body past max_body, a client
 * trickling bytes past the request deadline, report downloads that try
 * to leave report_dir (path traversal, a recorded path outside it, a
 * link, a file changed since), the failed-authentication rate limit,
 * HTTPS with its own certificate; and the OpenAPI document against the
 * routes the server really has, both ways.
 */
#include <time.h>

#include "admin/api.h"
#include "admin/internal.h"
#include "base/fsutil.h"
#include "pg/embedded.h"
#include "support/admin_test.h"

#define API "/api/admin"

static char *t_read;

static int
setup(void **state)
{
	t_setup(state);
	t_read = t_token("reader", "read");
	return 0;
}

static int
teardown(void **state)
{
	free(t_read);
	return t_teardown(state);
}

static void
restart(const char *extra)
{
	admin_server_stop(t_srv);
	t_conf_extra = extra;
	t_start();
}

/* The status line of a raw answer: "HTTP/1.1 400" -> 400. */
static int
raw_status(const char *req)
{
	struct strbuf out = STRBUF_INIT;
	int st = 0;

	t_raw(req, strlen(req), &out);
	if (sscanf(strbuf_str(&out), "HTTP/1.%*d %d", &st) != 1)
		st = 0;
	strbuf_release(&out);
	return st;
}

/* ---- framing and size ---- */

static void
test_framing(void **state)
{
	struct strbuf req = STRBUF_INIT;
	char *writer = t_token("writer", "write");

	(void)state;
	/* two lengths: where the body ends is not known */
	assert_int_equal(raw_status("POST " API "/chatgpt-accounts HTTP/1.1\r\n"
	    "Host: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
	    "Content-Length: 2\r\nConnection: close\r\n\r\n{}"), 400);
	assert_int_equal(raw_status("POST " API "/chatgpt-accounts HTTP/1.1\r\n"
	    "Host: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n"
	    "Connection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n"), 400);
	assert_int_equal(raw_status("GET /healthz HTTP/1.1\r\n"
	    "Connection: close\r\n\r\n"), 400);
	assert_int_equal(raw_status("GET /healthz HTTP/1.1\r\nHost: a\r\n"
	    "Host: b\r\nConnection: close\r\n\r\n"), 400);
	/* a body sent in chunks past max_body (4096) */
	strbuf_addstr(&req, "POST " API "/chatgpt-accounts HTTP/1.1\r\nHost: x\r\n"
	    "Authorization: Bearer ");
	strbuf_addstr(&req, writer);
	strbuf_addstr(&req, "\r\nContent-Type: application/json\r\n"
	    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
	for (int i = 0; i < 5; i++) {
		strbuf_addstr(&req, "400\r\n");
		for (int j = 0; j < 1024; j++)
			strbuf_addch(&req, 'x');
		strbuf_addstr(&req, "\r\n");
	}
	strbuf_addstr(&req, "0\r\n\r\n");
	assert_int_equal(raw_status(req.buf), 413);
	assert_int_equal(t_qll("SELECT count(*) FROM pool_accounts", NULL), 0);
	strbuf_release(&req);
	free(writer);
	/* too many headers */
	strbuf_addstr(&req, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < 70; i++)
		strbuf_addf(&req, "X-H%d: v\r\n", i);
	strbuf_addstr(&req, "Connection: close\r\n\r\n");
	assert_int_equal(raw_status(req.buf), 400);
	strbuf_release(&req);
	/* every one of them is in the access log */
	assert_true(t_qll("SELECT count(*) FROM admin_access_log WHERE status ="
	    " 400", NULL) >= 5);
}

/* Seconds on the monotonic clock. */
static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A bound on waiting for a state, so a broken server fails the test
 * instead of hanging it: never what the test expects to take. */
#define WAIT_CAP_S 120

/*
 * A client that trickles a header byte at a time is cut at the request
 * deadline (4 s here), and its request is logged unanswered.  The
 * deadline is also libmicrohttpd's idle timeout: a byte goes every 50 ms,
 * so only a stall of this thread of about 4 s would let the idle timeout
 * close the connection first (and then no cut would be counted).  What is
 * asserted is who cut it, never how long it took.
 */
static void
test_deadline(void **state)
{
	const char *start = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
	struct timespec tenth = { 0, 100L * 1000000L };
	struct sockaddr_in sa;
	double cap;
	char c;
	int fd;

	(void)state;
	restart("request_deadline = 4\n");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(t_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, start, strlen(start), MSG_NOSIGNAL),
	    (ssize_t)strlen(start));
	/* a byte, then up to 50 ms for the stream to end, until it does */
	cap = mono() + WAIT_CAP_S;
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };

		if (send(fd, "a", 1, MSG_NOSIGNAL) != 1)
			break;
		if (poll(&pfd, 1, 50) > 0 && recv(fd, &c, 1, MSG_DONTWAIT) <= 0)
			break;
		if (mono() > cap)
			fail_msg("a trickling client was never cut");
	}
	close(fd);
	/* the watch cut it (counted before the cut, so seen by now) */
	assert_true(httpwatch_cuts(t_srv->watch) >= 1);
	/* the cut request was logged, with no answer */
	cap = mono() + WAIT_CAP_S;
	while (t_qll("SELECT count(*) FROM admin_access_log WHERE path ="
	    " '/healthz' AND status = 0", NULL) < 1) {
		if (mono() > cap)
			fail_msg("the cut request was never logged");
		nanosleep(&tenth, NULL);
	}
}

/* ---- report files ---- */

/* A job_runs row recording path with sha256 hex (NULL: the file's). */
static void
record(const char *path, const char *sha)
{
	char hex[65];

	if (sha == NULL)
		assert_int_equal(fsutil_sha256_file(path, false, hex, NULL), 0);
	else
		snprintf(hex, sizeof(hex), "%s", sha);
	t_record_report("2026-W47", path, hex);
}

/* path recorded as a report file, yet GET url answers 404 and none of
 * the file's bytes ("root:..."). */
static void
not_served(const char *path, const char *url)
{
	struct t_resp r;

	record(path, NULL);
	t_http(&r, "GET", url, t_read, NULL, NULL, NULL);
	t_problem(&r, 404, "not-found", "file");
	assert_null(strstr(strbuf_str(&r.body), "root:"));
	t_resp_free(&r);
}

static void
test_reports(void **state)
{
	struct strbuf good = STRBUF_INIT, out = STRBUF_INIT, link = STRBUF_INIT,
	    outside = STRBUF_INIT, changed = STRBUF_INIT;
	struct t_resp r;
	char hex[65];

	(void)state;
	strbuf_addf(&good, "%s/reports/weekly-2026-W47.csv", t_dir);
	tfile_write(NULL, good.buf, "sheet,rows\nsummary,3\n");
	record(good.buf, NULL);
	t_http(&r, "GET", API "/reports", t_read, NULL, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(r.json, "items"), 0), "period")), "2026-W47");
	/* the listed sha256 is the bytes' own, computed here apart */
	fsutil_sha256_hex("sheet,rows\nsummary,3\n", 21, hex);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(r.json, "items"), 0), "sha256")), hex);
	t_resp_free(&r);
	t_http(&r, "GET", API "/reports/weekly-2026-W47.csv", t_read, NULL, NULL,
	    NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(strbuf_str(&r.body), "sheet,rows\nsummary,3\n");
	assert_string_equal(t_header(&r, "Content-Type"),
	    "text/csv; charset=utf-8");
	assert_string_equal(t_header(&r, "Content-Disposition"),
	    "attachment; filename=\"weekly-2026-W47.csv\"");
	assert_non_null(strstr(t_header(&r, "Repr-Digest"), "sha-256=:"));
	t_resp_free(&r);

	/* a name with a way out of the directory never reaches a path */
	assert_int_equal(raw_status("GET " API "/reports/%2e%2e HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n"), 401);
	{
		struct strbuf req = STRBUF_INIT;

		strbuf_addf(&req, "GET " API "/reports/%%2e%%2e HTTP/1.1\r\n"
		    "Host: x\r\nAuthorization: Bearer %s\r\nConnection: close\r\n"
		    "\r\n", t_read);
		assert_int_equal(raw_status(req.buf), 400);
		strbuf_reset(&req);
		strbuf_addf(&req, "GET " API "/reports/..%%2F..%%2F..%%2Fetc%%2F"
		    "passwd HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
		    "Connection: close\r\n\r\n", t_read);
		t_raw(req.buf, req.len, &out);
		assert_true(strncmp(out.buf, "HTTP/1.1 404", 12) == 0);
		assert_null(strstr(out.buf, "root:"));
		strbuf_release(&req);
		strbuf_reset(&out);
	}
	t_expect_problem("GET", API "/reports/.hidden", t_read, NULL, NULL, 400,
	    "bad-request", "file");
	t_expect_problem("GET", API "/reports/nothing.csv", t_read, NULL, NULL,
	    404, "not-found", "file");

	/* a row that names a file outside report_dir, with its right
	 * sha256 (anyone who can write job_runs could add it): refused */
	strbuf_addf(&outside, "%s/secret.csv", t_dir);
	tfile_write(NULL, outside.buf, "root:x:0:0\n");
	not_served(outside.buf, API "/reports/secret.csv");
	/* ...or a link inside it to such a file */
	strbuf_addf(&link, "%s/reports/linked.csv", t_dir);
	assert_int_equal(symlink(outside.buf, link.buf), 0);
	not_served(link.buf, API "/reports/linked.csv");
	/* a file changed after the report wrote it */
	strbuf_addf(&changed, "%s/reports/changed.csv", t_dir);
	tfile_write(NULL, changed.buf, "a,b\n1,2\n");
	fsutil_sha256_hex("a,b\n1,2\n", 8, hex);
	record(changed.buf, hex);
	tfile_write(NULL, changed.buf, "a,b\n1,3\n");
	t_expect_problem("GET", API "/reports/changed.csv", t_read, NULL, NULL,
	    422, "refused", "file");
	strbuf_release(&good);
	strbuf_release(&out);
	strbuf_release(&link);
	strbuf_release(&outside);
	strbuf_release(&changed);
}

/* ---- failed authentication ---- */

static void
test_rate_limit(void **state)
{
	struct t_resp r;
	long wait;

	(void)state;
	restart("admin_auth_failures = 3\n");
	for (int i = 0; i < 3; i++) {
		/* no credentials at all is not a guess: not counted */
		t_expect_problem("GET", API "/status", NULL, NULL, NULL, 401,
		    "unauthorized", NULL);
		t_expect_problem("GET", API "/status", "tly_aaaaaaaaaa_bad",
		    NULL, NULL, 401, "unauthorized", NULL);
	}
	t_http(&r, "GET", API "/status", "tly_aaaaaaaaaa_bad", NULL, NULL, NULL);
	t_problem(&r, 429, "rate-limited", NULL);
	wait = strtol(t_header(&r, "Retry-After"), NULL, 10);
	assert_true(wait >= 1 && wait <= 86400);
	t_resp_free(&r);
	/* blocked is blocked: a good token from there waits too */
	t_expect_problem("GET", API "/status", t_read, NULL, NULL, 429,
	    "rate-limited", NULL);
	/* public routes still answer */
	t_http(&r, "GET", API "/openapi.json", NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 200);
	t_resp_free(&r);
	assert_int_equal(t_qll("SELECT count(*) FROM admin_access_log WHERE"
	    " status = 429", NULL), 2);
}

/* The limiter itself, on a clock of its own. */
static void
test_rate_limit_window(void **state)
{
	struct admin_ratelimit *rl = admin_ratelimit_new(2, 10);

	(void)state;
	assert_int_equal(admin_ratelimit_wait(rl, "10.0.0.1", 0.0), 0);
	admin_ratelimit_fail(rl, "10.0.0.1", 0.0);
	assert_int_equal(admin_ratelimit_wait(rl, "10.0.0.1", 0.5), 0);
	admin_ratelimit_fail(rl, "10.0.0.1", 1.0);
	assert_int_equal(admin_ratelimit_wait(rl, "10.0.0.1", 1.0), 9);
	assert_int_equal(admin_ratelimit_wait(rl, "10.0.0.1", 9.5), 1);
	/* another address is not held for it */
	assert_int_equal(admin_ratelimit_wait(rl, "10.0.0.2", 5.0), 0);
	/* the window ends */
	assert_int_equal(admin_ratelimit_wait(rl, "10.0.0.1", 10.0), 0);
	admin_ratelimit_fail(rl, "10.0.0.1", 10.0);
	assert_int_equal(admin_ratelimit_wait(rl, "10.0.0.1", 10.0), 0);
	/* a slow check (a login) counts at once: a second attempt in flight
	 * already sees the first, and a success takes its count back */
	assert_int_equal(admin_ratelimit_try(rl, "10.0.0.3", 30.0), 0);
	assert_int_equal(admin_ratelimit_try(rl, "10.0.0.3", 30.0), 0);
	assert_int_equal(admin_ratelimit_try(rl, "10.0.0.3", 30.0), 10);
	admin_ratelimit_forgive(rl, "10.0.0.3");
	assert_int_equal(admin_ratelimit_wait(rl, "10.0.0.3", 30.0), 0);
	/* a flood of addresses stays within the table */
	for (int i = 0; i < 10000; i++) {
		char a[32];

		snprintf(a, sizeof(a), "10.1.%d.%d", i / 256, i % 256);
		admin_ratelimit_fail(rl, a, 20.0 + i);
		admin_ratelimit_fail(rl, a, 20.0 + i);
	}
	assert_int_equal(admin_ratelimit_wait(rl, "10.1.39.15", 20.0 + 9999),
	    10);
	admin_ratelimit_free(rl);
}

/* ---- HTTPS ---- */

static void
test_tls(void **state)
{
	struct strbuf cmd = STRBUF_INIT, conf = STRBUF_INIT, url = STRBUF_INIT,
	    body = STRBUF_INIT, crt = STRBUF_INIT, err = STRBUF_INIT;
	long code = 0;
	CURL *h;

	(void)state;
	strbuf_addf(&crt, "%s/admin.crt", t_dir);
	strbuf_addf(&cmd, "openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 "
	    "-addext subjectAltName=IP:127.0.0.1 -keyout '%s/admin.key' "
	    "-out '%s' 2>/dev/null && chmod 644 '%s/admin.key'", t_dir, crt.buf,
	    t_dir);
	assert_int_equal(testdb_system(cmd.buf), 0);
	strbuf_addf(&conf, "admin_tls_cert_file = %s\nadmin_tls_key_file = "
	    "%s/admin.key\n", crt.buf, t_dir);
	/* a key others may read is refused */
	{
		struct strbuf path = STRBUF_INIT;
		FILE *f;

		strbuf_addf(&path, "%s/tls.conf", t_dir);
		f = fopen(path.buf, "w");
		fputs(conf.buf, f);
		fclose(f);
		assert_int_equal(admin_check_config(path.buf, &err),
		    TALLY_ECONFIG);
		assert_non_null(strstr(strbuf_str(&err), "chmod 600"));
		strbuf_reset(&cmd);
		strbuf_addf(&cmd, "chmod 600 '%s/admin.key'", t_dir);
		assert_int_equal(testdb_system(cmd.buf), 0);
		strbuf_reset(&err);
		assert_int_equal(admin_check_config(path.buf, &err), 0);
		strbuf_release(&path);
	}
	restart(conf.buf);
	strbuf_addf(&url, "https://127.0.0.1:%u/healthz", t_port);
	h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url.buf);
	curl_easy_setopt(h, CURLOPT_CAINFO, crt.buf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, t_collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	assert_int_equal(code, 200);
	curl_easy_cleanup(h);
	/* plain HTTP gets no answer from a TLS port */
	{
		struct t_resp r;

		assert_int_equal(t_http(&r, "GET", "/healthz", NULL, NULL, NULL,
		    NULL), 0);
		t_resp_free(&r);
	}
	strbuf_release(&cmd);
	strbuf_release(&conf);
	strbuf_release(&url);
	strbuf_release(&body);
	strbuf_release(&crt);
	strbuf_release(&err);
}

/* ---- the OpenAPI document and the routes ---- */

static const char *
lower(const char *m)
{
	static char buf[16];
	size_t i;

	for (i = 0; m[i] != '\0' && i + 1 < sizeof(buf); i++)
		buf[i] = (char)(m[i] >= 'A' && m[i] <= 'Z' ? m[i] + 32 : m[i]);
	buf[i] = '\0';
	return buf;
}

static void
test_openapi(void **state)
{
	const struct embedded_file *f;
	json_error_t e;
	json_t *doc, *file, *item, *op;
	const char *path, *method;
	struct t_resp r;
	size_t routes = 0, documented = 0;

	(void)state;
	/* one source: what is served is docs/openapi.json, byte for byte */
	for (f = embedded_files; f->name != NULL; f++)
		if (strcmp(f->name, "docs/openapi.json") == 0)
			break;
	assert_non_null(f->name);
	file = json_load_file("docs/openapi.json", 0, &e);
	if (file == NULL)
		fail_msg("docs/openapi.json: %d: %s", e.line, e.text);
	t_http(&r, "GET", API "/openapi.json", NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, f->len);
	assert_memory_equal(r.body.buf, f->data, f->len);
	doc = json_loadb(r.body.buf, r.body.len, 0, &e);
	assert_true(json_equal(doc, file));
	t_resp_free(&r);
	assert_string_equal(json_string_value(json_object_get(doc, "openapi")),
	    "3.1.0");

	/* every route of the API face is documented, with its role and
	 * whether it is available yet (the browser panel is HTML, not API) */
	for (size_t i = 0; admin_faces[i] != NULL; i++)
		for (const struct admin_route *rt = admin_faces[i]->routes;
		    admin_faces[i] == &admin_api_face && rt->method != NULL;
		    rt++) {
			op = json_object_get(json_object_get(json_object_get(doc,
			    "paths"), rt->pattern), lower(rt->method));
			if (op == NULL)
				fail_msg("%s %s is not in docs/openapi.json",
				    rt->method, rt->pattern);
			assert_string_equal(json_string_value(json_object_get(op,
			    "x-tally-role")), admin_role_name(rt->role));
			assert_int_equal(json_object_get(op, "x-tally-pending") !=
			    NULL, rt->handle == NULL);
			routes++;
		}
	/* and every documented operation is a route the server answers:
	 * not 404, not 405, and 401 unless it is public */
	json_object_foreach(json_object_get(doc, "paths"), path, item) {
		json_object_foreach(item, method, op) {
			struct strbuf p = STRBUF_INIT, m = STRBUF_INIT;
			bool public = json_is_array(json_object_get(op, "security"));

			for (const char *s = path; *s != '\0'; s++) {
				if (*s == '{') {
					strbuf_addstr(&p, "1");
					s = strchr(s, '}');
				} else
					strbuf_addch(&p, *s);
			}
			for (const char *s = method; *s != '\0'; s++)
				strbuf_addch(&m, *s >= 'a' && *s <= 'z' ? *s - 32 : *s);
			t_http(&r, m.buf, p.buf, NULL, NULL, NULL, NULL);
			if (public ? r.status != 200 && r.status != 503 :
			    r.status != 401)
				fail_msg("%s %s (documented) answers %ld", m.buf,
				    p.buf, r.status);
			t_resp_free(&r);
			strbuf_release(&p);
			strbuf_release(&m);
			documented++;
		}
	}
	assert_int_equal(documented, routes);
	json_decref(doc);
	json_decref(file);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_framing),
		T(test_deadline),
		T(test_reports),
		T(test_rate_limit),
		cmocka_unit_test(test_rate_limit_window),
		T(test_tls),
		T(test_openapi),
	};

	t_main_begin();
	return t_main_end(cmocka_run_group_tests(tests, NULL, NULL));
}
