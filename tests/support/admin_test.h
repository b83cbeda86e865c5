/*
 * admin_test.h - what the tally-admin tests share: a fresh database, a
 * configuration in a temporary directory, the server started in this
 * process (so ASan sees lib/admin), bearer tokens made by the operation
 * tallyctl uses, and requests through libcurl or, where a test needs
 * bytes no client would send, a raw socket.
 *
 * Included by one test program each (static functions, some unused in a
 * given program).
 */
#ifndef TALLY_ADMIN_TEST_H
#define TALLY_ADMIN_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "admin/admin.h"
#include "base/err.h"
#include "base/strbuf.h"
#include "ops/admin_user.h"
#include "ops/ops.h"
#include "ops/token.h"
#include "pg/db.h"
#include "support/testdb.h"
#include "support/tfile.h"
#include "support/thttp.h"

#define UNUSED __attribute__((unused))

static char *t_url;			/* the test database */
static struct db *t_db;			/* superuser: fixtures and checks */
static struct admin_server *t_srv;
static char t_base[64];			/* http://127.0.0.1:PORT */
static char t_dir[64];			/* the temporary directory */
static unsigned short t_port;

/* Extra configuration lines for the next t_start(). */
static const char *t_conf_extra = "";

UNUSED static const char *
t_q(const char *sql, const char *param)
{
	return testdb_value(t_db, sql, param);
}

UNUSED static long long
t_qll(const char *sql, const char *param)
{
	return strtoll(t_q(sql, param), NULL, 10);
}

UNUSED static void
t_x(const char *sql)
{
	testdb_ok(t_db, sql);
}

/* Start a server on a port the kernel picks; db_url NULL: the test's. */
UNUSED static void
t_start_db(const char *db_url)
{
	struct admin_options opt = { 0 };
	struct strbuf conf = STRBUF_INIT, path = STRBUF_INIT, err = STRBUF_INIT;
	FILE *f;

	strbuf_addf(&path, "%s/tally.conf", t_dir);
	strbuf_addf(&conf, "admin_listen = 127.0.0.1:0\n"
	    "max_body = 4096\n"
	    "request_deadline = 30\n"
	    "report_dir = %s/reports\n"
	    "admin_auth_failures = 1000\n"
	    "admin_auth_window = 86400\n"
	    "%s", t_dir, t_conf_extra);
	f = fopen(path.buf, "w");
	assert_non_null(f);
	fputs(conf.buf, f);
	fclose(f);
	opt.config_path = path.buf;
	opt.db_url = db_url != NULL ? db_url : t_url;
	if (admin_server_start(&t_srv, &opt, &err) != 0)
		fail_msg("admin_server_start: %s", strbuf_str(&err));
	t_port = admin_server_port(t_srv);
	snprintf(t_base, sizeof(t_base), "http://127.0.0.1:%u", t_port);
	strbuf_release(&conf);
	strbuf_release(&path);
	strbuf_release(&err);
}

UNUSED static void
t_start(void)
{
	t_start_db(NULL);
}

UNUSED static int
t_setup(void **state)
{
	(void)state;
	free(t_url);
	t_url = NULL;
	testdb_create(&t_url, &t_db);
	snprintf(t_dir, sizeof(t_dir), "/tmp/tally-admin-test.XXXXXX");
	if (mkdtemp(t_dir) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));
	{
		struct strbuf d = STRBUF_INIT;

		strbuf_addf(&d, "%s/reports", t_dir);
		mkdir(d.buf, 0755);
		strbuf_release(&d);
	}
	t_conf_extra = "";
	t_start();
	return 0;
}

UNUSED static int
t_teardown(void **state)
{
	(void)state;
	admin_server_stop(t_srv);
	t_srv = NULL;
	db_free(t_db);
	t_db = NULL;
	tfile_remove_tree(t_dir);
	return 0;
}

/* A token made as `tallyctl token create NAME --role ROLE` makes it;
 * caller frees. */
UNUSED static char *
t_token(const char *name, const char *role)
{
	struct ops_token_req req = { .name = name, .role = role };
	struct ops o;
	json_t *out = NULL;
	char *tok;

	ops_init(&o, t_db, "test", false);
	if (ops_token_create(&o, &req, &out) != 0)
		fail_msg("token create %s: %s", name, strbuf_str(&o.err));
	tok = xstrdup(json_string_value(json_object_get(out, "token")));
	json_decref(out);
	ops_release(&o);
	return tok;
}

/* A panel admin user made as `tallyctl admin-user add NAME --role ROLE`
 * makes it, with password pw. */
