/*
 * test_panel_pages.c - the browser panel's pages (panel_pages*.c) over
 * real HTTP on loopback and a real database, logged in as panel admin
 * users: every page answers with its content; every change form works,
 * answers 303 with a notice and is audited as admin:NAME; a refused
 * change shows the page again with the operation's message and status;
 * typed text comes back escaped; a read user sees no change forms and
 * its POST is refused; users sort by each of their columns both ways;
 * the logs page within a filter; a report file downloads as written and
 * an unknown one is refused.
 */
#include "base/fsutil.h"
#include "ops/assignment.h"
#include "pg/audit.h"
#include "pg/db.h"
#include "support/admin_test.h"
#include "support/fixture_sql.h"

#define PW "correct horse battery"

static char c_admin[200], c_write[200], c_read[200];

static int
setup(void **state)
{
	t_setup(state);
	t_admin_user("ann", "admin", PW);
	t_admin_user("wes", "write", PW);
	t_admin_user("rita", "read", PW);
	t_panel_login("ann", PW, c_admin, sizeof(c_admin));
	t_panel_login("wes", PW, c_write, sizeof(c_write));
	t_panel_login("rita", PW, c_read, sizeof(c_read));
	return 0;
}

/* GET path with cookie; the status.  The body is in *res. */
static long
get(const char *cookie, const char *path, struct t_resp *res)
{
	return t_http(res, "GET", path, NULL, NULL, NULL, cookie, NULL);
}

/* The page's main part, for a failure's message. */
static const char *
main_of(const struct t_resp *res)
{
	const char *m = strstr(strbuf_str(&res->body), "<main>");

	return m != NULL ? m : strbuf_str(&res->body);
}

/* GET path and check it answers 200 holding each of the NULL-ended
 * strings. */
static void
page_has(const char *cookie, const char *path, ...)
{
	struct t_resp res;
	const char *s;
	va_list ap;

	if (get(cookie, path, &res) != 200)
		fail_msg("GET %s: %ld %s", path, res.status, main_of(&res));
	va_start(ap, path);
	while ((s = va_arg(ap, const char *)) != NULL)
		if (strstr(strbuf_str(&res.body), s) == NULL)
			fail_msg("GET %s: no '%s' in %s", path, s, main_of(&res));
	va_end(ap);
	t_resp_free(&res);
}

/* POST the form body (without csrf: added, the session's) to path as
 * cookie's user; the status, the answer in *res. */
static long
post(const char *cookie, const char *path, const char *body,
    struct t_resp *res)
{
	struct strbuf b = STRBUF_INIT;
	struct t_resp page;
	long st;

	assert_int_equal(get(cookie, "/admin/reports", &page), 200);
	strbuf_addf(&b, "csrf=%s&%s", t_csrf_of(&page), body);
	t_resp_free(&page);
	st = t_http(res, "POST", path, NULL, T_FORM, b.buf, cookie, NULL);
	strbuf_release(&b);
	return st;
}

/* POST a change that must work: 303 to location, audited as action by
 * actor (that many rows of it then). */
static void
change(const char *cookie, const char *path, const char *body,
    const char *location, const char *action, const char *actor, long rows)
{
	struct t_resp res;
	char key[256];

	if (post(cookie, path, body, &res) != 303)
		fail_msg("POST %s: %ld %s", path, res.status, main_of(&res));
	assert_string_equal(t_header(&res, "Location"), location);
	t_resp_free(&res);
	/* one parameter: the action and the actor, as the row joins them */
	snprintf(key, sizeof(key), "%s admin:%s", action, actor);
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log WHERE"
	    " action || ' ' || actor = $1", key), rows);
}

/* POST a change that must be refused with status, the page again
 * holding text (NULL: any); nothing of it audited. */
static void
refused(const char *cookie, const char *path, const char *body, long status,
    const char *text)
{
	struct t_resp res;

	if (post(cookie, path, body, &res) != status)
		fail_msg("POST %s: %ld, want %ld: %s", path, res.status, status,
		    main_of(&res));
	if (text != NULL && strstr(strbuf_str(&res.body), text) == NULL)
		fail_msg("POST %s: no '%s' in %s", path, text, main_of(&res));
	t_resp_free(&res);
}

/* ---- fixtures ---- */

