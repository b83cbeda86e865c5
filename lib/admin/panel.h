/*
 * panel.h - the browser panel under /admin (private to lib/admin/panel*.c
 * and html.c): a face of tally-admin (admin.h) beside the JSON API, over
 * the same operations layer (ops/ops.h) and the same roles.
 *
 * Two route tables make the face: panel.c's own (login, logout, the
 * dashboard, the static files) in admin_panel_face, and the pages'
 * (panel_pages*.c) in admin_panel_pages_face.  Both share the prefix
 * /admin, panel_authenticate() and panel_fail(), so to a browser they
 * are one panel.
 *
 * What a page handler can rely on, because the face does it before the
 * handler runs:
 *   - the visitor is logged in (a session cookie that holds) with at
 *     least the route's role; otherwise a GET is sent to /admin/login
 *     (303 with ?next=) and anything else is refused;
 *   - on every POST, the form's CSRF token (field "csrf") has been
 *     checked: a POST without a valid one never reaches a handler (403);
 *   - r->ops.actor is "admin:NAME"; every change an operation makes is
 *     audited with it, and every request is in the access log.
 *
 * Pages are server-rendered and work without JavaScript.  A change is a
 * POST of a form, answered by 303 to a page (Post/Redirect/Get) with a
 * one-time notice; a refused change shows the page again with the
 * operation's message.
 */
#ifndef TALLY_ADMIN_PANEL_H
#define TALLY_ADMIN_PANEL_H

#include <stdbool.h>

#include "admin/admin.h"
#include "admin/html.h"
#include "base/strbuf.h"

extern const struct admin_face admin_panel_face;
extern const struct admin_face admin_panel_pages_face;

/* The face's authentication (session cookie) and failure page. */
int panel_authenticate(struct admin_req *r, struct admin_who *who);
void panel_fail(struct admin_req *r, int status, const char *detail,
    const char *field, const json_t *errors);

/*
 * A page: panel_page_begin() writes the document head, the navigation
 * (nav is the id of the active item: "dashboard", "accounts",
 * "assignments", "orders", "users", "models", "reports", "cases",
 * "audit", "access"), the logged-in user with the logout form, the
 * one-time notice if any, and <main> with <h1>title</h1>;
 * panel_page_end() closes it; panel_send() answers 200 text/html with
 * the panel's headers (Content-Security-Policy without inline script,
 * X-Frame-Options DENY, Cache-Control no-store) and releases out.
 */
void panel_page_begin(struct admin_req *r, struct strbuf *out,
    const char *nav, const char *title);
void panel_page_end(struct admin_req *r, struct strbuf *out);
void panel_send(struct admin_req *r, int status, struct strbuf *out);

/* <form method="post" action="ACTION" class="CLS"> with the hidden CSRF
 * field; close it with html_f(out, "</form>"). */
void panel_form_begin(struct admin_req *r, struct strbuf *out,
    const char *action, const char *cls);
/* The same, for a change hard to undo: data-confirm="QUESTION", which
 * panel.js asks before the form is sent (without script it is sent at
 * once, as any form). */
void panel_form_confirm(struct admin_req *r, struct strbuf *out,
    const char *action, const char *cls, const char *question);

/*
 * A field of the POSTed form (application/x-www-form-urlencoded or
 * multipart/form-data; a file field's content for the latter), decoded;
 * NULL when absent.  *len (optional) its length.  Valid for the request.
 */
const char *panel_field(struct admin_req *r, const char *name, size_t *len);

/* 303 See Other to location (a path under /admin), with a one-time
 * notice shown by the next page (NULL: none). */
void panel_redirect(struct admin_req *r, const char *location,
    const char *notice);

/*
 * An operation failed: its message (ops.err, and ops.errors as a list)
 * as an error box in out, for a page to show again; the page should be
 * sent with admin_status_of(rc).
 */
void panel_error_box(struct admin_req *r, struct strbuf *out, int rc);

/* ?page= links under a list: "Page P of N", previous and next, keeping
 * the other query arguments given in base (a path with its query). */
void panel_pager(struct strbuf *out, const char *base, const json_t *list);

/*
 * A list answer of an operation ({"items", "columns", ...}) as a table:
 * columns in the operation's order, values by their type (numbers and
 * money right-aligned), text escaped.  sort_base (NULL: none) makes
 * each header in sortable (a NULL-ended list of keys) a link that sorts
 * by it (?sort=KEY&order=asc|desc appended to sort_base); row_link
 * (NULL: none) makes the first cell a link to row_link with the row's
 * "id" appended.  actions (NULL: none) writes extra cells for a row.
 */
void panel_table(struct admin_req *r, struct strbuf *out, const json_t *list,
    const char *sort_base, const char *const *sortable,
    const char *row_link,
    void (*actions)(struct admin_req *r, struct strbuf *out,
	const json_t *row));

/*
 * panel_table() with its options in a struct, and one more: row_id
 * ("account") gives a row with an "id" the attribute id="account-ID".
 * Both write every cell with its column's name as a class (<td
 * class="balance num">; "num" for numbers, right-aligned).
 */
struct panel_table_opt {
	const char *sort_base;
	const char *const *sortable;
	const char *row_link;
	const char *row_id;
	void (*actions)(struct admin_req *r, struct strbuf *out,
	    const json_t *row);
};
void panel_table_with(struct admin_req *r, struct strbuf *out,
    const json_t *list, const struct panel_table_opt *opt);

/* A small SVG chart drawn by the server (panel_chart.c): bars of
 * labelled whole numbers, and one bar against a threshold. */
void panel_chart_bars(struct strbuf *out, const char *title,
    const char *const *labels, const long long *values, size_t n);
void panel_chart_gauge(struct strbuf *out, const char *title,
    long long value, long long threshold, long long max);

#endif