UNUSED static void
t_admin_user(const char *name, const char *role, const char *pw)
{
	struct ops_admin_user_req req = { .name = name, .role = role,
	    .password = pw };
	struct ops o;
	json_t *out = NULL;

	ops_init(&o, t_db, "test", false);
	if (ops_admin_user_add(&o, &req, &out) != 0)
		fail_msg("admin user add %s: %s", name, strbuf_str(&o.err));
	json_decref(out);
	ops_release(&o);
}

/* A finished run of tally-weekly-report for period whose one output is
 * the file path with sha256 hex: what the report downloads serve from. */
UNUSED static void
t_record_report(const char *period, const char *path, const char *hex)
{
	struct strbuf counts = STRBUF_INIT;
	const char *params[3];

	strbuf_addf(&counts, "{\"period\":\"%s\"}", period);
	params[0] = path;
	params[1] = hex;
	params[2] = counts.buf;
	if (db_command(t_db, NULL, "INSERT INTO job_runs (program, finished_at,"
	    " status, counts, outputs) VALUES ('tally-weekly-report', now(),"
	    " 'OK', $3::jsonb, jsonb_build_array(jsonb_build_object('file',"
	    " $1::text, 'sha256', $2::text)))", 3, params) != 0)
		fail_msg("record %s: %s", path, db_errmsg(t_db));
	strbuf_release(&counts);
}

/* ---- requests ---- */

struct t_resp {
	long status;
	struct strbuf head;
	struct strbuf body;
	json_t *json;
};

/* A libcurl write callback into a strbuf (thttp_exchange() has its own). */
UNUSED static size_t
t_collect(char *data, size_t size, size_t n, void *arg)
{
	strbuf_add(arg, data, size * n);
	return size * n;
}

UNUSED static void
t_resp_free(struct t_resp *r)
{
	strbuf_release(&r->head);
	strbuf_release(&r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

/* The value of header name in the answer ("" when absent); static. */
UNUSED static const char *
t_header(const struct t_resp *r, const char *name)
{
	static char buf[4096];
	const char *p = strbuf_str(&r->head);
	size_t n = strlen(name);

	buf[0] = '\0';
	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *e;

			while (*v == ' ')
				v++;
			e = strpbrk(v, "\r\n");
			snprintf(buf, sizeof(buf), "%.*s", (int)(e != NULL ?
			    e - v : (long)strlen(v)), v);
			break;
		}
	}
	return buf;
}

/*
 * One request: token (NULL: no Authorization), ctype and body (NULL:
 * none), extra "Name: value" headers ending with NULL.  The answer's
 * status, headers and body (and JSON, when it is) in *out; release it.
 */
UNUSED static long
t_http(struct t_resp *out, const char *method, const char *path,
    const char *token, const char *ctype, const char *body, ...)
{
	struct curl_slist *list = NULL;
	struct strbuf url = STRBUF_INIT, auth = STRBUF_INIT, ct = STRBUF_INIT;
	const char *extra;
	va_list ap;

	memset(out, 0, sizeof(*out));
	strbuf_init(&out->head);
	strbuf_init(&out->body);
	strbuf_addf(&url, "%s%s", t_base, path);
	if (token != NULL) {
		strbuf_addf(&auth, "Authorization: Bearer %s", token);
		list = curl_slist_append(list, auth.buf);
	}
	if (ctype != NULL) {
		strbuf_addf(&ct, "Content-Type: %s", ctype);
		list = curl_slist_append(list, ct.buf);
	}
	va_start(ap, body);
	while ((extra = va_arg(ap, const char *)) != NULL)
		list = curl_slist_append(list, extra);
	va_end(ap);
	out->status = thttp_exchange(NULL, method, url.buf, body, list,
	    &out->head, &out->body, 120);
	/* a leading newline lets t_header() find the first header too */
	{
		struct strbuf head = STRBUF_INIT;

		strbuf_addch(&head, '\n');
		strbuf_add(&head, out->head.buf, out->head.len);
		strbuf_release(&out->head);
		out->head = head;
	}
	if (out->body.len > 0)
		out->json = json_loadb(out->body.buf, out->body.len, 0, NULL);
	strbuf_release(&url);
	strbuf_release(&auth);
	strbuf_release(&ct);
	return out->status;
}

/* ---- the browser panel ---- */

#define T_FORM "application/x-www-form-urlencoded"

/* The CSRF token of the first form on a panel page (static). */
UNUSED static const char *
t_csrf_of(const struct t_resp *page)
{
	static char tok[80];
	const char *p = strstr(strbuf_str(&page->body),
	    "name=\"csrf\" value=\"");

	if (p == NULL)
		fail_msg("no CSRF field on the page");
	snprintf(tok, sizeof(tok), "%.64s", p + 19);
	return tok;
}

/*
 * Open the login page as a browser does before it posts the form: the
 * header line "Cookie: tally_login=..." (the pre-login cookie) in cookie
 * (n bytes), and the form's CSRF token (static, 64 hex).
 */
