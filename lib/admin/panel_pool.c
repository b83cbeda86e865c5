/*
 * panel_pool.c - the panel's pool pages: accounts (filter by status, add,
 * import CSV, suspend or reactivate with a note) and assignments (active,
 * ending soon, extend, revoke, release), over lib/ops/account.c and
 * lib/ops/assignment.c as the API's api_pool.c calls them.
 */
#include <stdio.h>
#include <string.h>

#include "admin/faceops.h"
#include "admin/panel_pages.h"
#include "base/argnum.h"
#include "base/err.h"
#include "ops/account.h"
#include "ops/assignment.h"

/* ---- accounts ---- */

static void
account_actions(struct admin_req *r, struct strbuf *out, const json_t *row)
{
	const char *status = json_string_value(json_object_get(row, "status"));
	long long id = json_integer_value(json_object_get(row, "id"));
	bool suspended = status != NULL && strcmp(status, "SUSPENDED") == 0;
	struct strbuf action = STRBUF_INIT;

	if (!pp_may(r, ADMIN_ROLE_WRITE))
		return;
	html_f(&action, "/admin/accounts/%l/%s", id, suspended ? "reactivate" :
	    "suspend");
	if (suspended)
		panel_form_begin(r, out, strbuf_str(&action), "reactivate");
	else
		panel_form_confirm(r, out, strbuf_str(&action), "suspend",
		    "Suspend this account? Its seats can no longer be assigned.");
	html_f(out, "<input type=\"text\" name=\"note\" placeholder=\"note\" "
	    "aria-label=\"note\"%s> <button type=\"submit\" class=\"%s\">%s"
	    "</button></form>", suspended ? "" : " required",
	    suspended ? "reactivate" : "suspend",
	    suspended ? "Reactivate" : "Suspend");
	strbuf_release(&action);
}

static void
account_forms(struct admin_req *r, struct strbuf *out)
{
	html_f(out, "<h2>Add an account</h2>\n");
	panel_form_begin(r, out, "/admin/accounts", "add");
	html_f(out, "<label>Email <input type=\"email\" name=\"email\" required>"
	    "</label> <label>Seats <input type=\"number\" name=\"max_seats\" "
	    "min=\"1\" placeholder=\"single-user\"></label> <label>Note "
	    "<input type=\"text\" name=\"note\"></label> "
	    "<button type=\"submit\" class=\"add\">Add</button></form>\n");
	html_f(out, "<h2>Import accounts (CSV)</h2>\n"
	    "<p>A header line naming email (required), note, max_seats, "
	    "status; one account a line. All or nothing.</p>\n");
	panel_form_begin(r, out, "/admin/accounts/import", "import");
	/* the button's formenctype sends the file too, as multipart */
	html_f(out, "<label>CSV <textarea name=\"csv\" rows=\"4\" cols=\"60\">"
	    "</textarea></label> <label>or a file <input type=\"file\" "
	    "name=\"file\" accept=\".csv,text/csv\"></label> "
	    "<button type=\"submit\" class=\"import\" "
	    "formenctype=\"multipart/form-data\">Import</button></form>\n");
}

/* the change forms for a write user, above the list */
static void
accounts_head(struct admin_req *r, struct strbuf *out)
{
	if (pp_may(r, ADMIN_ROLE_WRITE))
		account_forms(r, out);
	html_f(out, "<h2>The pool</h2>\n");
}

PP_RUN(accounts_run, ops_account_list, struct ops_account_list_req)

static const struct pp_list accounts_list = {
	"accounts", "Accounts", "/admin/accounts", accounts_head, accounts_run,
	{ .row_id = "account", .actions = account_actions }
};

static void
accounts_page(struct admin_req *r, int rc)
{
	static const char *const statuses[] = { "", "AVAILABLE", "ASSIGNED",
	    "SUSPENDED", NULL };
	struct ops_account_list_req q = { 0 };
	const struct pp_filter_field filter[] = {
		{ "status", "Status", statuses, &q.status },
		{ "search", "Search", NULL, &q.search },
		{ NULL, NULL, NULL, NULL },
	};

	pp_list_page(r, rc, &accounts_list, filter, &q, &q.page);
}

void
pp_accounts(struct admin_req *r)
{
	accounts_page(r, 0);
}

void
pp_account_add(struct admin_req *r)
{
	struct ops_account_req q = { 0 };
	json_t *out = NULL;
	int rc;

	q.email = pp_field(r, "email");
	q.note = pp_field(r, "note");
	q.max_seats = pp_field(r, "max_seats");
	rc = ops_account_add(&r->ops, &q, &out);
	pp_after(r, rc, out, "/admin/accounts", accounts_page, "Account added.");
}

void
pp_account_import(struct admin_req *r)
{
	size_t len = 0;
	const char *data = panel_field(r, "file", &len);
	const char *source = "the uploaded file";
	json_t *out = NULL;
	int rc;

	if (data == NULL || len == 0) {
		data = panel_field(r, "csv", &len);
		source = "the CSV text";
	}
	if (data == NULL || len == 0)
		rc = ops_fail(&r->ops, TALLY_EUSAGE, "csv", "csv: paste the "
		    "accounts or choose a file");
	else
		rc = admin_import_csv(r, data, len, source, NULL, &out);
	pp_after(r, rc, out, "/admin/accounts", accounts_page,
	    "%lld accounts imported.",
	    (long long)json_integer_value(json_object_get(out, "count")));
}

