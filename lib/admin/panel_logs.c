/*
 * panel_logs.c - the panel's pages about what happened: report files
 * (listed, downloaded), reconcile's cases (filtered, accepted until a
 * date), the audit log and the access log (paged, filtered), over
 * lib/ops/report.c, case.c, audit.c and access.c as the API's
 * api_more.c calls them.
 */
#include <stdio.h>
#include <string.h>

#include "admin/faceops.h"
#include "admin/panel_pages.h"
#include "base/err.h"
#include "ops/access.h"
#include "ops/audit.h"
#include "ops/case.h"
#include "ops/report.h"

/* ---- reports ---- */

/* A report's download link: by the name ops_report_list gave it. */
static void
report_link(struct admin_req *r, struct strbuf *out, const json_t *row)
{
	(void)r;
	html_f(out, "<a class=\"download\" href=\"/admin/reports/%u\" "
	    "download>Download</a>", json_string_value(json_object_get(row,
	    "file")));
}

void
pp_reports(struct admin_req *r)
{
	struct ops_report_list_req q = { 0 };
	struct panel_table_opt t = { .actions = report_link };
	struct strbuf base = STRBUF_INIT;
	struct pp_page pg;
	json_t *list = NULL;
	int lrc;

	q.program = pp_query(r, "program");
	q.page.page = pp_page_arg(r);
	pp_begin(r, &pg, "reports", "Reports", 0);
	html_f(&pg.out, "<p class=\"hint\">The files the report programs wrote; "
	    "each downloads as it was written.</p>\n");
	lrc = ops_report_list(&r->ops, &q, &list);
	html_f(&base, "/admin/reports?program=%u", q.program);
	pp_list_end(r, &pg, lrc, list, &t, &base);
}

/* Only a file ops_report_list lists: the name is looked up in job_runs,
 * never joined to a directory (ops_report_open). */
void
pp_report_get(struct admin_req *r)
{
	admin_answer_report(r, r->param[0]);
}

/* ---- cases ---- */

static void
case_actions(struct admin_req *r, struct strbuf *out, const json_t *row)
{
	const char *status = json_string_value(json_object_get(row, "status"));
	struct strbuf action = STRBUF_INIT;

	if (!pp_may(r, ADMIN_ROLE_WRITE) || status == NULL ||
	    strcmp(status, "CLOSED") == 0)
		return;
	html_f(&action, "/admin/cases/%l/accept",
	    (long long)json_integer_value(json_object_get(row, "id")));
	panel_form_begin(r, out, strbuf_str(&action), "accept");
	html_f(out, "<input type=\"date\" name=\"until\" aria-label=\"until\" "
	    "title=\"until (empty: for good)\"> <input type=\"text\" "
	    "name=\"reason\" placeholder=\"why it is fine\" aria-label=\"reason\" "
	    "required> <button type=\"submit\" class=\"accept\">Accept</button>"
	    "</form>");
	strbuf_release(&action);
}

PP_RUN(cases_run, ops_case_list, struct ops_case_list_req)

static const struct pp_list cases_list = {
	"cases", "Cases", "/admin/cases", NULL, cases_run,
	{ .row_id = "case", .actions = case_actions }
};

static void
cases_page(struct admin_req *r, int rc)
{
	static const char *const statuses[] = { "", "OPEN", "ACCEPTED",
	    "CLOSED", NULL };
	static const char *const severities[] = { "", "error", "warning",
	    "info", NULL };
	struct ops_case_list_req q = { 0 };
	const struct pp_filter_field filter[] = {
		{ "status", "Status", statuses, &q.status },
		{ "severity", "Severity", severities, &q.severity },
		{ NULL, NULL, NULL, NULL },
	};

	pp_list_page(r, rc, &cases_list, filter, &q, &q.page);
}

void
pp_cases(struct admin_req *r)
{
	cases_page(r, 0);
}

void
pp_case_accept(struct admin_req *r)
{
	struct ops_case_req q = { 0 };
	json_t *out = NULL;
	int rc;

	if (!admin_path_id(r, "case", &q.id))
		return;
	q.note = pp_field(r, "reason");
	q.until = pp_field(r, "until");
	rc = ops_case_accept(&r->ops, &q, &out);
	pp_after(r, rc, out, "/admin/cases", cases_page, "Case %lld accepted.",
	    q.id);
}

/* ---- the audit and access logs ---- */

/* the whole documents; changes sums them up for people */
static int
audit_run(struct ops *o, const void *req, json_t **list)
{
	static const char *const hide[] = { "before", "after", NULL };
	int rc = ops_audit_list(o, req, list);

	if (rc == 0)
		pp_drop_columns(*list, hide);
	return rc;
}

static const struct pp_list audit_list = {
	"audit", "Audit log", "/admin/audit", NULL, audit_run,
	{ .row_id = "audit" }
};

void
pp_audit(struct admin_req *r)
{
	struct ops_audit_list_req q = { 0 };
	const struct pp_filter_field filter[] = {
		{ "actor", "Actor", NULL, &q.actor },
		{ "entity", "Entity", NULL, &q.entity },
		{ "action", "Action", NULL, &q.action },
		{ NULL, NULL, NULL, NULL },
	};

	pp_list_page(r, 0, &audit_list, filter, &q, &q.page);
}

PP_RUN(access_run, ops_access_list, struct ops_access_list_req)

static const struct pp_list access_list = {
	"access", "Access log", "/admin/access", NULL, access_run,
	{ .row_id = "access" }
};

void
pp_access(struct admin_req *r)
{
	struct ops_access_list_req q = { 0 };
	const struct pp_filter_field filter[] = {
		{ "actor", "Actor", NULL, &q.actor },
		{ "status", "Status", NULL, &q.status },
		{ NULL, NULL, NULL, NULL },
	};

	pp_list_page(r, 0, &access_list, filter, &q, &q.page);
}
