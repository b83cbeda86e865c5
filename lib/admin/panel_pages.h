/*
 * panel_pages.h - the browser panel's pages but the dashboard (private to
 * lib/admin/panel_pages*.c, panel_pool.c, panel_sales.c, panel_logs.c):
 * admin_panel_pages_face's handlers, and what they share.
 *
 * A page is a function page(r, rc): it draws itself for a GET (rc 0) or
 * again after a refused change (rc the operation's code, shown first in
 * an error box and answered with its status).  A change handler calls
 * its operation with r->ops and ends with pp_after().
 */
#ifndef TALLY_ADMIN_PANEL_PAGES_H
#define TALLY_ADMIN_PANEL_PAGES_H

#include <stdbool.h>

#include "admin/panel.h"

typedef void pp_page_fn(struct admin_req *r, int rc);

/* Whether the visitor's role allows changes of that role: a read user
 * sees no change forms. */
bool pp_may(const struct admin_req *r, enum admin_role role);

/*
 * The frame: panel_page_begin() with the refusal of a change (rc) in an
 * error box first; pp_end() closes and sends it with the status of the
 * first failure pp_failed() or rc recorded (200 when none).
 */
struct pp_page {
	struct strbuf out;
	int rc;			/* the first failure on the page, or 0 */
};
void pp_begin(struct admin_req *r, struct pp_page *pg, const char *nav,
    const char *title, int rc);
void pp_end(struct admin_req *r, struct pp_page *pg);
/* An operation the page reads with failed: its error box; false. */
bool pp_failed(struct admin_req *r, struct pp_page *pg, int rc);

/* After a change: 303 to location with the notice (a printf format and
 * its arguments) when rc is 0, else page(r, rc).  Takes out. */
void pp_after(struct admin_req *r, int rc, json_t *out, const char *location,
    pp_page_fn *page, const char *notice, ...)
	__attribute__((format(printf, 6, 7)));

/*
 * A form field that is a whole number in [min, max]: true with *v (and
 * *given false for an empty or absent field); false with r->ops.err set
 * (TALLY_EUSAGE, field name) for anything else.
 */
bool pp_field_int(struct admin_req *r, const char *name, long long min,
    long long max, long long *v, bool *given);
/* A form field, NULL when absent or empty. */
const char *pp_field(struct admin_req *r, const char *name);
/* The last segment of the path: the verb of a change route. */
const char *pp_verb(const struct admin_req *r);
/* A query argument, NULL when absent or empty. */
const char *pp_query(struct admin_req *r, const char *name);
/* ?page= (from 1; 0 for a bad one, which the operation refuses). */
long long pp_page_arg(struct admin_req *r);

/* The filter forms (GET): a text input and a select (the first option,
 * "", is "all"), each labelled; current selects its option. */
void pp_filter_begin(struct strbuf *out, const char *action);
void pp_filter_end(struct strbuf *out);
void pp_input(struct strbuf *out, const char *name, const char *label,
    const char *value);
void pp_select(struct strbuf *out, const char *name, const char *label,
    const char *const *options, const char *current);

/*
 * A list page's whole filter form, from a table ended by a NULL name:
 * each field's query argument read into *value (pp_query), the form
 * (GET to path) drawn on pg, and base set to path with every field in its
 * query, for pp_list_end's pager.
 */
struct pp_filter_field {
	const char *name;
	const char *label;
	const char *const *options;	/* a select's (pp_select); NULL: text */
	const char **value;
};
void pp_filter(struct admin_req *r, struct pp_page *pg, const char *path,
    const struct pp_filter_field *f, struct strbuf *base);

/*
 * A list page with a filter form, as data: pp_begin() (rc as a page
 * function has it), head() (NULL: none) for what stands before the
 * filter, pp_filter() into the request req (its page from ?page=, into
 * *page), run() and pp_list_end() with table.
 */
struct pp_list {
	const char *nav, *title, *path;
	void (*head)(struct admin_req *r, struct strbuf *out);
	int (*run)(struct ops *o, const void *req, json_t **list);
	struct panel_table_opt table;
};
void pp_list_page(struct admin_req *r, int rc, const struct pp_list *l,
    const struct pp_filter_field *filter, void *req, struct ops_page *page);

/* An operation that lists on its typed request, as pp_list's run():
 *   PP_RUN(case_run, ops_case_list, struct ops_case_list_req) */
#define PP_RUN(name, op, type) \
static int \
name(struct ops *o, const void *req, json_t **list) \
{ \
	return op(o, (const type *)req, list); \
}

/*
 * End a list page: the list an operation answered (lrc 0) as
 * panel_table_with() draws it under opt, with panel_pager() for base (a
 * path with its query), or its failure (pp_failed); then pp_end().
 * Releases list and base.
 */
void pp_list_end(struct admin_req *r, struct pp_page *pg, int lrc,
    json_t *list, const struct panel_table_opt *opt, struct strbuf *base);

/* Drop the columns named (NULL-ended) from a list answer, so its table
 * leaves them out (the audit's whole before and after documents). */
void pp_drop_columns(json_t *list, const char *const *names);

/* One entity ({"item", "columns"}) as a definition list. */
void pp_item(struct strbuf *out, const json_t *answer);

/* panel_pool.c */
void pp_accounts(struct admin_req *r);
void pp_account_add(struct admin_req *r);
void pp_account_import(struct admin_req *r);
void pp_account_change(struct admin_req *r);
void pp_assignments(struct admin_req *r);
void pp_assignment_change(struct admin_req *r);

/* panel_sales.c */
void pp_orders(struct admin_req *r);
void pp_order_approve(struct admin_req *r);
void pp_users(struct admin_req *r);
void pp_user(struct admin_req *r);
void pp_user_credit(struct admin_req *r);
void pp_user_status(struct admin_req *r);
void pp_models(struct admin_req *r);
void pp_model_set(struct admin_req *r);

/* panel_logs.c */
void pp_reports(struct admin_req *r);
void pp_report_get(struct admin_req *r);
void pp_cases(struct admin_req *r);
void pp_case_accept(struct admin_req *r);
void pp_audit(struct admin_req *r);
void pp_access(struct admin_req *r);

#endif
