/*
 * test_panel.c - the browser panel's core over real HTTP on loopback and
 * a real database: logins (right, wrong, rate-limited), the session
 * cookie and its ends (idle, too old, logout, a disabled user), CSRF,
 * the logged-out redirect, the security headers, form fields
 * (urlencoded and multipart), the access log's actor, the dashboard's
 * figures against the status operation, the HTML writer's escaping, and
 * what tally_admin_api may do in the database.
 */
#include "admin/api.h"
#include "admin/html.h"
#include "ops/admin_user.h"
#include "ops/status.h"
#include "support/admin_test.h"

#define FORM "application/x-www-form-urlencoded"
#define PW "correct horse battery"

static int
setup(void **state)
{
	t_setup(state);
	t_admin_user("alice", "admin", PW);
	t_admin_user("bob", "read", PW);
	return 0;
}

static void
restart(const char *extra)
{
	admin_server_stop(t_srv);
	t_conf_extra = extra;
	t_start();
}

/* The login page, then POST /admin/login with its cookie and token; the
 * session cookie ("tally_session=...") in cookie when it worked.
 * Returns the status. */
static long
login(const char *name, const char *pw, const char *next, char *cookie,
    size_t n, struct t_resp *res)
{
	struct strbuf body = STRBUF_INIT;
	struct t_resp mine;
	char pre[160];
	const char *sc, *tok = t_login_form(pre, sizeof(pre));
	long st;

	if (res == NULL)
		res = &mine;
	strbuf_addf(&body, "name=%s&password=%s&csrf=%s", name, pw, tok);
	if (next != NULL)
		strbuf_addf(&body, "&next=%s", next);
	st = t_http(res, "POST", "/admin/login", NULL, FORM, body.buf, pre,
	    NULL);
	sc = t_header(res, "Set-Cookie");
	if (cookie != NULL) {
		cookie[0] = '\0';
		if (strncmp(sc, "tally_session=", 14) == 0)
			snprintf(cookie, n, "Cookie: %.*s", (int)strcspn(sc, ";"), sc);
	}
	if (res == &mine)
		t_resp_free(&mine);
	strbuf_release(&body);
	return st;
}

/*
 * Login forms the login page did not give out: without a token, with
 * the token of another browser's cookie, with none of the cookie, and
 * (token right) sent from another site's page.  Each is 403 and opens
 * no session (nor counts as a failed attempt: test_rate_limit).
 */
static void
test_login_forged(void)
{
	struct t_resp res;
	struct strbuf body = STRBUF_INIT;
	char pre[160], other[160], tok[80];
	const char *sc;
	long sessions = t_qll("SELECT count(*) FROM admin_sessions", NULL);

	/* the pre-login cookie: like the session's, and kept once set */
	assert_int_equal(t_http(&res, "GET", "/admin/login", NULL, NULL, NULL,
	    NULL), 200);
	sc = t_header(&res, "Set-Cookie");
	assert_non_null(strstr(sc, "; Path=/admin; HttpOnly; SameSite=Strict"));
	assert_null(strstr(sc, "Secure"));
	t_resp_free(&res);
	snprintf(tok, sizeof(tok), "%s", t_login_form(other, sizeof(other)));
	assert_int_equal(t_http(&res, "GET", "/admin/login", NULL, NULL, NULL,
	    other, NULL), 200);
	assert_string_equal(t_header(&res, "Set-Cookie"), "");
	assert_string_equal(t_csrf_of(&res), tok);
	t_resp_free(&res);
	strbuf_addf(&body, "name=alice&password=" PW "&csrf=%s", tok);
	(void)t_login_form(pre, sizeof(pre));
	assert_string_not_equal(pre, other);
	/* no token */
	assert_int_equal(t_http(&res, "POST", "/admin/login", NULL, FORM,
	    "name=alice&password=" PW, pre, NULL), 403);
	assert_string_equal(t_header(&res, "Set-Cookie"), "");
	assert_non_null(strstr(res.body.buf, "security token"));
	t_resp_free(&res);
	/* another cookie's token */
	assert_int_equal(t_http(&res, "POST", "/admin/login", NULL, FORM,
	    body.buf, pre, NULL), 403);
	assert_string_equal(t_header(&res, "Set-Cookie"), "");
	t_resp_free(&res);
	/* a token but no cookie */
	assert_int_equal(t_http(&res, "POST", "/admin/login", NULL, FORM,
	    body.buf, NULL), 403);
	t_resp_free(&res);
	/* from another site's page, token and cookie right */
	assert_int_equal(t_http(&res, "POST", "/admin/login", NULL, FORM,
	    body.buf, other, "Origin: https://evil.example", NULL), 403);
	assert_string_equal(t_header(&res, "Set-Cookie"), "");
	t_resp_free(&res);
	assert_int_equal(t_http(&res, "POST", "/admin/login", NULL, FORM,
	    body.buf, other, "Sec-Fetch-Site: cross-site", NULL), 403);
	t_resp_free(&res);
	assert_int_equal(t_qll("SELECT count(*) FROM admin_sessions", NULL),
	    sessions);
	/* behind a proxy that rewrites Host, the browser's word holds */
	assert_int_equal(t_http(&res, "POST", "/admin/login", NULL, FORM,
	    body.buf, other, "Sec-Fetch-Site: same-origin",
	    "Origin: https://admin.example", NULL), 303);
	assert_int_equal(strncmp(t_header(&res, "Set-Cookie"), "tally_session=",
	    14), 0);
	t_resp_free(&res);
	strbuf_release(&body);
}