static void
pool(void)
{
	struct ops_assignment_req req = { .account = "1",
	    .customer = "cust@x.io", .days = 3 };
	struct ops o;
	json_t *out = NULL;

	t_x("INSERT INTO pool_accounts (email, max_seats, note) VALUES"
	    " ('pool1@x.io', 5, 'first'), ('pool2@x.io', NULL, 'second')");
	ops_init(&o, t_db, "test", false);
	for (int i = 0; i < 3; i++)
		if (ops_assignment_assign(&o, &req, &out) != 0)
			fail_msg("assign: %s", strbuf_str(&o.err));
		else {
			json_decref(out);
			req.customer = i == 0 ? "two@x.io" : "three@x.io";
		}
	ops_release(&o);
}

static void
sales(void)
{
	/* each sort its own order: balance 1 3 2, registered 2 3 1, last
	 * login 3 1 2, email 2 1 3 (oldest, lowest, first first) */
	t_x("INSERT INTO app_users (external_id, email, registered_at,"
	    " last_login_at) VALUES"
	    " ('u_1', 'low@x.io', now() - interval '1 day',"
	    "  now() - interval '2 hours'),"
	    " ('u_2', 'high@x.io', now() - interval '3 days',"
	    "  now() - interval '1 hour'),"
	    " ('u_3', 'mid@x.io', now() - interval '2 days',"
	    "  now() - interval '3 hours');"
	    "INSERT INTO credit_ledger (user_id, delta, kind, ref) VALUES"
	    " (1, 5, 'PURCHASE', 'o1'), (2, 500, 'PURCHASE', 'o2'),"
	    " (3, 50, 'PURCHASE', 'o3');"
	    "INSERT INTO models (name, credit_cost) VALUES ('flux', 2);"
	    "INSERT INTO usage_events (event_id, user_id, model_id, kind,"
	    " started_at, duration_ms, credits, status)"
	    " SELECT 'e1', 1, id, 'generate', date_trunc('second', now()) -"
	    " interval '1 hour', 1234, 2, 'ok' FROM models;"
	    T_SQL_HELD_ORDER
	    "INSERT INTO reconcile_cases (category, fingerprint, keys, status,"
	    " severity, first_seen, last_seen) VALUES"
	    " ('PAID_NOT_FULFILLED', 'f1', '{}', 'OPEN', 'error', now(), now()),"
	    " ('MISSING_IN_SETTLEMENT', 'f2', '{}', 'OPEN', 'warning', now(),"
	    "  now())");
}

/* A report file in the configured report_dir, recorded as a run's
 * output; its path in path. */
