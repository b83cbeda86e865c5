/*
 * panel.c - the browser panel's face (panel.h): its own routes (login,
 * logout, the dashboard, the static files), the session cookie, the CSRF
 * check and the failure page.
 *
 * Sessions (lib/ops/admin_session.c): the cookie tally_session holds a
 * random 256-bit token, HttpOnly (no script reads it), SameSite=Strict
 * (no other site's page sends it), Path=/admin, Secure under TLS or
 * admin_secure_cookies.  A cookie that names no live session is no
 * credential at all (ADMIN_AUTH_NONE): a stale one is common and a
 * guess of 256 bits is hopeless, so neither counts against the address;
 * login attempts do, counted before the password is checked and taken
 * back when it holds (admin_auth_try, admin_auth_forgive).
 *
 * CSRF: every form carries HMAC-SHA256(session token, "csrf"), checked
 * for every POST of a logged-in session once the body is in and before
 * any handler (request.c runs priv->body_check).  SameSite=Strict alone
 * would stop most forgeries; the token stops them in browsers without
 * it, and from a sibling site under the same registrable domain.  The
 * login form, sent before there is a session, is keyed the same way by
 * a random pre-login cookie (tally_login) that the login page sets.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "admin/internal.h"
#include "admin/panel.h"
#include "base/err.h"
#include "base/hex.h"
#include "base/log.h"
#include "ops/admin_user.h"
#include "pg/embedded.h"

#define COOKIE "tally_session"
#define LOGIN_COOKIE "tally_login"

/* ---- the session ---- */

/* HMAC-SHA256(key, what) in hex; "" when key is empty. */
static void
csrf_of(const char *key, const char *what, char hex[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	hex[0] = '\0';
	if (key[0] == '\0' || HMAC(EVP_sha256(), key, (int)strlen(key),
	    (const unsigned char *)what, strlen(what), mac, &n) == NULL ||
	    n != 32)
		return;
	hex_encode(mac, n, hex);
	OPENSSL_cleanse(mac, sizeof(mac));
}

/* Whether a form's token got is want, in time that does not tell how
 * much of it matched. */
static bool
csrf_equal(const char *got, const char *want)
{
	return want[0] != '\0' && got != NULL && strlen(got) == 64 &&
	    CRYPTO_memcmp(got, want, 64) == 0;
}

void
panel_csrf_token(const struct admin_req *r, char hex[65])
{
	csrf_of(r->priv->session, "tally panel csrf", hex);
}

/* The value of cookie name in the Cookie header into buf ("" if none). */
static void
cookie_value(struct admin_req *r, const char *name, char *buf, size_t n)
{
	const char *h = admin_header(r, "Cookie", NULL), *p;
	size_t nlen = strlen(name);

	buf[0] = '\0';
	for (p = h; p != NULL && *p != '\0'; ) {
		size_t len;

		while (*p == ' ' || *p == ';')
			p++;
		len = strcspn(p, ";");
		if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			if (len - nlen - 1 < n)
				snprintf(buf, n, "%.*s", (int)(len - nlen - 1),
				    p + nlen + 1);
			return;
		}
		p += len;
	}
}

static bool
csrf_check(struct admin_req *r)
{
	char want[65];
	const char *got = panel_field(r, "csrf", NULL);

	panel_csrf_token(r, want);
	if (csrf_equal(got, want))
		return true;
	admin_fail(r, 403, "this form's security token is missing or no longer "
	    "valid: reload the page and send it again");
	return false;
}