static void
test_login(void **state)
{
	struct t_resp res;
	char cookie[200];
	const char *sc;

	(void)state;
	/* wrong password, unknown user: the same generic answer */
	assert_int_equal(login("alice", "wrong-password", NULL, cookie,
	    sizeof(cookie), &res), 401);
	assert_string_equal(cookie, "");
	assert_non_null(strstr(res.body.buf, "The name or the password is not "
	    "right."));
	assert_non_null(strstr(res.body.buf, "value=\"alice\""));
	t_resp_free(&res);
	assert_int_equal(login("nobody", PW, NULL, cookie, sizeof(cookie),
	    NULL), 401);

	/* right: a cookie as it should be, and to the dashboard */
	assert_int_equal(login("alice", PW, NULL, cookie, sizeof(cookie), &res),
	    303);
	assert_string_equal(t_header(&res, "Location"), "/admin");
	sc = t_header(&res, "Set-Cookie");
	assert_non_null(strstr(sc, "; Path=/admin"));
	assert_non_null(strstr(sc, "; HttpOnly"));
	assert_non_null(strstr(sc, "; SameSite=Strict"));
	assert_null(strstr(sc, "Secure"));
	assert_int_equal(strlen(cookie), strlen("Cookie: tally_session=") + 64);
	t_resp_free(&res);
	/* only the token's hash is kept */
	assert_int_equal(t_qll("SELECT count(*) FROM admin_sessions WHERE"
	    " encode(id_hash, 'hex') = $1", cookie + 22), 0);
	assert_int_equal(t_qll("SELECT count(*) FROM admin_sessions WHERE"
	    " encode(id_hash, 'hex') = encode(sha256(convert_to($1, 'UTF8')),"
	    " 'hex')", cookie + 22), 1);
	assert_false(t_qll("SELECT count(*) FROM admin_users WHERE name = "
	    "'alice' AND last_login_at IS NOT NULL", NULL) == 0);
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log WHERE action ="
	    " 'admin_session.login' AND actor = 'admin:alice'", NULL), 1);

	/* the dashboard, with the panel's headers */
	assert_int_equal(t_http(&res, "GET", "/admin", NULL, NULL, NULL, cookie,
	    NULL), 200);
	assert_string_equal(t_header(&res, "Content-Security-Policy"),
	    "default-src 'none'; style-src 'self'; script-src 'self'; "
	    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
	    "base-uri 'none'");
	assert_string_equal(t_header(&res, "X-Frame-Options"), "DENY");
	assert_string_equal(t_header(&res, "Cache-Control"), "no-store");
	assert_string_equal(t_header(&res, "X-Content-Type-Options"), "nosniff");
	assert_string_equal(t_header(&res, "Referrer-Policy"), "same-origin");
	assert_string_equal(t_header(&res, "Content-Type"),
	    "text/html; charset=utf-8");
	assert_non_null(strstr(res.body.buf, "<span class=\"user\">alice</span>"));
	assert_non_null(strstr(res.body.buf, "id=\"logout\""));
	assert_null(strstr(res.body.buf, " style="));
	assert_null(strstr(res.body.buf, "<script>"));
	t_resp_free(&res);
	/* every request is in the access log with its actor */
	assert_int_equal(t_qll("SELECT count(*) FROM admin_access_log WHERE"
	    " actor = 'admin:alice' AND path = '/admin' AND status = 200", NULL),
	    1);
	assert_int_equal(t_qll("SELECT count(*) FROM admin_access_log WHERE"
	    " actor = 'admin:alice' AND path = '/admin/login' AND status = 303",
	    NULL), 1);

	/* next: kept when it is a path under /admin, else the dashboard */
	assert_int_equal(login("alice", PW, "%2Fadmin%2Fusers%3Fsort%3Demail",
	    NULL, 0, &res), 303);
	assert_string_equal(t_header(&res, "Location"), "/admin/users?sort=email");
	t_resp_free(&res);
	static const char *const bad_next[] = { "%2F%2Fevil.example%2Fadmin",
	    "https%3A%2F%2Fevil.example%2Fadmin", "%2Fadministrator",
	    "%2Fadmin%2F%5C%5Cevil.example", "%2Fadmin%0d%0aX-Evil%3A1" };
	for (size_t i = 0; i < sizeof(bad_next) / sizeof(bad_next[0]); i++) {
		assert_int_equal(login("alice", PW, bad_next[i], NULL, 0, &res),
		    303);
		assert_string_equal(t_header(&res, "Location"), "/admin");
		t_resp_free(&res);
	}
	test_login_forged();
}