static void
report_file(struct strbuf *path, const char *name, const char *text)
{
	char hex[65];
	FILE *f;

	strbuf_addf(path, "%s/reports/%s", t_dir, name);
	f = fopen(path->buf, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(fsutil_sha256_file(path->buf, false, hex, NULL), 0);
	t_record_report("2026-W48", path->buf, hex);
}

/* ---- the pages ---- */

static void
test_pages(void **state)
{
	struct strbuf path = STRBUF_INIT;
	struct t_resp res;

	(void)state;
	pool();
	sales();
	report_file(&path, "weekly-2026-W48.csv", "sheet,rows\n");
	page_has(c_admin, "/admin/accounts", "<h1>Accounts</h1>",
	    "<tr id=\"account-1\">", "pool2@x.io", "class=\"suspend\"",
	    "action=\"/admin/accounts/1/suspend\" class=\"suspend\" "
	    "data-confirm=\"Suspend this account?",
	    "action=\"/admin/accounts/import\"", "name=\"csv\"",
	    "name=\"file\"", NULL);
	page_has(c_admin, "/admin/accounts?status=SUSPENDED", "Nothing to show",
	    NULL);
	page_has(c_admin, "/admin/assignments", "cust@x.io", "three@x.io",
	    "action=\"/admin/assignments/1/extend\" class=\"extend\">",
	    "class=\"revoke\" data-confirm=\"Revoke this assignment?",
	    "class=\"release\" data-confirm=\"Release this assignment?", NULL);
	page_has(c_admin, "/admin/assignments?ending=7", "Assignments ending soon",
	    "cust@x.io", NULL);
	page_has(c_admin, "/admin/assignments?ending=1", "Nothing to show", NULL);
	page_has(c_admin, "/admin/orders?view=held", "pi_held", "UNDERPAID",
	    "class=\"approve\"", NULL);
	page_has(c_admin, "/admin/orders", "Paid, unfulfilled orders", NULL);
	page_has(c_admin, "/admin/users", "<tr id=\"user-2\">", "high@x.io",
	    "<td class=\"balance num\">500</td>", "data-sort=\"balance\"",
	    "href=\"/admin/users/2\"", NULL);
	page_has(c_admin, "/admin/users?search=mid", "mid@x.io", NULL);
	page_has(c_admin, "/admin/users/2", "high@x.io", "PURCHASE",
	    "action=\"/admin/users/2/credit\"", "action=\"/admin/users/2/status\"",
	    "<dd class=\"status\">active</dd>", NULL);
	page_has(c_admin, "/admin/models", "flux", "<td class=\"calls num\">1</td>",
	    "<td class=\"avg_ms num\">1234.0</td>", "action=\"/admin/models/flux\"",
	    NULL);
	/* the last call, as the database tells its time */
	{
		char last[128];

		snprintf(last, sizeof(last), "<td class=\"last_used\">%s</td>",
		    t_q("SELECT max(started_at)::text FROM usage_events", NULL));
		page_has(c_admin, "/admin/models", last, NULL);
	}
	page_has(c_admin, "/admin/reports", "weekly-2026-W48.csv",
	    "href=\"/admin/reports/weekly-2026-W48.csv\"", "2026-W48", NULL);
	page_has(c_admin, "/admin/cases", "PAID_NOT_FULFILLED", "class=\"accept\"",
	    NULL);
	page_has(c_admin, "/admin/cases?severity=warning", "MISSING_IN_SETTLEMENT",
	    NULL);
	page_has(c_admin, "/admin/audit?actor=test", "assignment.assign", NULL);
	page_has(c_admin, "/admin/access?actor=admin:ann", "/admin/cases", NULL);
	/* the pages are the panel's: its headers */
	assert_int_equal(get(c_admin, "/admin/users", &res), 200);
	assert_non_null(strstr(t_header(&res, "Content-Security-Policy"),
	    "default-src 'none'"));
	assert_string_equal(t_header(&res, "X-Frame-Options"), "DENY");
	t_resp_free(&res);
	/* a filter the operation refuses: the page, with its message */
	assert_int_equal(get(c_admin, "/admin/cases?severity=fatal", &res), 400);
	assert_non_null(strstr(res.body.buf, "severity must be"));
	t_resp_free(&res);
	/* logged out: to the login page */
	assert_int_equal(get(NULL, "/admin/users?sort=balance", &res), 303);
	assert_string_equal(t_header(&res, "Location"),
	    "/admin/login?next=%2Fadmin%2Fusers%3Fsort%3Dbalance");
	t_resp_free(&res);
	strbuf_release(&path);
}

/* ---- the changes ---- */

static void
test_pool_changes(void **state)
{
	static const char mp[] = "--XyZ\r\nContent-Disposition: form-data; "
	    "name=\"csrf\"\r\n\r\n%s\r\n--XyZ\r\nContent-Disposition: form-data; "
	    "name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n"
	    "email,note\r\nfile1@x.io,from a file\r\n\r\n--XyZ--\r\n";
	struct t_resp res, page;
	char body[1024];

	(void)state;
	pool();
	/* a note with markup is kept as typed and shown as text */
	change(c_write, "/admin/accounts/1/suspend",
	    "note=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/admin/accounts",
	    "account.suspend", "wes", 1);
	assert_string_equal(t_q("SELECT status || note FROM pool_accounts"
	    " WHERE id = 1", NULL), "SUSPENDED<script>alert(1)</script>");
	assert_int_equal(get(c_write, "/admin/accounts", &res), 200);
	assert_null(strstr(res.body.buf, "<script>alert"));
	assert_non_null(strstr(res.body.buf, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(res.body.buf, "<p class=\"notice\""));
	assert_non_null(strstr(res.body.buf, "class=\"reactivate\""));
	t_resp_free(&res);
	/* suspended already: the page again, with why, 422 */
	assert_int_equal(post(c_write, "/admin/accounts/1/suspend", "note=x",
	    &res), 422);
	assert_non_null(strstr(res.body.buf, "<div class=\"error\" role=\"alert\">"));
	assert_non_null(strstr(res.body.buf, "<h1>Accounts</h1>"));
	t_resp_free(&res);
	change(c_write, "/admin/accounts/1/reactivate", "note=back",
	    "/admin/accounts", "account.reactivate", "wes", 1);
	change(c_write, "/admin/accounts", "email=new%40x.io&max_seats=3&note=n",
	    "/admin/accounts", "account.add", "wes", 1);
	assert_string_equal(t_q("SELECT max_seats FROM pool_accounts WHERE"
	    " email = 'new@x.io'", NULL), "3");
	/* import: the textarea, then a file (multipart) */
	change(c_write, "/admin/accounts/import",
	    "csv=email%2Cmax_seats%0Aa1%40x.io%2C2%0Aa2%40x.io%2C%0A",
	    "/admin/accounts", "account.import", "wes", 2);
	assert_int_equal(get(c_write, "/admin/accounts", &page), 200);
	snprintf(body, sizeof(body), mp, t_csrf_of(&page));
	t_resp_free(&page);
	assert_int_equal(t_http(&res, "POST", "/admin/accounts/import", NULL,
	    "multipart/form-data; boundary=XyZ", body, c_write, NULL), 303);
	t_resp_free(&res);
	assert_string_equal(t_q("SELECT note FROM pool_accounts WHERE email ="
	    " 'file1@x.io'", NULL), "from a file");
	/* a bad line: nothing imported, every line named */
	refused(c_write, "/admin/accounts/import",
	    "csv=email%0Aok%40x.io%0Anot-an-email%0A", 400, "line 3");
	assert_int_equal(t_qll("SELECT count(*) FROM pool_accounts WHERE email ="
	    " 'ok@x.io'", NULL), 0);

	/* assignments: extend, revoke, release */
	change(c_write, "/admin/assignments/1/extend", "days=10",
	    "/admin/assignments", "assignment.extend", "wes", 1);
	refused(c_write, "/admin/assignments/1/extend", "days=x", 400,
	    "days must be");
	change(c_write, "/admin/assignments/2/revoke", "reason=abuse",
	    "/admin/assignments", "assignment.revoke", "wes", 1);
	change(c_write, "/admin/assignments/3/release", "reason=",
	    "/admin/assignments", "assignment.release", "wes", 1);
	assert_string_equal(t_q("SELECT string_agg(status, ',' ORDER BY id) FROM"
	    " assignments", NULL), "ACTIVE,REVOKED,EXPIRED");
	refused(c_write, "/admin/assignments/2/revoke", "reason=again", 422, NULL);
	refused(c_write, "/admin/assignments/x/revoke", "reason=again", 404, NULL);
}

static void
test_other_changes(void **state)
{
	char until[32];

	(void)state;
	sales();
	change(c_write, "/admin/orders/1/approve", "reason=a+test+payment",
	    "/admin/orders?view=held", "order.approve", "wes", 1);
	refused(c_write, "/admin/orders/1/approve", "reason=again", 409,
	    "<h1>Held orders</h1>");

	change(c_admin, "/admin/users/1/credit", "delta=-3&reason=refund",
	    "/admin/users/1", "user.credit", "ann", 1);
	assert_int_equal(t_qll("SELECT sum(delta) FROM credit_ledger WHERE"
	    " user_id = 1", NULL), 2);
	/* the form carries an id of its own: sent twice (a double click, a
	 * resent form), it adjusts once */
	page_has(c_admin, "/admin/users/1",
	    "<input type=\"hidden\" name=\"request_id\" value=\"panel:", NULL);
	for (int i = 0; i < 2; i++)
		change(c_admin, "/admin/users/1/credit",
		    "delta=-3&reason=refund&request_id=panel%3Aonce",
		    "/admin/users/1", "user.credit", "ann", 2);
	assert_int_equal(t_qll("SELECT sum(delta) FROM credit_ledger WHERE"
	    " user_id = 1", NULL), -1);
	change(c_admin, "/admin/users/1/status",
	    "status=suspended&reason=%3Cb%3Echargeback%3C%2Fb%3E",
	    "/admin/users/1", "user.status", "ann", 1);
	page_has(c_admin, "/admin/users/1", "<dd class=\"status\">suspended</dd>",
	    "&lt;b&gt;chargeback&lt;/b&gt;", "Status set.", NULL);
	refused(c_admin, "/admin/users/1/status",
	    "status=suspended&reason=again", 422, "already");
	refused(c_admin, "/admin/users/1/credit", "delta=5", 400,
	    "reason is required");
	/* credits and status are admin's, as in the API */
	refused(c_write, "/admin/users/1/credit", "delta=5&reason=x", 403, NULL);

	change(c_admin, "/admin/models/flux", "active=false&credit_cost=7",
	    "/admin/models", "model.set", "ann", 1);
	assert_string_equal(t_q("SELECT active::text || credit_cost FROM models"
	    " WHERE name = 'flux'", NULL), "false7");

	snprintf(until, sizeof(until), "%s", t_q("SELECT (current_date + 7)::text",
	    NULL));
	{
		char body[128];

		snprintf(body, sizeof(body), "until=%s&reason=known+gap", until);
		change(c_write, "/admin/cases/2/accept", body, "/admin/cases",
		    "case.accept", "wes", 1);
	}
	assert_string_equal(t_q("SELECT status || accepted_note FROM"
	    " reconcile_cases WHERE id = 2", NULL), "ACCEPTEDknown gap");
	assert_string_equal(t_q("SELECT accepted_until::text FROM"
	    " reconcile_cases WHERE id = 2", NULL), until);
	refused(c_write, "/admin/cases/1/accept", "reason=", 400, NULL);
	page_has(c_admin, "/admin/audit?actor=admin:wes&entity=reconcile_case",
	    "case.accept", NULL);
}

/* A read user sees the pages without change forms; a POST is refused
 * and changes nothing. */
static void
test_read_user(void **state)
{
	struct t_resp res;

	(void)state;
	pool();
	sales();
	assert_int_equal(get(c_read, "/admin/accounts", &res), 200);
	assert_non_null(strstr(res.body.buf, "pool1@x.io"));
	assert_null(strstr(res.body.buf, "class=\"suspend\""));
	assert_null(strstr(res.body.buf, "/admin/accounts/import"));
	t_resp_free(&res);
	assert_int_equal(get(c_read, "/admin/users/1", &res), 200);
	assert_null(strstr(res.body.buf, "/admin/users/1/credit"));
	t_resp_free(&res);
	assert_int_equal(get(c_read, "/admin/cases", &res), 200);
	assert_null(strstr(res.body.buf, "class=\"accept\""));
	t_resp_free(&res);
	refused(c_read, "/admin/accounts/1/suspend", "note=x", 403, NULL);
	refused(c_read, "/admin/orders/1/approve", "reason=x", 403, NULL);
	assert_string_equal(t_q("SELECT status FROM pool_accounts WHERE id = 1",
	    NULL), "AVAILABLE");
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log WHERE actor ="
	    " 'admin:rita' AND action <> 'admin_session.login'", NULL), 0);
	/* the access log is admin's */
	assert_int_equal(get(c_read, "/admin/access", &res), 403);
	t_resp_free(&res);
	/* a write user's POST without the CSRF token never reaches the page */
	assert_int_equal(t_http(&res, "POST", "/admin/accounts/1/suspend", NULL,
	    T_FORM, "note=x", c_write, NULL), 403);
	t_resp_free(&res);
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log WHERE action ="
	    " 'account.suspend'", NULL), 0);
}