int
panel_authenticate(struct admin_req *r, struct admin_who *who)
{
	const struct config *cfg = admin_config(r);
	struct ops_admin_session_req req = { 0 };
	char token[80];
	const json_t *item;
	json_t *out = NULL;
	int rc;

	memset(who, 0, sizeof(*who));
	cookie_value(r, COOKIE, token, sizeof(token));
	if (!ops_admin_session_token_ok(token))
		return ADMIN_AUTH_NONE;
	req.token = token;
	req.idle = cfg->admin_session_idle;
	req.max = cfg->admin_session_max;
	rc = ops_admin_session_touch(&r->ops, &req, &out);
	if (rc == TALLY_ENOTFOUND)
		return ADMIN_AUTH_NONE;
	if (rc != 0) {
		log_err("checking a panel session: %s", strbuf_str(&r->ops.err));
		return rc;
	}
	item = json_object_get(out, "item");
	snprintf(who->name, sizeof(who->name), "%s",
	    json_string_value(json_object_get(item, "name")));
	snprintf(who->actor, sizeof(who->actor), "admin:%s", who->name);
	snprintf(who->scope, sizeof(who->scope), "admin:%lld",
	    (long long)json_integer_value(json_object_get(item, "id")));
	who->role = admin_role_parse(json_string_value(json_object_get(item,
	    "role")));
	if (json_is_string(json_object_get(item, "notice")))
		r->priv->notice = xstrdup(json_string_value(json_object_get(item,
		    "notice")));
	memcpy(r->priv->session, token, OPS_SESSION_TOKEN_LEN + 1);
	OPENSSL_cleanse(token, sizeof(token));
	/* every change (the panel's are POSTs) carries the token */
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
		r->priv->body_check = csrf_check;
	json_decref(out);
	return 0;
}

static void
set_cookie(struct admin_req *r, const char *name, const char *value,
    bool clear)
{
	struct strbuf c = STRBUF_INIT;
	bool secure = admin_tls(r) || admin_config(r)->admin_secure_cookies;

	strbuf_addf(&c, "%s=%s; Path=/admin; HttpOnly; SameSite=Strict%s%s",
	    name, value, secure ? "; Secure" : "", clear ? "; Max-Age=0" : "");
	admin_set_header(r, "Set-Cookie", c.buf);
	OPENSSL_cleanse(c.buf, c.len);
	strbuf_release(&c);
}

/* ---- failures ---- */

void
panel_fail(struct admin_req *r, int status, const char *detail,
    const char *field, const json_t *errors)
{
	struct strbuf out = STRBUF_INIT, loc = STRBUF_INIT;
	const json_t *e;
	size_t i;

	(void)field;
	if (status == 401 && (strcmp(r->method, "GET") == 0 ||
	    strcmp(r->method, "HEAD") == 0)) {
		strbuf_addstr(&loc, "/admin/login");
		if (panel_path_ok(r->target) && strcmp(r->target, "/admin") != 0) {
			strbuf_addstr(&loc, "?next=");
			html_url_encode(&loc, r->target);
		}
		admin_set_header(r, "Location", loc.buf);
		strbuf_release(&loc);
		status = 303;
		detail = "Please log in.";
	}
	panel_bare_begin(&out, status == 303 ? "Log in" : status == 401 ?
	    "Not logged in" : status == 403 ? "Not allowed" : status == 404 ?
	    "Not found" : status == 429 ? "Too many attempts" : "Something "
	    "went wrong");
	html_f(&out, "<div class=\"error\" role=\"alert\"><p>%s</p>\n", detail);
	json_array_foreach(errors, i, e)
		html_f(&out, "<p>%s</p>\n", json_string_value(json_object_get(e,
		    "message")));
	html_f(&out, "</div>\n<p><a href=\"%s\">%s</a></p>\n",
	    status == 401 || status == 303 ? "/admin/login" : "/admin",
	    status == 401 || status == 303 ? "Log in" : "Back to the dashboard");
	panel_page_end(r, &out);
	panel_send(r, status, &out);
}

/* ---- login and logout ---- */

/*
 * The login form's CSRF token: HMAC-SHA256 keyed by the pre-login cookie
 * tally_login, 256 random bits the login page sets when the browser has
 * none (HttpOnly, SameSite=Strict, Path=/admin like the session's).  A
 * page on another site can neither read the cookie nor so compute the
 * token, so a login form it posts is refused before the attempt counts
 * or a password is hashed.
 */
#define LOGIN_CSRF "tally panel login csrf"