UNUSED static const char *
t_login_form(char *cookie, size_t n)
{
	struct t_resp page;
	const char *sc, *tok;

	if (t_http(&page, "GET", "/admin/login", NULL, NULL, NULL, NULL) != 200)
		fail_msg("the login page: %ld", page.status);
	sc = t_header(&page, "Set-Cookie");
	if (strncmp(sc, "tally_login=", 12) != 0)
		fail_msg("the login page set no tally_login cookie");
	snprintf(cookie, n, "Cookie: %.*s", (int)strcspn(sc, ";"), sc);
	tok = t_csrf_of(&page);
	t_resp_free(&page);
	return tok;
}

/*
 * Log in to the panel (the login page, then POST /admin/login) as name
 * with pw: the header line "Cookie: tally_session=..." to send with the
 * panel's requests in cookie (n bytes).  Fails the test when the login
 * does not hold.
 */
UNUSED static void
t_panel_login(const char *name, const char *pw, char *cookie, size_t n)
{
	struct strbuf body = STRBUF_INIT;
	struct t_resp res;
	char pre[160];
	const char *sc, *tok = t_login_form(pre, sizeof(pre));

	strbuf_addf(&body, "name=%s&password=%s&csrf=%s", name, pw, tok);
	if (t_http(&res, "POST", "/admin/login", NULL, T_FORM, body.buf,
	    pre, NULL) != 303)
		fail_msg("login %s: %ld %s", name, res.status,
		    strbuf_str(&res.body));
	sc = t_header(&res, "Set-Cookie");
	if (strncmp(sc, "tally_session=", 14) != 0)
		fail_msg("login %s: no session cookie", name);
	snprintf(cookie, n, "Cookie: %.*s", (int)strcspn(sc, ";"), sc);
	t_resp_free(&res);
	strbuf_release(&body);
}

/* Log in as name (t_panel_login) and open the dashboard with that
 * session: the cookie line in cookie (n bytes), the session's CSRF
 * token (static, 64 hex).  Fails the test when either does not hold. */
UNUSED static const char *
t_panel_session(const char *name, const char *pw, char *cookie, size_t n)
{
	struct t_resp page;
	const char *tok;

	t_panel_login(name, pw, cookie, n);
	if (t_http(&page, "GET", "/admin", NULL, NULL, NULL, cookie,
	    NULL) != 200)
		fail_msg("dashboard as %s: %ld", name, page.status);
	tok = t_csrf_of(&page);
	t_resp_free(&page);
	return tok;
}

/* Check a problem+json answer: status, its type's kind, and (when not
 * NULL) the field at fault. */
UNUSED static void
t_problem(const struct t_resp *r, long status, const char *kind,
    const char *field)
{
	char type[80];

	if (r->status != status)
		fail_msg("status %ld, want %ld: %s", r->status, status,
		    strbuf_str(&r->body));
	assert_string_equal(t_header(r, "Content-Type"),
	    "application/problem+json");
	assert_non_null(r->json);
	snprintf(type, sizeof(type), "urn:tally:problem:%s", kind);
	assert_string_equal(json_string_value(json_object_get(r->json, "type")),
	    type);
	assert_int_equal(json_integer_value(json_object_get(r->json, "status")),
	    status);
	assert_non_null(json_string_value(json_object_get(r->json, "title")));
	assert_non_null(json_string_value(json_object_get(r->json, "detail")));
	if (field != NULL)
		assert_string_equal(json_string_value(json_object_get(r->json,
		    "field")), field);
}

/* One request (no extra headers) whose answer must be the problem+json
 * of status, kind and field (t_problem()). */
UNUSED static void
t_expect_problem(const char *method, const char *path, const char *token,
    const char *ctype, const char *body, long status, const char *kind,
    const char *field)
{
	struct t_resp r;

	t_http(&r, method, path, token, ctype, body, NULL);
	t_problem(&r, status, kind, field);
	t_resp_free(&r);
}

/* Bytes over a fresh connection (a request that says Connection:
 * close); everything the server sends until it closes, in out. */
UNUSED static void
t_raw(const char *req, size_t len, struct strbuf *out)
{
	int fd = thttp_connect(t_port);

	assert_true(fd >= 0);
	if (len > 0)
		assert_int_equal(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
	/* the cap is a safety net for a server that never answers */
	thttp_read_to_close(fd, out, 120);
	close(fd);
}

/* main() of an admin test program: t_main_begin() first; then return
 * t_main_end() of what cmocka_run_group_tests() returned. */
UNUSED static void
t_main_begin(void)
{
	testdb_require();
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

UNUSED static int
t_main_end(int rc)
{
	curl_global_cleanup();
	free(t_url);
	return rc;
}

#endif
