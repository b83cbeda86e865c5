/*
 * panel_sales.c - the panel's pages about what is sold and used: orders
 * (unfulfilled, held, approve), users (sortable, searchable, a user's
 * page with credit adjustment and status) and models (usage and
 * configuration), over lib/ops/order.c, user.c and model.c as the API's
 * api_more.c calls them.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "admin/faceops.h"
#include "admin/panel_pages.h"
#include "base/argnum.h"
#include "base/err.h"
#include "base/hex.h"
#include "ops/model.h"
#include "ops/order.h"
#include "ops/user.h"

/* ---- orders ---- */

static void
order_actions(struct admin_req *r, struct strbuf *out, const json_t *row)
{
	struct strbuf action = STRBUF_INIT;

	if (!pp_may(r, ADMIN_ROLE_WRITE))
		return;
	html_f(&action, "/admin/orders/%l/approve",
	    (long long)json_integer_value(json_object_get(row, "id")));
	panel_form_begin(r, out, strbuf_str(&action), "approve");
	html_f(out, "<input type=\"text\" name=\"reason\" placeholder=\"why it "
	    "may be given as it is\" aria-label=\"reason\" required> "
	    "<button type=\"submit\" class=\"approve\">Approve</button></form>");
	strbuf_release(&action);
}

static void
orders_view(struct admin_req *r, int rc, const char *view)
{
	struct ops_order_list_req q = { 0 };
	struct panel_table_opt t = { .row_id = "order" };
	struct strbuf base = STRBUF_INIT;
	struct pp_page pg;
	json_t *list = NULL;
	int lrc = 0;

	q.page.page = pp_page_arg(r);
	if (view == NULL || strcmp(view, "unfulfilled") == 0) {
		view = "unfulfilled";
		q.unfulfilled = true;
	} else if (strcmp(view, "held") == 0) {
		q.held = true;
		t.actions = order_actions;
	} else
		lrc = ops_fail(&r->ops, TALLY_EUSAGE, "view", "view must be "
		    "unfulfilled or held");
	pp_begin(r, &pg, "orders", q.held ? "Held orders" :
	    "Paid, unfulfilled orders", rc);
	html_f(&pg.out, "<p class=\"views\"><a href=\"/admin/orders?view="
	    "unfulfilled\">Unfulfilled</a> <a href=\"/admin/orders?view=held\">"
	    "Held</a></p>\n");
	if (lrc == 0)
		lrc = ops_order_list(&r->ops, &q, &list);
	html_f(&base, "/admin/orders?view=%u", view);
	pp_list_end(r, &pg, lrc, list, &t, &base);
}

void
pp_orders(struct admin_req *r)
{
	orders_view(r, 0, pp_query(r, "view"));
}

/* A refused approval comes back to the held list it was made on. */
static void
held_page(struct admin_req *r, int rc)
{
	orders_view(r, rc, "held");
}

void
pp_order_approve(struct admin_req *r)
{
	struct ops_order_approve_req q = { 0 };
	json_t *out = NULL;
	int rc;

	if (!admin_path_id(r, "order", &q.id))
		return;
	q.reason = pp_field(r, "reason");
	rc = ops_order_approve(&r->ops, &q, &out);
	pp_after(r, rc, out, "/admin/orders?view=held", held_page,
	    "Order %lld approved.", q.id);
}

/* ---- users ---- */

/* ?sort= as the header links give it (the column: registered_at) or
 * as the operation names it (registered). */
static const char *
user_sort(const char *sort)
{
	if (sort != NULL && strcmp(sort, "registered_at") == 0)
		return "registered";
	if (sort != NULL && strcmp(sort, "last_login_at") == 0)
		return "last_login";
	return sort;
}

static void
users_page(struct admin_req *r, int rc)
{
	static const char *const sortable[] = { "email", "registered_at",
	    "balance", "last_login_at", NULL };
	struct ops_user_list_req q = { 0 };
	struct strbuf base = STRBUF_INIT, pager = STRBUF_INIT;
	struct panel_table_opt t = { .sortable = sortable,
	    .row_link = "/admin/users/", .row_id = "user" };
	struct pp_page pg;
	json_t *list = NULL;
	const struct pp_filter_field filter[] = {
		{ "search", "Search", NULL, &q.search },
		{ NULL, NULL, NULL, NULL },
	};
	int lrc;

	q.sort = user_sort(pp_query(r, "sort"));
	q.order = pp_query(r, "order");
	/* the table's headers read no order as ascending: so does the page */
	if (q.sort != NULL && q.order == NULL)
		q.order = "asc";
	q.page.page = pp_page_arg(r);
	pp_begin(r, &pg, "users", "Users", rc);
	pp_filter(r, &pg, "/admin/users", filter, &base);
	t.sort_base = strbuf_str(&base);
	lrc = ops_user_list(&r->ops, &q, &list);
	html_f(&pager, "/admin/users?search=%u&sort=%u&order=%u", q.search,
	    pp_query(r, "sort"), q.order);
	pp_list_end(r, &pg, lrc, list, &t, &pager);
	strbuf_release(&base);
}