static void
login_page(struct admin_req *r, int status, const char *next,
    const char *name, const char *message)
{
	struct strbuf out = STRBUF_INIT;
	char pre[80], csrf[65];

	cookie_value(r, LOGIN_COOKIE, pre, sizeof(pre));
	if (!ops_admin_session_token_ok(pre)) {
		if (ops_admin_session_token_make(pre) != 0) {
			admin_fail(r, 503, "no random numbers for the login "
			    "form just now: try again");
			return;
		}
		set_cookie(r, LOGIN_COOKIE, pre, false);
	}
	csrf_of(pre, LOGIN_CSRF, csrf);
	OPENSSL_cleanse(pre, sizeof(pre));
	panel_bare_begin(&out, "Log in");
	if (message != NULL)
		html_f(&out, "<div class=\"error\" role=\"alert\"><p>%s</p></div>\n",
		    message);
	html_f(&out, "<form id=\"login\" method=\"post\" action=\"/admin/login\">\n"
	    "<label for=\"name\">Name</label>\n"
	    "<input id=\"name\" name=\"name\" autocomplete=\"username\" "
	    "required value=\"%s\">\n"
	    "<label for=\"password\">Password</label>\n"
	    "<input id=\"password\" name=\"password\" type=\"password\" "
	    "autocomplete=\"current-password\" required>\n"
	    "<input type=\"hidden\" name=\"next\" value=\"%s\">\n"
	    "<input type=\"hidden\" name=\"csrf\" value=\"%s\">\n"
	    "<button type=\"submit\">Log in</button>\n</form>\n",
	    name != NULL ? name : "", panel_path_ok(next) ? next : "/admin",
	    csrf);
	panel_page_end(r, &out);
	panel_send(r, status, &out);
}

static void
login_get(struct admin_req *r)
{
	login_page(r, 200, admin_query(r, "next"), NULL, NULL);
}

/*
 * A login form posted from another site's page is refused (login CSRF
 * would log a victim into the attacker's account): by its token
 * (login_page), and as a second wall by where browsers say a request
 * comes from: Sec-Fetch-Site, and in older ones Origin, held against
 * Host (behind a proxy that rewrites Host, only the former holds:
 * docs/DEPLOY.md has the proxy keep Host).  The second wall also stands
 * where the first does not: a sibling site under the same domain may
 * plant a tally_login cookie of its own choosing.
 */
static bool
login_token_ok(struct admin_req *r)
{
	char pre[80], want[65];

	cookie_value(r, LOGIN_COOKIE, pre, sizeof(pre));
	want[0] = '\0';
	if (ops_admin_session_token_ok(pre))
		csrf_of(pre, LOGIN_CSRF, want);
	OPENSSL_cleanse(pre, sizeof(pre));
	return csrf_equal(panel_field(r, "csrf", NULL), want);
}

static bool
same_origin(struct admin_req *r)
{
	const char *site = admin_header(r, "Sec-Fetch-Site", NULL);
	const char *origin = admin_header(r, "Origin", NULL);
	const char *host = admin_header(r, "Host", NULL);
	const char *o;

	if (site != NULL)
		return strcmp(site, "same-origin") == 0 || strcmp(site, "none") == 0;
	if (origin == NULL)
		return true;
	if (host == NULL || (o = strstr(origin, "://")) == NULL)
		return false;
	return strcasecmp(o + 3, host) == 0;
}

