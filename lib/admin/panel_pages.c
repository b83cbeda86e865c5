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
#include <stdio.h>
#include <stdlib.h>
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
	{ "POST", P "/accounts/{id}/suspend", W, 0, pp_account_suspend, NULL,
	  NULL },
	{ "POST", P "/accounts/{id}/reactivate", W, 0, pp_account_reactivate,
	  NULL, NULL },
	{ "GET", P "/assignments", R, 0, pp_assignments, NULL, NULL },
	{ "POST", P "/assignments/{id}/extend", W, 0, pp_assignment_extend, NULL,
	  NULL },
	{ "POST", P "/assignments/{id}/revoke", W, 0, pp_assignment_revoke, NULL,
	  NULL },
	{ "POST", P "/assignments/{id}/release", W, 0, pp_assignment_release,
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
    const char *notice, pp_page_fn *page)
{
	json_decref(out);
	if (rc == 0)
		panel_redirect(r, location, notice);
	else
		page(r, rc);
}

/* ---- arguments ---- */

const char *
pp_field(struct admin_req *r, const char *name)
{
	const char *v = panel_field(r, name, NULL);

	return v != NULL && v[0] != '\0' ? v : NULL;
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

/* ---- tables ---- */

/* A value as text, by its JSON type (what the operation's column type
 * gave it); null is nothing. */
static void
cell_value(struct strbuf *out, const json_t *v)
{
	char *dump;

	if (json_is_integer(v))
		html_f(out, "%l", (long long)json_integer_value(v));
	else if (json_is_string(v))
		html_f(out, "%s", json_string_value(v));
	else if (json_is_boolean(v))
		html_f(out, "%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_object(v) || json_is_array(v)) {
		dump = json_dumps(v, JSON_COMPACT);
		html_f(out, "%s", dump);
		free(dump);
	}
}

static void
cell_link(struct strbuf *out, const char *base, const json_t *v)
{
	if (json_is_integer(v))
		html_f(out, "<a href=\"%s%l\">", base,
		    (long long)json_integer_value(v));
	else
		html_f(out, "<a href=\"%s%u\">", base, json_string_value(v));
	cell_value(out, v);
	html_f(out, "</a>");
}

/* The header of a sortable column: a link that sorts by it, the other
 * way round when it is the current sort. */
static void
sort_link(struct strbuf *out, const struct pp_table *t, const char *key,
    const char *name)
{
	bool current = t->sort != NULL && strcmp(t->sort, key) == 0;
	/* the operation's default: emails from A, the rest highest first */
	bool desc = t->order != NULL ? strcmp(t->order, "desc") == 0 :
	    strcmp(key, "email") != 0;

	if (!current)
		html_f(out, "<a class=\"sort\" data-sort=\"%s\" href=\"%s&amp;"
		    "sort=%u\">%s</a>", key, t->sort_base, key, name);
	else
		html_f(out, "<a class=\"sort %s\" data-sort=\"%s\" href=\"%s&amp;"
		    "sort=%u&amp;order=%s\">%s</a>", desc ? "desc" : "asc", key,
		    t->sort_base, key, desc ? "asc" : "desc", name);
}

static const char *
sort_key(const struct pp_table *t, const char *col)
{
	for (size_t i = 0; t->sorts != NULL && t->sorts[i] != NULL; i += 2)
		if (strcmp(t->sorts[i], col) == 0)
			return t->sorts[i + 1];
	return NULL;
}

static bool
hidden(const struct pp_table *t, const char *col)
{
	for (size_t i = 0; t->hide != NULL && t->hide[i] != NULL; i++)
		if (strcmp(t->hide[i], col) == 0)
			return true;
	return false;
}

static void
table_row(struct admin_req *r, struct strbuf *out, const json_t *cols,
    const json_t *row, const struct pp_table *t)
{
	const json_t *c;
	size_t i;

	if (t->row_id != NULL)
		html_f(out, "<tr id=\"%s%l\">", t->row_id,
		    (long long)json_integer_value(json_object_get(row, "id")));
	else
		html_f(out, "<tr>");
	json_array_foreach(cols, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		const json_t *v = json_object_get(row, name);

		if (hidden(t, name))
			continue;
		html_f(out, "<td class=\"%s\">", name);
		if (t->link_col != NULL && strcmp(t->link_col, name) == 0 &&
		    !json_is_null(v))
			cell_link(out, t->link_base, v);
		else
			cell_value(out, v);
		html_f(out, "</td>");
	}
	if (t->actions != NULL) {
		html_f(out, "<td class=\"actions\">");
		t->actions(r, out, row);
		html_f(out, "</td>");
	}
	html_f(out, "</tr>\n");
}

void
pp_table(struct admin_req *r, struct strbuf *out, const json_t *list,
    const struct pp_table *t)
{
	const json_t *cols = json_object_get(list, "columns");
	const json_t *items = json_object_get(list, "items");
	const json_t *c, *row;
	size_t i;

	if (json_array_size(items) == 0) {
		html_f(out, "<p class=\"empty\">Nothing to show.</p>\n");
		return;
	}
	html_f(out, "<table>\n<thead><tr>");
	json_array_foreach(cols, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *key = sort_key(t, name);

		if (hidden(t, name))
			continue;
		html_f(out, "<th class=\"%s\">", name);
		if (key != NULL)
			sort_link(out, t, key, name);
		else
			html_f(out, "%s", name);
		html_f(out, "</th>");
	}
	if (t->actions != NULL)
		html_f(out, "<th class=\"actions\">actions</th>");
	html_f(out, "</tr></thead>\n<tbody>\n");
	json_array_foreach(items, i, row)
		table_row(r, out, cols, row, t);
	html_f(out, "</tbody>\n</table>\n");
}

void
pp_pager(struct strbuf *out, const char *base, const json_t *list)
{
	long long total = json_integer_value(json_object_get(list, "total"));
	long long page = json_integer_value(json_object_get(list, "page"));
	long long per = json_integer_value(json_object_get(list, "per_page"));
	long long pages = per > 0 ? (total + per - 1) / per : 1;

	if (pages <= 1)
		return;
	html_f(out, "<nav class=\"pager\" aria-label=\"Pages\">");
	if (page > 1)
		html_f(out, "<a rel=\"prev\" href=\"%s&amp;page=%l\">Previous</a> ",
		    base, page - 1);
	html_f(out, "<span>Page %l of %l</span>", page, pages);
	if (page < pages)
		html_f(out, " <a rel=\"next\" href=\"%s&amp;page=%l\">Next</a>",
		    base, page + 1);
	html_f(out, "</nav>\n");
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
		cell_value(out, json_object_get(item, name));
		html_f(out, "</dd>\n");
	}
	html_f(out, "</dl>\n");
}