void
pp_users(struct admin_req *r)
{
	users_page(r, 0);
}

static void
user_forms(struct admin_req *r, struct strbuf *out, const char *id,
    const char *status)
{
	struct strbuf action = STRBUF_INIT;

	html_f(out, "<h2>Adjust credits</h2>\n");
	html_f(&action, "/admin/users/%s/credit", id);
	panel_form_begin(r, out, strbuf_str(&action), "credit");
	{
		/* one id per form shown: a double click or a resent form is
		 * the same adjustment, applied once (the ledger's replay) */
		unsigned char rnd[16];
		char hex[33];

		if (getrandom(rnd, sizeof(rnd), 0) == (ssize_t)sizeof(rnd)) {
			hex_encode(rnd, sizeof(rnd), hex);
			html_f(out, "<input type=\"hidden\" name=\"request_id\" "
			    "value=\"panel:%s\">", hex);
		}
	}
	html_f(out, "<label>Credits <input type=\"number\" name=\"delta\" "
	    "required></label> <label>Reason <input type=\"text\" "
	    "name=\"reason\" required></label> <button type=\"submit\" "
	    "class=\"credit\">Adjust</button></form>\n");
	html_f(out, "<h2>Status</h2>\n");
	strbuf_reset(&action);
	html_f(&action, "/admin/users/%s/status", id);
	panel_form_begin(r, out, strbuf_str(&action), "status");
	{
		static const char *const st[] = { "active", "suspended", NULL };

		/* the status the user does not have is offered first: setting
		 * the one it has is refused */
		html_f(out, "<label>New status <select name=\"status\">");
		for (size_t i = 0; st[i] != NULL; i++)
			if (status != NULL && strcmp(status, st[i]) != 0)
				html_f(out, "<option value=\"%s\" selected>%s"
				    "</option>", st[i], st[i]);
			else
				html_f(out, "<option value=\"%s\">%s</option>",
				    st[i], st[i]);
	}
	html_f(out, "</select></label> <label>Reason <input type=\"text\" "
	    "name=\"reason\" required></label> <button type=\"submit\" "
	    "class=\"status\">Set</button></form>\n"
	    "<p class=\"hint\">tally records and shows the status; the image "
	    "service decides what a suspended user may do.</p>\n");
	strbuf_release(&action);
}

static void
user_page(struct admin_req *r, int rc)
{
	struct panel_table_opt t = { 0 };
	struct pp_page pg;
	json_t *out = NULL;
	long long id;
	int lrc;

	if (!admin_path_id(r, "user", &id))
		return;
	pp_begin(r, &pg, "users", "User", rc);
	lrc = ops_user_show(&r->ops, id, &out);
	if (lrc != 0)
		pp_failed(r, &pg, lrc);
	else {
		const json_t *item = json_object_get(out, "item");

		pp_item(&pg.out, out);
		if (pp_may(r, ADMIN_ROLE_ADMIN))
			user_forms(r, &pg.out, r->param[0],
			    json_string_value(json_object_get(item, "status")));
		html_f(&pg.out, "<h2>Credit ledger (newest 50)</h2>\n");
		panel_table_with(r, &pg.out, json_object_get(out, "ledger"), &t);
	}
	json_decref(out);
	pp_end(r, &pg);
}

void
pp_user(struct admin_req *r)
{
	user_page(r, 0);
}

static void
user_done(struct admin_req *r, int rc, json_t *out, long long id,
    const char *notice)
{
	char loc[48];

	snprintf(loc, sizeof(loc), "/admin/users/%lld", id);
	pp_after(r, rc, out, loc, user_page, "%s", notice);
}