static void
test_secure_cookie(void **state)
{
	struct t_resp res;

	(void)state;
	restart("admin_secure_cookies = yes\n");
	assert_int_equal(login("alice", PW, NULL, NULL, 0, &res), 303);
	assert_non_null(strstr(t_header(&res, "Set-Cookie"), "; Secure"));
	t_resp_free(&res);
	/* the pre-login cookie too */
	assert_int_equal(t_http(&res, "GET", "/admin/login", NULL, NULL, NULL,
	    NULL), 200);
	assert_non_null(strstr(t_header(&res, "Set-Cookie"), "; Secure"));
	t_resp_free(&res);
}

static void
test_rate_limit(void **state)
{
	struct t_resp res;

	(void)state;
	restart("admin_auth_failures = 2\nadmin_auth_window = 3600\n");
	/* forged forms are refused before they count */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(t_http(&res, "POST", "/admin/login", NULL, FORM,
		    "name=alice&password=wrong", NULL), 403);
		t_resp_free(&res);
	}
	assert_int_equal(login("alice", "wrong-1", NULL, NULL, 0, NULL), 401);
	assert_int_equal(login("alice", "wrong-2", NULL, NULL, 0, NULL), 401);
	/* even the right password waits now, and nothing is checked */
	assert_int_equal(login("alice", PW, NULL, NULL, 0, &res), 429);
	assert_non_null(strstr(res.body.buf, "Too many failed logins"));
	assert_true(atol(t_header(&res, "Retry-After")) > 0);
	assert_string_equal(t_header(&res, "Set-Cookie"), "");
	t_resp_free(&res);
	assert_int_equal(t_qll("SELECT count(*) FROM admin_sessions", NULL), 0);
}

