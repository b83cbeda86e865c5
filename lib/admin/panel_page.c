/*
 * panel_page.c - the panel's page frame (head, navigation, the user and
 * the logout form, the one-time notice), its headers, forms, redirects
 * and error boxes (panel.h).
 */
#include <string.h>

#include "admin/internal.h"
#include "admin/panel.h"
#include "base/err.h"
#include "base/version.h"
#include "ops/admin_user.h"

/* No inline script or style anywhere, so the policy needs no
 * 'unsafe-inline': charts are SVG with presentation attributes. */
#define PANEL_CSP "default-src 'none'; style-src 'self'; script-src 'self'; " \
	"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; " \
	"base-uri 'none'"

static const struct {
	const char *id, *path, *label;
} nav_items[] = {
	{ "dashboard", "/admin", "Dashboard" },
	{ "accounts", "/admin/accounts", "Accounts" },
	{ "assignments", "/admin/assignments", "Assignments" },
	{ "orders", "/admin/orders", "Orders" },
	{ "users", "/admin/users", "Users" },
	{ "models", "/admin/models", "Models" },
	{ "reports", "/admin/reports", "Reports" },
	{ "cases", "/admin/cases", "Cases" },
	{ "audit", "/admin/audit", "Audit log" },
	{ "access", "/admin/access", "Access log" },
};

void
panel_headers(struct admin_req *r)
{
	if (admin_header_set(r, "Content-Security-Policy"))
		return;
	admin_set_header(r, "Content-Security-Policy", PANEL_CSP);
	admin_set_header(r, "X-Frame-Options", "DENY");
	admin_set_header(r, "Referrer-Policy", "same-origin");
	if (!admin_header_set(r, "Cache-Control"))
		admin_set_header(r, "Cache-Control", "no-store");
}

static void
head(struct strbuf *out, const char *title)
{
	html_f(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<title>%s - tally</title>\n"
	    /* an empty icon: else the browser asks for /favicon.ico and
	     * logs the 404 as a console error on every page */
	    "<link rel=\"icon\" href=\"data:,\">\n"
	    "<link rel=\"stylesheet\" href=\"/admin/static/panel.css\">\n"
	    "<script src=\"/admin/static/panel.js\" defer></script>\n"
	    "</head>\n", title);
}

void
panel_bare_begin(struct strbuf *out, const char *title)
{
	head(out, title);
	html_f(out, "<body class=\"bare\">\n<header class=\"top\">"
	    "<a class=\"brand\" href=\"/admin\">tally</a></header>\n"
	    "<main>\n<h1>%s</h1>\n", title);
}

void
panel_page_begin(struct admin_req *r, struct strbuf *out, const char *nav,
    const char *title)
{
	head(out, title);
	html_f(out, "<body>\n<header class=\"top\">"
	    "<a class=\"brand\" href=\"/admin\">tally</a>\n"
	    "<nav aria-label=\"Sections\"><ul>\n");
	for (size_t i = 0; i < sizeof(nav_items) / sizeof(nav_items[0]); i++) {
		if (nav != NULL && strcmp(nav, nav_items[i].id) == 0)
			html_f(out, "<li><a id=\"nav-%s\" href=\"%s\" class=\"active\" "
			    "aria-current=\"page\">%s</a></li>\n", nav_items[i].id,
			    nav_items[i].path, nav_items[i].label);
		else
			html_f(out, "<li><a id=\"nav-%s\" href=\"%s\">%s</a></li>\n",
			    nav_items[i].id, nav_items[i].path, nav_items[i].label);
	}
	html_f(out, "</ul></nav>\n<div class=\"who\"><span class=\"user\">%s"
	    "</span> <span class=\"role\">%s</span>\n", r->who.name,
	    admin_role_name(r->who.role));
	panel_form_begin(r, out, "/admin/logout", "logout");
	html_f(out, "<button id=\"logout\" type=\"submit\">Log out</button>"
	    "</form></div>\n</header>\n<main>\n");
	if (r->priv->notice != NULL)
		html_f(out, "<p class=\"notice\" role=\"status\">%s</p>\n",
		    r->priv->notice);
	html_f(out, "<h1>%s</h1>\n", title);
}

void
panel_page_end(struct admin_req *r, struct strbuf *out)
{
	(void)r;
	html_f(out, "</main>\n<footer>tally %s</footer>\n</body>\n</html>\n",
	    TALLY_VERSION);
}

void
panel_send(struct admin_req *r, int status, struct strbuf *out)
{
	panel_headers(r);
	admin_answer(r, status, "text/html; charset=utf-8", out->buf != NULL ?
	    out->buf : "", out->len);
	strbuf_release(out);
}

void
panel_form_confirm(struct admin_req *r, struct strbuf *out, const char *action,
    const char *cls, const char *question)
{
	char csrf[65];

	panel_csrf_token(r, csrf);
	html_f(out, "<form method=\"post\" action=\"%s\"", action);
	if (cls != NULL)
		html_f(out, " class=\"%s\"", cls);
	if (question != NULL)
		html_f(out, " data-confirm=\"%s\"", question);
	html_f(out, "><input type=\"hidden\" name=\"csrf\" value=\"%s\">\n",
	    csrf);
}

void
panel_form_begin(struct admin_req *r, struct strbuf *out, const char *action,
    const char *cls)
{
	panel_form_confirm(r, out, action, cls, NULL);
}

/* A path under /admin, nothing that leaves it: no scheme, no host
 * ("//x"), no backslash a browser would read as a slash, no control. */
bool
panel_path_ok(const char *p)
{
	if (p == NULL || strncmp(p, "/admin", 6) != 0 ||
	    (p[6] != '\0' && p[6] != '/' && p[6] != '?'))
		return false;
	for (; *p != '\0'; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f || *p == '\\' ||
		    (p[0] == '/' && p[1] == '/'))
			return false;
	return true;
}

void
panel_redirect(struct admin_req *r, const char *location, const char *notice)
{
	struct strbuf body = STRBUF_INIT;

	if (!panel_path_ok(location))
		location = "/admin";
	if (notice != NULL && r->priv->session[0] != '\0') {
		struct ops_admin_session_req req = { .token = r->priv->session,
		    .notice = notice };

		/* a notice is a courtesy: the change is made whether it is
		 * kept or not */
		ops_admin_session_notice(&r->ops, &req);
	}
	admin_set_header(r, "Location", location);
	panel_bare_begin(&body, "See other");
	html_f(&body, "<p><a href=\"%s\">Continue</a></p>\n", location);
	panel_page_end(r, &body);
	panel_send(r, 303, &body);
}

void
panel_error_box(struct admin_req *r, struct strbuf *out, int rc)
{
	const json_t *e;
	size_t i;

	html_f(out, "<div class=\"error\" role=\"alert\"><p>%s</p>\n",
	    r->ops.err.len > 0 ? strbuf_str(&r->ops.err) : tally_strerror(rc));
	if (json_array_size(r->ops.errors) > 0) {
		html_f(out, "<ul>\n");
		json_array_foreach(r->ops.errors, i, e) {
			long long line = (long long)json_integer_value(
			    json_object_get(e, "line"));
			const char *field = json_string_value(json_object_get(e,
			    "field"));
			const char *msg = json_string_value(json_object_get(e,
			    "message"));

			if (line > 0)
				html_f(out, "<li>line %l: %s</li>\n", line, msg);
			else if (field != NULL)
				html_f(out, "<li>%s: %s</li>\n", field, msg);
			else
				html_f(out, "<li>%s</li>\n", msg);
		}
		html_f(out, "</ul>\n");
	}
	html_f(out, "</div>\n");
}