/* POST /admin/accounts/{id}/suspend or /reactivate: the path's last
 * segment says which. */
void
pp_account_change(struct admin_req *r)
{
	bool suspend = strcmp(pp_verb(r), "suspend") == 0;
	struct ops_account_req q = { .account = r->param[0] };
	json_t *out = NULL;
	int rc;

	q.note = pp_field(r, "note");
	rc = (suspend ? ops_account_suspend : ops_account_reactivate)(&r->ops,
	    &q, &out);
	pp_after(r, rc, out, "/admin/accounts", accounts_page, "Account %s %s.",
	    r->param[0], suspend ? "suspended" : "reactivated");
}

/* ---- assignments ---- */

static void
assignment_actions(struct admin_req *r, struct strbuf *out, const json_t *row)
{
	static const struct {
		const char *verb, *field, *type, *label, *confirm;
	} forms[] = {
		{ "extend", "days", "number", "Extend", NULL },
		{ "revoke", "reason", "text", "Revoke", "Revoke this assignment? "
		  "The customer loses the seat at once." },
		{ "release", "reason", "text", "Release", "Release this "
		  "assignment? Its seat goes back to the pool." },
	};
	const char *status = json_string_value(json_object_get(row, "status"));
	long long id = json_integer_value(json_object_get(row, "id"));
	struct strbuf action = STRBUF_INIT;

	if (!pp_may(r, ADMIN_ROLE_WRITE) || status == NULL ||
	    strcmp(status, "ACTIVE") != 0)
		return;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		strbuf_reset(&action);
		html_f(&action, "/admin/assignments/%l/%s", id, forms[i].verb);
		panel_form_confirm(r, out, strbuf_str(&action), forms[i].verb,
		    forms[i].confirm);
		html_f(out, "<input type=\"%s\" name=\"%s\" placeholder=\"%s\" "
		    "aria-label=\"%s\"%s> <button type=\"submit\" class=\"%s\">%s"
		    "</button></form>", forms[i].type, forms[i].field,
		    forms[i].field, forms[i].field,
		    strcmp(forms[i].verb, "release") != 0 ? " required" : "",
		    forms[i].verb, forms[i].label);
	}
	strbuf_release(&action);
}

static void
assignments_page(struct admin_req *r, int rc)
{
	struct ops_assignment_list_req q = { 0 };
	struct panel_table_opt t = { .row_id = "assignment",
	    .actions = assignment_actions };
	struct strbuf base = STRBUF_INIT;
	const char *ending = pp_query(r, "ending");
	const char *title = "Active assignments";
	struct pp_page pg;
	json_t *list = NULL;
	char days[24];
	int lrc = 0;

	q.page.page = pp_page_arg(r);
	if (ending != NULL) {
		q.ending_soon = true;
		if (argnum_parse(ending, 0, OPS_ASSIGNMENT_MAX_DAYS, &q.days) != 0)
			lrc = ops_fail(&r->ops, TALLY_EUSAGE, "ending", "ending: "
			    "a number of days from 0 to %d", OPS_ASSIGNMENT_MAX_DAYS);
		title = "Assignments ending soon";
	} else
		q.status = "ACTIVE";
	pp_begin(r, &pg, "assignments", title, rc);
	snprintf(days, sizeof(days), "%lld", admin_ending_days(r, false, 0));
	html_f(&pg.out, "<p class=\"views\"><a href=\"/admin/assignments\">"
	    "Active</a> <a href=\"/admin/assignments?ending=%u\">Ending within "
	    "%s days</a></p>\n", days, days);
	pp_filter_begin(&pg.out, "/admin/assignments");
	pp_input(&pg.out, "ending", "Ending within days", ending);
	pp_filter_end(&pg.out);
	if (lrc == 0)
		lrc = ops_assignment_list(&r->ops, &q, &list);
	if (ending != NULL)
		html_f(&base, "/admin/assignments?ending=%u", ending);
	else
		html_f(&base, "/admin/assignments");
	pp_list_end(r, &pg, lrc, list, &t, &base);
}

void
pp_assignments(struct admin_req *r)
{
	assignments_page(r, 0);
}

/* POST /admin/assignments/{id}/extend, /revoke or /release: the path's
 * last segment says which; answered by the list again. */
void
pp_assignment_change(struct admin_req *r)
{
	static const struct {
		const char *verb, *done;
		int (*op)(struct ops *, const struct ops_assignment_req *,
		    json_t **);
	} ops[] = {
		{ "extend", "extended", ops_assignment_extend },
		{ "revoke", "revoked", ops_assignment_revoke },
		{ "release", "released", ops_assignment_release },
	};
	struct ops_assignment_req q = { 0 };
	json_t *out = NULL;
	size_t i = 0;
	bool given;
	int rc;

	while (i < 2 && strcmp(pp_verb(r), ops[i].verb) != 0)
		i++;
	if (!admin_path_id(r, "assignment", &q.id))
		return;
	q.reason = pp_field(r, "reason");
	if (!pp_field_int(r, "days", 1, OPS_ASSIGNMENT_MAX_DAYS, &q.days, &given))
		rc = TALLY_EUSAGE;
	else if (i == 0 && !given)
		rc = ops_fail(&r->ops, TALLY_EUSAGE, "days", "days is required");
	else
		rc = ops[i].op(&r->ops, &q, &out);
	pp_after(r, rc, out, "/admin/assignments", assignments_page,
	    "Assignment %lld %s.", q.id, ops[i].done);
}