void
pp_user_credit(struct admin_req *r)
{
	struct ops_user_credit_req q = { 0 };
	json_t *out = NULL;
	bool given;
	int rc;

	if (!admin_path_id(r, "user", &q.id))
		return;
	q.reason = pp_field(r, "reason");
	q.request_id = pp_field(r, "request_id");
	if (!pp_field_int(r, "delta", -OPS_USER_MAX_DELTA, OPS_USER_MAX_DELTA,
	    &q.delta, &given))
		rc = TALLY_EUSAGE;
	else
		rc = ops_user_credit(&r->ops, &q, &out);
	user_done(r, rc, out, q.id, "Credits adjusted.");
}

void
pp_user_status(struct admin_req *r)
{
	struct ops_user_status_req q = { 0 };
	json_t *out = NULL;
	int rc;

	if (!admin_path_id(r, "user", &q.id))
		return;
	q.status = pp_field(r, "status");
	q.reason = pp_field(r, "reason");
	rc = ops_user_status(&r->ops, &q, &out);
	user_done(r, rc, out, q.id, "Status set.");
}

/* ---- models ---- */

static void
model_actions(struct admin_req *r, struct strbuf *out, const json_t *row)
{
	const char *name = json_string_value(json_object_get(row, "name"));
	bool active = json_is_true(json_object_get(row, "active"));
	struct strbuf action = STRBUF_INIT;

	if (!pp_may(r, ADMIN_ROLE_ADMIN) || name == NULL)
		return;
	html_f(&action, "/admin/models/%u", name);
	panel_form_begin(r, out, strbuf_str(&action), "model");
	if (active)
		html_f(out, "<select name=\"active\" aria-label=\"active\">"
		    "<option value=\"true\" selected>active</option>"
		    "<option value=\"false\">inactive</option></select> ");
	else
		html_f(out, "<select name=\"active\" aria-label=\"active\">"
		    "<option value=\"true\">active</option>"
		    "<option value=\"false\" selected>inactive</option></select> ");
	html_f(out, "<input type=\"number\" name=\"credit_cost\" min=\"0\" "
	    "value=\"%l\" aria-label=\"credit cost\"> <button type=\"submit\" "
	    "class=\"save\">Save</button></form>",
	    (long long)json_integer_value(json_object_get(row, "credit_cost")));
	strbuf_release(&action);
}

static void
models_page(struct admin_req *r, int rc)
{
	struct ops_model_usage_req q = { .days = OPS_MODEL_USAGE_DAYS };
	struct panel_table_opt t = { .actions = model_actions };
	const char *days = pp_query(r, "days");
	struct strbuf base = STRBUF_INIT;
	struct pp_page pg;
	json_t *list = NULL;
	int lrc = 0;

	q.page.page = pp_page_arg(r);
	if (days != NULL && argnum_parse(days, 1, OPS_MODEL_MAX_USAGE_DAYS,
	    &q.days) != 0)
		lrc = ops_fail(&r->ops, TALLY_EUSAGE, "days", "days must be a "
		    "whole number from 1 to %d", OPS_MODEL_MAX_USAGE_DAYS);
	pp_begin(r, &pg, "models", "Models", rc);
	pp_filter_begin(&pg.out, "/admin/models");
	pp_input(&pg.out, "days", "Usage over the last days", days);
	pp_filter_end(&pg.out);
	html_f(&pg.out, "<p class=\"hint\">calls, errors and avg_ms (mean "
	    "processing time) over the last %l days; last_used: the latest call "
	    "ever.</p>\n", q.days);
	if (lrc == 0)
		lrc = ops_model_usage(&r->ops, &q, &list);
	html_f(&base, "/admin/models?days=%l", q.days);
	pp_list_end(r, &pg, lrc, list, &t, &base);
}

void
pp_models(struct admin_req *r)
{
	models_page(r, 0);
}

void
pp_model_set(struct admin_req *r)
{
	struct ops_model_req q = { .name = r->param[0] };
	const char *active = pp_field(r, "active");
	json_t *out = NULL;
	int rc = 0;

	if (active == NULL)
		q.active = OPS_UNSET;
	else if (strcmp(active, "true") == 0)
		q.active = OPS_YES;
	else if (strcmp(active, "false") == 0)
		q.active = OPS_NO;
	else
		rc = ops_fail(&r->ops, TALLY_EUSAGE, "active", "active must be "
		    "true or false");
	if (rc == 0 && !pp_field_int(r, "credit_cost", 0,
	    OPS_MODEL_MAX_CREDIT_COST, &q.credit_cost, &q.has_credit_cost))
		rc = TALLY_EUSAGE;
	if (rc == 0)
		rc = ops_model_set(&r->ops, &q, &out);
	pp_after(r, rc, out, "/admin/models", models_page, "Model %s saved.",
	    q.name);
}