/* The position of user id's row in the page. */
static const char *
row(const struct t_resp *res, int id)
{
	char needle[32];
	const char *p;

	snprintf(needle, sizeof(needle), "<tr id=\"user-%d\">", id);
	p = strstr(res->body.buf, needle);
	assert_non_null(p);
	return p;
}

static void
test_sort_users(void **state)
{
	struct t_resp res;

	(void)state;
	sales();
	/* the header's link: by balance, lowest first */
	assert_int_equal(get(c_read, "/admin/users", &res), 200);
	assert_non_null(strstr(res.body.buf, "<a class=\"sort\" data-sort=\""
	    "balance\" href=\"/admin/users?search=&amp;sort=balance&amp;"
	    "order=asc\">"));
	t_resp_free(&res);
	assert_int_equal(get(c_read,
	    "/admin/users?search=&sort=balance&order=asc", &res), 200);
	assert_true(row(&res, 1) < row(&res, 3));
	assert_true(row(&res, 3) < row(&res, 2));
	/* clicked again, it turns round: highest first */
	assert_non_null(strstr(res.body.buf, "data-sort=\"balance\" href=\""
	    "/admin/users?search=&amp;sort=balance&amp;order=desc\""));
	t_resp_free(&res);
	assert_int_equal(get(c_read, "/admin/users?sort=balance&order=desc",
	    &res), 200);
	assert_true(row(&res, 2) < row(&res, 3));
	assert_true(row(&res, 3) < row(&res, 1));
	t_resp_free(&res);
	/* the operation's names of the columns work too */
	assert_int_equal(get(c_read, "/admin/users?sort=email", &res), 200);
	assert_true(row(&res, 2) < row(&res, 1));
	assert_true(row(&res, 1) < row(&res, 3));
	t_resp_free(&res);
	/* by registration and by last login, both ways, as the header links
	 * (registered_at, last_login_at) and the operation name them */
	assert_int_equal(get(c_read, "/admin/users?sort=registered_at&order=asc",
	    &res), 200);
	assert_true(row(&res, 2) < row(&res, 3));
	assert_true(row(&res, 3) < row(&res, 1));
	t_resp_free(&res);
	assert_int_equal(get(c_read, "/admin/users?sort=registered&order=desc",
	    &res), 200);
	assert_true(row(&res, 1) < row(&res, 3));
	assert_true(row(&res, 3) < row(&res, 2));
	t_resp_free(&res);
	assert_int_equal(get(c_read, "/admin/users?sort=last_login&order=asc",
	    &res), 200);
	assert_true(row(&res, 3) < row(&res, 1));
	assert_true(row(&res, 1) < row(&res, 2));
	t_resp_free(&res);
	assert_int_equal(get(c_read, "/admin/users?sort=last_login_at&order=desc",
	    &res), 200);
	assert_true(row(&res, 2) < row(&res, 1));
	assert_true(row(&res, 1) < row(&res, 3));
	t_resp_free(&res);
	assert_int_equal(get(c_read, "/admin/users?sort=name", &res), 400);
	assert_non_null(strstr(res.body.buf, "sort must be"));
	t_resp_free(&res);
}