static void
test_logged_out(void **state)
{
	struct t_resp res;

	(void)state;
	assert_int_equal(t_http(&res, "GET", "/admin", NULL, NULL, NULL, NULL),
	    303);
	assert_string_equal(t_header(&res, "Location"), "/admin/login");
	t_resp_free(&res);
	assert_int_equal(t_http(&res, "GET", "/admin/?x=%3Cb%3E", NULL, NULL,
	    NULL, NULL), 303);
	assert_string_equal(t_header(&res, "Location"),
	    "/admin/login?next=%2Fadmin%2F%3Fx%3D%253Cb%253E");
	t_resp_free(&res);
	/* a cookie that names no session is no credential */
	assert_int_equal(t_http(&res, "GET", "/admin", NULL, NULL, NULL,
	    "Cookie: tally_session=0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", NULL), 303);
	t_resp_free(&res);
	/* a POST is refused, not redirected */
	assert_int_equal(t_http(&res, "POST", "/admin/logout", NULL, FORM,
	    "csrf=x", NULL), 401);
	assert_non_null(strstr(res.body.buf, "href=\"/admin/login\""));
	t_resp_free(&res);
	/* the login page and the static files need no session */
	assert_int_equal(t_http(&res, "GET", "/admin/login?next=%2Fadmin%2Fcases",
	    NULL, NULL, NULL, NULL), 200);
	assert_non_null(strstr(res.body.buf, "<form id=\"login\""));
	assert_non_null(strstr(res.body.buf,
	    "name=\"next\" value=\"/admin/cases\""));
	t_resp_free(&res);
	assert_int_equal(t_http(&res, "GET", "/admin/static/panel.css", NULL,
	    NULL, NULL, NULL), 200);
	assert_string_equal(t_header(&res, "Content-Type"),
	    "text/css; charset=utf-8");
	t_resp_free(&res);
	assert_int_equal(t_http(&res, "GET", "/admin/static/panel.js", NULL,
	    NULL, NULL, NULL), 200);
	t_resp_free(&res);
	/* an unknown page under /admin: the panel's 404 page */
	assert_int_equal(t_http(&res, "GET", "/admin/no-such-page", NULL, NULL,
	    NULL, NULL), 404);
	assert_non_null(strstr(t_header(&res, "Content-Type"), "text/html"));
	t_resp_free(&res);
}

static void
test_session_ends(void **state)
{
	struct t_resp res;
	char cookie[200];

	(void)state;
	/* idle past admin_session_idle (30 min by default) */
	assert_int_equal(login("alice", PW, NULL, cookie, sizeof(cookie), NULL),
	    303);
	t_x("UPDATE admin_sessions SET last_seen_at = now() - interval"
	    " '29 minutes'");
	assert_int_equal(t_http(&res, "GET", "/admin", NULL, NULL, NULL, cookie,
	    NULL), 200);
	t_resp_free(&res);
	t_x("UPDATE admin_sessions SET last_seen_at = now() - interval"
	    " '31 minutes'");
	assert_int_equal(t_http(&res, "GET", "/admin", NULL, NULL, NULL, cookie,
	    NULL), 303);
	t_resp_free(&res);

	/* older than admin_session_max (12 h), however busy */
	assert_int_equal(login("alice", PW, NULL, cookie, sizeof(cookie), NULL),
	    303);
	t_x("UPDATE admin_sessions SET created_at = now() - interval '13 hours'");
	assert_int_equal(t_http(&res, "GET", "/admin", NULL, NULL, NULL, cookie,
	    NULL), 303);
	t_resp_free(&res);

	/* a user disabled by tallyctl is out at once */
	assert_int_equal(login("bob", PW, NULL, cookie, sizeof(cookie), NULL),
	    303);
	{
		struct ops_admin_user_req req = { .name = "bob" };
		struct ops o;
		json_t *out = NULL;

		ops_init(&o, t_db, "test", false);
		assert_int_equal(ops_admin_user_disable(&o, &req, &out), 0);
		json_decref(out);
		ops_release(&o);
	}
	assert_int_equal(t_http(&res, "GET", "/admin", NULL, NULL, NULL, cookie,
	    NULL), 303);
	t_resp_free(&res);
	assert_int_equal(login("bob", PW, NULL, NULL, 0, NULL), 401);
}

