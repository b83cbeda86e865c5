/*
 * panel_pages.c - the browser panel's pages but the dashboard, as one
 * face (admin_panel_pages_face) beside panel.c's: the same prefix,
 * session and failure page, so to a browser they are one panel.  Here:
 * the route table, and what every page shares (the frame around a
 * refusal, form fields, filter forms, tables).  The pages are in
 * panel_pool.c, panel_sales.c and panel_logs.c.
 *
 * Roles are the API's (api.c): read sees every page but the access log;
 * write also changes the pool, approves orders and accepts cases; admin
 * also gives credits, sets a user's status and the models, and reads
 * the access log.  A change is a POST (flags 0: no ?dry_run or
 * Idempotency-Key in a browser) whose CSRF token the face has checked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "admin/panel_pages.h"
#include "base/argnum.h"
#include "base/err.h"

#define R ADMIN_ROLE_READ
#define W ADMIN_ROLE_WRITE
#define A ADMIN_ROLE_ADMIN
#define P "/admin"

static const struct admin_route pages_routes[] = {
	{ "GET", P "/accounts", R, 0, pp_accounts, NULL, NULL },
	{ "POST", P "/accounts", W, 0, pp_account_add, NULL, NULL },
	{ "POST", P "/accounts/import", W, 0, pp_account_import, NULL, NULL },
	{ "POST", P "/accounts/{id}/suspend", W, 0, pp_account_change, NULL,
	  NULL },
	{ "POST", P "/accounts/{id}/reactivate", W, 0, pp_account_change,
	  NULL, NULL },
	{ "GET", P "/assignments", R, 0, pp_assignments, NULL, NULL },
	{ "POST", P "/assignments/{id}/extend", W, 0, pp_assignment_change, NULL,
	  NULL },
	{ "POST", P "/assignments/{id}/revoke", W, 0, pp_assignment_change, NULL,
	  NULL },
	{ "POST", P "/assignments/{id}/release", W, 0, pp_assignment_change,
	  NULL, NULL },
	{ "GET", P "/orders", R, 0, pp_orders, NULL, NULL },
	{ "POST", P "/orders/{id}/approve", W, 0, pp_order_approve, NULL, NULL },
	{ "GET", P "/users", R, 0, pp_users, NULL, NULL },
	{ "GET", P "/users/{id}", R, 0, pp_user, NULL, NULL },
	{ "POST", P "/users/{id}/credit", A, 0, pp_user_credit, NULL, NULL },
	{ "POST", P "/users/{id}/status", A, 0, pp_user_status, NULL, NULL },
	{ "GET", P "/models", R, 0, pp_models, NULL, NULL },
	{ "POST", P "/models/{name}", A, 0, pp_model_set, NULL, NULL },
	{ "GET", P "/reports", R, 0, pp_reports, NULL, NULL },
	{ "GET", P "/reports/{id}", R, 0, pp_report_get, NULL, NULL },
	{ "GET", P "/cases", R, 0, pp_cases, NULL, NULL },
	{ "POST", P "/cases/{id}/accept", W, 0, pp_case_accept, NULL, NULL },
	{ "GET", P "/audit", R, 0, pp_audit, NULL, NULL },
	{ "GET", P "/access", A, 0, pp_access, NULL, NULL },
	{ NULL, NULL, ADMIN_ROLE_NONE, 0, NULL, NULL, NULL }
};

const struct admin_face admin_panel_pages_face = {
	"panel", P, pages_routes, panel_authenticate, panel_fail
};

bool
pp_may(const struct admin_req *r, enum admin_role role)
{
	return r->who.role >= role;
}

/* ---- the frame ---- */

void
pp_begin(struct admin_req *r, struct pp_page *pg, const char *nav,
    const char *title, int rc)
{
	struct strbuf box = STRBUF_INIT;

	strbuf_init(&pg->out);
	pg->rc = rc;
	/* before the frame, which may run operations of its own and so
	 * clear the refused one's message */
	if (rc != 0)
		panel_error_box(r, &box, rc);
	panel_page_begin(r, &pg->out, nav, title);
	if (rc != 0)
		html_f(&pg->out, "%H", strbuf_str(&box));
	strbuf_release(&box);
}

void
pp_end(struct admin_req *r, struct pp_page *pg)
{
	panel_page_end(r, &pg->out);
	panel_send(r, pg->rc != 0 ? admin_status_of(pg->rc) : 200, &pg->out);
}

bool
pp_failed(struct admin_req *r, struct pp_page *pg, int rc)
{
	panel_error_box(r, &pg->out, rc);
	if (pg->rc == 0)
		pg->rc = rc;
	return false;
}

void
pp_after(struct admin_req *r, int rc, json_t *out, const char *location,
    pp_page_fn *page, const char *notice, ...)
{
	struct strbuf text = STRBUF_INIT;
	va_list ap;

	json_decref(out);
	if (rc != 0) {
		page(r, rc);
		return;
	}
	va_start(ap, notice);
	strbuf_vaddf(&text, notice, ap);
	va_end(ap);
	panel_redirect(r, location, strbuf_str(&text));
	strbuf_release(&text);
}

/* ---- arguments ---- */