/* The audit and access logs page: more rows than a page holds, page 2
 * kept to the filter, its pager's links keeping it too. */
static void
test_log_paging(void **state)
{
	struct t_resp res;
	char want[64];
	long long first, last;

	(void)state;
	/* 60 rows of one actor (a page holds 50), a few of another: written
	 * with their MACs, as every audit row must be once the keyed chain
	 * has begun (sql/095) */
	assert_int_equal(db_begin(t_db, DB_READ_COMMITTED), 0);
	for (int i = 1; i <= 63; i++) {
		char id[16];

		snprintf(id, sizeof(id), "%d", i <= 60 ? i : i - 60);
		assert_int_equal(audit_record(t_db, i <= 60 ? "seed" : "other",
		    i <= 60 ? "seed.step" : "other.step", "seed", id, NULL, NULL,
		    NULL), 0);
	}
	assert_int_equal(db_commit(t_db), 0);
	t_x("INSERT INTO admin_access_log (client, method, path, actor, status,"
	    " duration_us) SELECT '10.0.0.9', 'GET', '/admin/seen', 'admin:seed',"
	    " 200, 10 FROM generate_series(1, 60);"
	    "INSERT INTO admin_access_log (client, method, path, actor, status,"
	    " duration_us) SELECT '10.0.0.9', 'GET', '/admin/missing',"
	    " 'admin:seed', 404, 10 FROM generate_series(1, 3)");
	first = t_qll("SELECT min(id) FROM audit_log WHERE actor = 'seed'", NULL);
	last = t_qll("SELECT max(id) FROM audit_log WHERE actor = 'seed'", NULL);

	/* page 1, newest first: the next link keeps the filter */
	assert_int_equal(get(c_admin, "/admin/audit?actor=seed", &res), 200);
	assert_non_null(strstr(res.body.buf, "Page 1 of 2 (60 in all)"));
	assert_non_null(strstr(res.body.buf, "<a rel=\"next\" href=\""
	    "/admin/audit?actor=seed&amp;entity=&amp;action=&amp;page=2\">"));
	assert_null(strstr(res.body.buf, "rel=\"prev\""));
	snprintf(want, sizeof(want), "<tr id=\"audit-%lld\">", last);
	assert_non_null(strstr(res.body.buf, want));
	t_resp_free(&res);
	/* page 2: the oldest ten, none of the other actor's */
	assert_int_equal(get(c_admin, "/admin/audit?actor=seed&page=2", &res),
	    200);
	assert_non_null(strstr(res.body.buf, "Page 2 of 2 (60 in all)"));
	assert_non_null(strstr(res.body.buf, "<a rel=\"prev\" href=\""
	    "/admin/audit?actor=seed&amp;entity=&amp;action=&amp;page=1\">"));
	assert_null(strstr(res.body.buf, "rel=\"next\""));
	snprintf(want, sizeof(want), "<tr id=\"audit-%lld\">", first);
	assert_non_null(strstr(res.body.buf, want));
	snprintf(want, sizeof(want), "<tr id=\"audit-%lld\">", last);
	assert_null(strstr(res.body.buf, want));
	assert_null(strstr(res.body.buf, "other.step"));
	t_resp_free(&res);

	/* the access log by status: 404 only the missing page's */
	assert_int_equal(get(c_admin, "/admin/access?status=404", &res), 200);
	assert_non_null(strstr(res.body.buf, "/admin/missing"));
	assert_non_null(strstr(res.body.buf, "(3 in all)"));
	assert_null(strstr(res.body.buf, "/admin/seen"));
	t_resp_free(&res);
	/* 200: the seeded 60 and the panel's own pages; page 2 of them */
	assert_int_equal(get(c_admin, "/admin/access?status=200&page=2", &res),
	    200);
	assert_non_null(strstr(res.body.buf, "Page 2 of 2 ("));
	assert_non_null(strstr(res.body.buf, "<a rel=\"prev\" href=\""
	    "/admin/access?actor=&amp;status=200&amp;page=1\">"));
	assert_null(strstr(res.body.buf, "/admin/missing"));
	t_resp_free(&res);
	/* a status that is no number: refused with the page */
	assert_int_equal(get(c_admin, "/admin/access?status=ok", &res), 400);
	t_resp_free(&res);
}