static void
test_csrf_logout(void **state)
{
	struct t_resp res;
	char cookie[200], body[200], mp[600], csrf[80];

	(void)state;
	snprintf(csrf, sizeof(csrf), "%s", t_panel_session("alice", PW, cookie,
	    sizeof(cookie)));
	assert_int_equal(strlen(csrf), 64);

	/* without the token, or with another: 403, and nothing happened */
	assert_int_equal(t_http(&res, "POST", "/admin/logout", NULL, FORM, "",
	    cookie, NULL), 403);
	t_resp_free(&res);
	assert_int_equal(t_http(&res, "POST", "/admin/logout", NULL, FORM,
	    "csrf=0000000000000000000000000000000000000000000000000000000000000000",
	    cookie, NULL), 403);
	t_resp_free(&res);
	assert_int_equal(t_qll("SELECT count(*) FROM admin_sessions", NULL), 1);
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log WHERE action ="
	    " 'admin_session.logout'", NULL), 0);
	/* another session's token is not this one's */
	{
		char other[200];

		snprintf(body, sizeof(body), "csrf=%s", t_panel_session("alice",
		    PW, other, sizeof(other)));
		assert_int_equal(t_http(&res, "POST", "/admin/logout", NULL, FORM,
		    body, cookie, NULL), 403);
		t_resp_free(&res);
	}

	/* with it, as multipart/form-data too: logged out */
	snprintf(mp, sizeof(mp), "--XyZ\r\nContent-Disposition: form-data; "
	    "name=\"csrf\"\r\n\r\n%s\r\n--XyZ--\r\n", csrf);
	assert_int_equal(t_http(&res, "POST", "/admin/logout", NULL,
	    "multipart/form-data; boundary=XyZ", mp, cookie, NULL), 303);
	assert_string_equal(t_header(&res, "Location"), "/admin/login");
	assert_non_null(strstr(t_header(&res, "Set-Cookie"), "Max-Age=0"));
	t_resp_free(&res);
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log WHERE action ="
	    " 'admin_session.logout' AND actor = 'admin:alice'", NULL), 1);
	/* the session is gone: the old cookie is nobody's */
	assert_int_equal(t_http(&res, "GET", "/admin", NULL, NULL, NULL, cookie,
	    NULL), 303);
	t_resp_free(&res);
}

/*
 * A read user may see every page and change nothing: every POST route of
 * the panel's faces that wants more than read is 403 for bob, with a
 * valid CSRF token, and changes nothing.  (Core's own routes have none:
 * the pages' routes, once merged, are what this tries.)
 */
static void
test_read_role(void **state)
{
	struct t_resp res;
	char cookie[200], body[200];
	long long audit;
	int tried = 0;

	(void)state;
	snprintf(body, sizeof(body), "csrf=%s&note=x&reason=x",
	    t_panel_session("bob", PW, cookie, sizeof(cookie)));
	audit = t_qll("SELECT count(*) FROM audit_log", NULL);
	for (size_t i = 0; admin_faces[i] != NULL; i++) {
		if (strcmp(admin_faces[i]->prefix, "/admin") != 0)
			continue;
		for (const struct admin_route *rt = admin_faces[i]->routes;
		    rt->method != NULL; rt++) {
			struct strbuf path = STRBUF_INIT;

			if (strcmp(rt->method, "POST") != 0 ||
			    rt->role <= ADMIN_ROLE_READ)
				continue;
			/* {param} segments: some value */
			for (const char *p = rt->pattern; *p != '\0'; p++) {
				if (*p == '{') {
					strbuf_addch(&path, '1');
					p = strchr(p, '}');
				} else
					strbuf_addch(&path, *p);
			}
			if (t_http(&res, "POST", path.buf, NULL, FORM, body, cookie,
			    NULL) != 403)
				fail_msg("POST %s as a read user: %ld", path.buf,
				    res.status);
			t_resp_free(&res);
			strbuf_release(&path);
			tried++;
		}
	}
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log", NULL), audit);
	if (tried == 0)
		print_message("no panel POST route wants more than read yet\n");
}

/* ---- the dashboard ---- */

/* The number at dotted path key of the status operation's answer. */
static long long
status_number(const json_t *status, const char *key)
{
	char buf[256], *save = NULL, *part;
	const json_t *v = status;

	snprintf(buf, sizeof(buf), "%s", key);
	/* a model's name may hold a dot: by_model takes the rest */
	for (part = strtok_r(buf, ".", &save); part != NULL && v != NULL;
	    part = strtok_r(NULL, ".", &save)) {
		v = json_object_get(v, part);
		if (strcmp(part, "by_model") == 0 && save != NULL && *save != '\0') {
			v = json_object_get(v, save);
			break;
		}
	}
	if (!json_is_integer(v))
		fail_msg("status has no number at %s", key);
	return (long long)json_integer_value(v);
}