static void
login_post(struct admin_req *r)
{
	const struct config *cfg = admin_config(r);
	struct ops_admin_session_req req = { 0 };
	const char *next = panel_field(r, "next", NULL);
	const json_t *item;
	json_t *out = NULL;
	char wait[24], msg[160];
	long secs;
	int rc;

	/* before admin_auth_try: a forged form costs no attempt, no hash */
	if (!same_origin(r)) {
		admin_fail(r, 403, "this login form was sent from another site");
		return;
	}
	if (!login_token_ok(r)) {
		admin_fail(r, 403, "this login form's security token is missing "
		    "or no longer valid: reload the login page and log in again");
		return;
	}
	req.name = panel_field(r, "name", NULL);
	req.password = panel_field(r, "password", NULL);
	if ((secs = admin_auth_try(r)) > 0) {
		snprintf(wait, sizeof(wait), "%ld", secs);
		admin_set_header(r, "Retry-After", wait);
		snprintf(msg, sizeof(msg), "Too many failed logins from this "
		    "address: wait %ld s, then try again.", secs);
		login_page(r, 429, next, req.name, msg);
		return;
	}
	req.client = r->client;
	req.idle = cfg->admin_session_idle;
	req.max = cfg->admin_session_max;
	rc = ops_admin_session_create(&r->ops, &req, &out);
	if (rc == TALLY_EREFUSED) {
		/* counted already, by admin_auth_try() */
		login_page(r, 401, next, req.name, "The name or the password is "
		    "not right.");
		return;
	}
	/* what is not a wrong password (the database away) is no guess */
	admin_auth_forgive(r);
	if (rc != 0) {
		admin_fail_ops(r, rc);
		return;
	}
	item = json_object_get(out, "item");
	snprintf(r->who.name, sizeof(r->who.name), "%s",
	    json_string_value(json_object_get(item, "name")));
	snprintf(r->who.actor, sizeof(r->who.actor), "admin:%s", r->who.name);
	set_cookie(r, COOKIE, json_string_value(json_object_get(out, "token")),
	    false);
	json_decref(out);
	panel_redirect(r, panel_path_ok(next) ? next : "/admin", NULL);
}

static void
logout_post(struct admin_req *r)
{
	struct ops_admin_session_req req = { .token = r->priv->session };
	json_t *out = NULL;
	int rc;

	rc = ops_admin_session_end(&r->ops, &req, &out);
	json_decref(out);
	if (rc != 0 && rc != TALLY_ENOTFOUND) {
		admin_fail_ops(r, rc);
		return;
	}
	set_cookie(r, COOKIE, "", true);
	r->priv->session[0] = '\0';
	panel_redirect(r, "/admin/login", NULL);
}

/* ---- static files, compiled in ---- */

static void
static_file(struct admin_req *r, const char *name, const char *ctype)
{
	for (const struct embedded_file *f = embedded_files; f->name != NULL;
	    f++)
		if (strcmp(f->name, name) == 0) {
			/* no data in them: a browser may keep them a while */
			admin_set_header(r, "Cache-Control", "max-age=600");
			panel_headers(r);
			admin_answer(r, 200, ctype, f->data, f->len);
			return;
		}
	admin_fail(r, 404, "%s is not in this build", name);
}

static void
static_css(struct admin_req *r)
{
	static_file(r, "lib/admin/static/panel.css", "text/css; charset=utf-8");
}

static void
static_js(struct admin_req *r)
{
	static_file(r, "lib/admin/static/panel.js",
	    "text/javascript; charset=utf-8");
}

static const struct admin_route panel_routes[] = {
	{ "GET", "/admin", ADMIN_ROLE_READ, 0, panel_dashboard, NULL, NULL },
	{ "GET", "/admin/", ADMIN_ROLE_READ, 0, panel_dashboard, NULL, NULL },
	{ "GET", "/admin/login", ADMIN_ROLE_NONE, 0, login_get, NULL, NULL },
	{ "POST", "/admin/login", ADMIN_ROLE_NONE, 0, login_post,
	  NULL, NULL },
	{ "POST", "/admin/logout", ADMIN_ROLE_READ, 0, logout_post,
	  NULL, NULL },
	{ "GET", "/admin/static/panel.css", ADMIN_ROLE_NONE, 0, static_css,
	  NULL, NULL },
	{ "GET", "/admin/static/panel.js", ADMIN_ROLE_NONE, 0, static_js, NULL,
	  NULL },
	{ NULL, NULL, ADMIN_ROLE_NONE, 0, NULL, NULL, NULL }
};

const struct admin_face admin_panel_face = {
	"panel", "/admin", panel_routes, panel_authenticate, panel_fail
};