static void
test_report_download(void **state)
{
	struct strbuf path = STRBUF_INIT;
	struct t_resp res;

	(void)state;
	report_file(&path, "weekly-2026-W48.csv", "sheet,rows\nsummary,3\n");
	assert_int_equal(get(c_read, "/admin/reports/weekly-2026-W48.csv", &res),
	    200);
	assert_string_equal(res.body.buf, "sheet,rows\nsummary,3\n");
	assert_string_equal(t_header(&res, "Content-Disposition"),
	    "attachment; filename=\"weekly-2026-W48.csv\"");
	t_resp_free(&res);
	/* only what the ops layer lists: an unknown name, a path */
	assert_int_equal(get(c_read, "/admin/reports/weekly-2026-W49.csv", &res),
	    404);
	assert_non_null(strstr(res.body.buf, "role=\"alert\""));
	t_resp_free(&res);
	assert_int_equal(get(c_read, "/admin/reports/..%2Ftally.conf", &res),
	    404);
	t_resp_free(&res);
	assert_int_equal(get(c_read, "/admin/reports/tally%20conf", &res), 400);
	t_resp_free(&res);
	/* a file changed after it was written is refused */
	{
		FILE *f = fopen(path.buf, "w");

		assert_non_null(f);
		fputs("tampered\n", f);
		fclose(f);
	}
	assert_int_equal(get(c_read, "/admin/reports/weekly-2026-W48.csv", &res),
	    422);
	t_resp_free(&res);
	strbuf_release(&path);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, t_teardown)
	const struct CMUnitTest tests[] = {
		T(test_pages),
		T(test_pool_changes),
		T(test_other_changes),
		T(test_read_user),
		T(test_sort_users),
		T(test_log_paging),
		T(test_report_download),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