static void
test_dashboard(void **state)
{
	struct t_resp res;
	struct ops o;
	json_t *out = NULL;
	const json_t *status;
	const char *p;
	char cookie[200];
	int figures = 0;

	(void)state;
	/* with room (4 free), full, full, suspended */
	t_x("INSERT INTO pool_accounts (email, max_seats) VALUES"
	    " ('a@pool.test', 5), ('b@pool.test', 1), ('c@pool.test', 2),"
	    " ('d@pool.test', 3)");
	t_x("INSERT INTO customers (email) SELECT 'c' || g || '@x.test'"
	    " FROM generate_series(1, 4) g");
	t_x("INSERT INTO assignments (account_id, customer_id, starts_at, ends_at)"
	    " SELECT a.id, c.id, now(), now() + interval '30 days'"
	    " FROM (VALUES ('a@pool.test', 'c1@x.test'), ('b@pool.test',"
	    " 'c2@x.test'), ('c@pool.test', 'c3@x.test'), ('c@pool.test',"
	    " 'c4@x.test')) v (acc, cus)"
	    " JOIN pool_accounts a ON a.email = v.acc"
	    " JOIN customers c ON c.email = v.cus");
	t_x("UPDATE pool_accounts SET status = 'SUSPENDED' WHERE email ="
	    " 'd@pool.test'");
	t_x("INSERT INTO models (name) VALUES ('img-<b>'), ('edit.v2'), ('idle')");
	t_x("INSERT INTO app_users (external_id) VALUES ('u1')");
	t_x("INSERT INTO usage_events (event_id, user_id, model_id, kind,"
	    " started_at, duration_ms, credits, status)"
	    " SELECT 'e' || g, (SELECT id FROM app_users), m.id, 'generate',"
	    " now(), 10, 1, CASE WHEN g % 4 = 0 THEN 'error' ELSE 'ok' END"
	    " FROM generate_series(1, 7) g, models m WHERE m.name = 'img-<b>'"
	    " UNION ALL SELECT 'f' || g, (SELECT id FROM app_users), m.id, 'edit',"
	    " now(), 10, 1, 'ok' FROM generate_series(1, 3) g, models m"
	    " WHERE m.name = 'edit.v2'"
	    " UNION ALL SELECT 'old', (SELECT id FROM app_users), m.id, 'edit',"
	    " now() - interval '2 days', 10, 1, 'ok' FROM models m"
	    " WHERE m.name = 'idle'");
	assert_int_equal(login("bob", PW, NULL, cookie, sizeof(cookie), NULL),
	    303);
	assert_int_equal(t_http(&res, "GET", "/admin/", NULL, NULL, NULL, cookie,
	    NULL), 200);

	ops_init(&o, t_db, "test", false);
	assert_int_equal(ops_status(&o, &out), 0);
	ops_release(&o);
	status = json_object_get(out, "status");
	assert_int_equal(status_number(status, "usage.by_model.img-<b>"), 7);
	assert_int_equal(status_number(status, "usage.errors_today"), 1);
	assert_int_equal(status_number(status, "pool.assigned"), 2);

	/* every figure on the page is the operation's number at its key */
	for (p = res.body.buf; (p = strstr(p, "<span class=\"figure\" "
	    "data-key=\"")) != NULL; p++) {
		char key[128];
		const char *k = p + strlen("<span class=\"figure\" data-key=\"");
		const char *e = strchr(k, '"');
		long long shown;

		assert_non_null(e);
		snprintf(key, sizeof(key), "%.*s", (int)(e - k), k);
		/* the page escapes the name as it escapes everything */
		if (strcmp(key, "usage.by_model.img-&lt;b&gt;") == 0)
			snprintf(key, sizeof(key), "usage.by_model.img-<b>");
		shown = strtoll(e + 2, NULL, 10);
		if (shown != status_number(status, key))
			fail_msg("%s: the page shows %lld, status %lld", key, shown,
			    status_number(status, key));
		figures++;
	}
	/* pool (2 + 4), orders (3), cases (5), alerts (2), usage (2 + 2) */
	assert_int_equal(figures, 20);
	assert_non_null(strstr(res.body.buf, "data-key=\"pool.free_seats\">4<"));
	assert_non_null(strstr(res.body.buf, "data-key=\"pool.accounts\">4<"));
	assert_non_null(strstr(res.body.buf, "data-key=\"usage.by_model.edit.v2\""
	    ">3<"));
	assert_null(strstr(res.body.buf, "usage.by_model.idle"));
	/* charts: an SVG per part, no inline style, names escaped */
	{
		int svgs = 0;

		for (p = res.body.buf; (p = strstr(p, "<svg ")) != NULL; p++)
			svgs++;
		assert_int_equal(svgs, 6);
	}
	assert_null(strstr(res.body.buf, "style="));
	assert_null(strstr(res.body.buf, "img-<b>"));
	assert_non_null(strstr(res.body.buf, "img-&lt;b&gt;"));
	json_decref(out);
	t_resp_free(&res);
}