const char *
pp_field(struct admin_req *r, const char *name)
{
	const char *v = panel_field(r, name, NULL);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

const char *
pp_verb(const struct admin_req *r)
{
	const char *slash = strrchr(r->path, '/');

	return slash != NULL ? slash + 1 : r->path;
}

const char *
pp_query(struct admin_req *r, const char *name)
{
	const char *v = admin_query(r, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

bool
pp_field_int(struct admin_req *r, const char *name, long long min,
    long long max, long long *v, bool *given)
{
	const char *s = pp_field(r, name);

	*v = 0;
	*given = s != NULL;
	if (s == NULL || argnum_parse(s, min, max, v) == 0)
		return true;
	ops_fail(&r->ops, TALLY_EUSAGE, name, "%s must be a whole number from "
	    "%lld to %lld", name, min, max);
	return false;
}

long long
pp_page_arg(struct admin_req *r)
{
	const char *s = pp_query(r, "page");
	long long n = 1;

	if (s != NULL && argnum_parse(s, 1, 1000000000, &n) != 0)
		n = 0;
	return n;
}

/* ---- filter forms ---- */

void
pp_filter_begin(struct strbuf *out, const char *action)
{
	html_f(out, "<form method=\"get\" action=\"%s\" class=\"filter\">",
	    action);
}

void
pp_filter_end(struct strbuf *out)
{
	html_f(out, "<button type=\"submit\">Show</button></form>\n");
}

void
pp_input(struct strbuf *out, const char *name, const char *label,
    const char *value)
{
	html_f(out, "<label>%s <input type=\"text\" name=\"%s\" value=\"%s\">"
	    "</label> ", label, name, value);
}

void
pp_select(struct strbuf *out, const char *name, const char *label,
    const char *const *options, const char *current)
{
	html_f(out, "<label>%s <select name=\"%s\">", label, name);
	for (size_t i = 0; options[i] != NULL; i++) {
		const char *text = options[i][0] != '\0' ? options[i] : "all";

		if (current != NULL ? strcmp(current, options[i]) == 0 :
		    options[i][0] == '\0')
			html_f(out, "<option value=\"%s\" selected>%s</option>",
			    options[i], text);
		else
			html_f(out, "<option value=\"%s\">%s</option>", options[i],
			    text);
	}
	html_f(out, "</select></label> ");
}

void
pp_filter(struct admin_req *r, struct pp_page *pg, const char *path,
    const struct pp_filter_field *f, struct strbuf *base)
{
	pp_filter_begin(&pg->out, path);
	for (size_t i = 0; f[i].name != NULL; i++) {
		*f[i].value = pp_query(r, f[i].name);
		if (f[i].options != NULL)
			pp_select(&pg->out, f[i].name, f[i].label, f[i].options,
			    *f[i].value);
		else
			pp_input(&pg->out, f[i].name, f[i].label, *f[i].value);
		if (i == 0)
			html_f(base, "%s?%s=%u", path, f[i].name, *f[i].value);
		else
			html_f(base, "&%s=%u", f[i].name, *f[i].value);
	}
	pp_filter_end(&pg->out);
}

/* ---- lists ---- */

void
pp_list_page(struct admin_req *r, int rc, const struct pp_list *l,
    const struct pp_filter_field *filter, void *req, struct ops_page *page)
{
	struct strbuf base = STRBUF_INIT;
	struct pp_page pg;
	json_t *list = NULL;
	int lrc;

	page->page = pp_page_arg(r);
	pp_begin(r, &pg, l->nav, l->title, rc);
	if (l->head != NULL)
		l->head(r, &pg.out);
	pp_filter(r, &pg, l->path, filter, &base);
	lrc = l->run(&r->ops, req, &list);
	pp_list_end(r, &pg, lrc, list, &l->table, &base);
}

void
pp_list_end(struct admin_req *r, struct pp_page *pg, int lrc, json_t *list,
    const struct panel_table_opt *opt, struct strbuf *base)
{
	if (lrc != 0)
		pp_failed(r, pg, lrc);
	else {
		panel_table_with(r, &pg->out, list, opt);
		panel_pager(&pg->out, strbuf_str(base), list);
	}
	json_decref(list);
	strbuf_release(base);
	pp_end(r, pg);
}

void
pp_drop_columns(json_t *list, const char *const *names)
{
	json_t *cols = json_object_get(list, "columns");

	for (size_t i = json_array_size(cols); i > 0; i--) {
		const char *name = json_string_value(json_object_get(
		    json_array_get(cols, i - 1), "name"));

		for (size_t k = 0; name != NULL && names[k] != NULL; k++)
			if (strcmp(names[k], name) == 0) {
				json_array_remove(cols, i - 1);
				break;
			}
	}
}

/* A value as text, by its JSON type (what the operation's column type
 * gave it); null is nothing. */
static void
item_value(struct strbuf *out, const json_t *v)
{
	if (json_is_integer(v))
		html_f(out, "%l", (long long)json_integer_value(v));
	else if (json_is_string(v))
		html_f(out, "%s", json_string_value(v));
	else if (json_is_boolean(v))
		html_f(out, "%s", json_is_true(v) ? "yes" : "no");
}

void
pp_item(struct strbuf *out, const json_t *answer)
{
	const json_t *item = json_object_get(answer, "item");
	const json_t *c;
	size_t i;

	html_f(out, "<dl class=\"item\">\n");
	json_array_foreach(json_object_get(answer, "columns"), i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));

		html_f(out, "<dt>%s</dt><dd class=\"%s\">", name, name);
		item_value(out, json_object_get(item, name));
		html_f(out, "</dd>\n");
	}
	html_f(out, "</dl>\n");
}