/* ---- the HTML writer ---- */

static void
test_html(void **state)
{
	struct strbuf out = STRBUF_INIT;

	(void)state;
	html_f(&out, "<p title=\"%s\">%s</p>", "a\"b'c", "<script>alert(1)"
	    "</script>&amp;");
	assert_string_equal(out.buf, "<p title=\"a&quot;b&#39;c\">&lt;script&gt;"
	    "alert(1)&lt;/script&gt;&amp;amp;</p>");
	strbuf_reset(&out);
	html_f(&out, "<a href=\"/admin/users?search=%u&amp;x=1\">", "a b&c=d/é<");
	assert_string_equal(out.buf, "<a href=\"/admin/users?search="
	    "a%20b%26c%3Dd%2F%C3%A9%3C&amp;x=1\">");
	strbuf_reset(&out);
	html_f(&out, "%m|%m|%m", 1250LL, "USD", -5LL, "USD", 150000LL, "JPY");
	assert_string_equal(out.buf, "12.50 USD|-0.05 USD|150000 JPY");
	strbuf_reset(&out);
	html_f(&out, "%d %l %z %% %q %s|%H", -3, 9000000000LL, (size_t)7,
	    (const char *)NULL, "<b>trusted</b>");
	assert_string_equal(out.buf, "-3 9000000000 7 % %q |<b>trusted</b>");
	strbuf_reset(&out);
	html_text(&out, "<&>");
	html_textn(&out, "\"'x", 2);
	assert_string_equal(out.buf, "&lt;&amp;&gt;&quot;&#39;");
	strbuf_release(&out);
}

/* ---- the database role ---- */

static void
test_api_role(void **state)
{
	struct t_resp res;
	char *tok;

	(void)state;
	/* tally-admin may run every function it needs: status calls
	 * tally_replicas(), made after 070 */
	tok = t_token("watcher", "read");
	assert_int_equal(t_http(&res, "GET", "/api/admin/status", tok, NULL,
	    NULL, NULL), 200);
	t_resp_free(&res);
	free(tok);
	assert_int_equal(t_qll("SELECT count(*) FROM pg_proc p JOIN pg_namespace"
	    " n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND"
	    " has_function_privilege('tally_admin', p.oid, 'execute') AND NOT"
	    " has_function_privilege('tally_admin_api', p.oid, 'execute')", NULL),
	    0);
	/* and cannot make an admin user, nor change one's password or role;
	 * nor may the report role read admin users, nor the CLI's role make
	 * sessions, nor tally-admin move a session to another user or
	 * make it younger: the privileges below held by none (any held,
	 * named) */
	assert_string_equal(t_q("SELECT coalesce(string_agg(concat_ws(' ', r, t,"
	    " c, p), ', '), 'none') FROM (VALUES"
	    " ('tally_admin_api', 'admin_users', NULL, 'INSERT'),"
	    " ('tally_admin_api', 'admin_users', 'password_hash', 'UPDATE'),"
	    " ('tally_admin_api', 'admin_users', 'role', 'UPDATE'),"
	    " ('tally_admin_api', 'admin_users', 'created_by', 'SELECT'),"
	    " ('tally_admin_api', 'admin_sessions', 'user_id', 'UPDATE'),"
	    " ('tally_admin_api', 'admin_sessions', 'created_at', 'UPDATE'),"
	    " ('tally_report', 'admin_users', NULL, 'SELECT'),"
	    " ('tally_admin', 'admin_sessions', NULL, 'INSERT')) v(r, t, c, p)"
	    " WHERE CASE WHEN c IS NULL THEN has_table_privilege(r, t, p)"
	    " ELSE has_column_privilege(r, t, c, p) END", NULL), "none");
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, t_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html),
		T(test_login),
		T(test_secure_cookie),
		T(test_rate_limit),
		T(test_logged_out),
		T(test_session_ends),
		T(test_csrf_logout),
		T(test_api_role),
		T(test_dashboard),
		T(test_read_role),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
