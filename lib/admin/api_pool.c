/*
 * api_pool.c - the seat-pool guide's routes: accounts and assignments
 * (lib/ops/account.c, lib/ops/assignment.c).  Each handler turns the JSON
 * body and query into the operation's request, calls it with r->ops, and
 * answers its answer; the operation validates (these only check types).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin/api.h"
#include "admin/faceops.h"
#include "base/config.h"
#include "base/err.h"
#include "ops/account.h"
#include "ops/assignment.h"

/*
 * max_seats: null is a single-user account (the guide's "null =
 * single-user"), a number the capacity; absent leaves it to the
 * operation (add: single-user; update: unchanged).
 */
static bool
seats_field(struct admin_req *r, const json_t *b, char buf[24],
    const char **out)
{
	const json_t *v = json_object_get(b, "max_seats");
	long long n;
	bool given;

	*out = NULL;
	if (v == NULL)
		return true;
	if (json_is_null(v)) {
		*out = "";
		return true;
	}
	if (!admin_get_int(r, b, "max_seats", 1, 1000000, &n, &given))
		return false;
	snprintf(buf, 24, "%lld", n);
	*out = buf;
	return true;
}

void
api_account_create(struct admin_req *r)
{
	static const char *const keys[] = { "email", "note", "status",
	    "max_seats", "reason", NULL };
	struct ops_account_req q = { 0 };
	json_t *b, *out = NULL;
	char seats[24];
	int rc;

	if ((b = admin_body_object(r, keys)) == NULL)
		return;
	if (admin_get_str(r, b, "email", &q.email) &&
	    admin_get_str(r, b, "note", &q.note) &&
	    admin_get_str(r, b, "status", &q.status) &&
	    admin_get_str(r, b, "reason", &q.reason) &&
	    seats_field(r, b, seats, &q.max_seats)) {
		rc = ops_account_add(&r->ops, &q, &out);
		admin_answer_op(r, rc, out);
	}
	json_decref(b);
}

void
api_account_list(struct admin_req *r)
{
	struct ops_account_list_req q = { 0 };
	json_t *out = NULL;
	int rc;

	if (!admin_query_page(r, &q.page))
		return;
	q.status = admin_query(r, "status");
	q.search = admin_query(r, "search");
	rc = ops_account_list(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

void
api_account_show(struct admin_req *r)
{
	struct ops_account_req q = { .account = r->param[0] };
	json_t *out = NULL;
	int rc;

	rc = ops_account_show(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

/* An entity with the items of one of its lists (show answers). */
json_t *
api_shape_with(const struct admin_req *r, const json_t *out, int *status,
    const char *key)
{
	json_t *body = admin_shape_default(r, out, status);
	const json_t *items = json_object_get(json_object_get(out, key), "items");

	json_object_set_new(body, key, items != NULL ? json_deep_copy(items) :
	    json_array());
	return body;
}

/* The account, with its assignments (at most 50, active first). */
json_t *
api_account_show_shape(const struct admin_req *r, const json_t *out,
    int *status)
{
	return api_shape_with(r, out, status, "assignments");
}

/*
 * PUT: {status: SUSPENDED} suspends (with note, why), {status:
 * AVAILABLE} reactivates; without status, note, email and max_seats are
 * updated.  A status does not go with email or max_seats: each request
 * is one operation, one transaction, one audit row.
 */
void
api_account_put(struct admin_req *r)
{
	static const char *const keys[] = { "status", "note", "email",
	    "max_seats", "reason", NULL };
	struct ops_account_req q = { .account = r->param[0] };
	const char *status = NULL;
	json_t *b, *out = NULL;
	char seats[24];
	int rc;

	if ((b = admin_body_object(r, keys)) == NULL)
		return;
	if (!admin_get_str(r, b, "status", &status) ||
	    !admin_get_str(r, b, "note", &q.note) ||
	    !admin_get_str(r, b, "email", &q.email) ||
	    !admin_get_str(r, b, "reason", &q.reason) ||
	    !seats_field(r, b, seats, &q.max_seats))
		goto out;
	if (status != NULL && (q.email != NULL || q.max_seats != NULL)) {
		admin_fail(r, 400, "status cannot be changed together with email "
		    "or max_seats: send them in another request");
		goto out;
	}
	if (status == NULL)
		rc = ops_account_update(&r->ops, &q, &out);
	else if (strcasecmp(status, "SUSPENDED") == 0)
		rc = ops_account_suspend(&r->ops, &q, &out);
	else if (strcasecmp(status, "AVAILABLE") == 0)
		rc = ops_account_reactivate(&r->ops, &q, &out);
	else
		rc = ops_fail(&r->ops, TALLY_EUSAGE, "status", "status must be "
		    "SUSPENDED (suspend) or AVAILABLE (reactivate)");
	admin_answer_op(r, rc, out);
out:
	json_decref(b);
}

/* ---- import ---- */

/* A bad part of a JSON array's element, named by its index. */
static void
import_error(json_t *errors, size_t i, const char *field, const char *msg)
{
	json_array_append_new(errors, json_pack("{s:I, s:s?, s:s}", "index",
	    (json_int_t)i, "field", field, "message", msg));
}

/*
 * One element of a JSON array into row (line: the element's index).
 * Types are checked here, every bad one added to errors; values are the
 * operation's to judge, so max_seats goes on as the number it is.
 */
static void
import_row(const json_t *e, size_t i, struct ops_account_row *row,
    char seats[24], json_t *errors)
{
	static const char *const keys[] = { "email", "note", "status", NULL };
	const char **slot[] = { &row->email, &row->note, &row->status };
	const char *key;
	const json_t *v;

	row->line = i;
	if (!json_is_object(e)) {
		import_error(errors, i, NULL, "each element must be an object "
		    "with email, note, max_seats, status");
		return;
	}
	json_object_foreach((json_t *)e, key, v) {
		size_t k;

		for (k = 0; keys[k] != NULL && strcmp(keys[k], key) != 0; k++)
			;
		if (keys[k] != NULL) {
			if (json_is_string(v))
				*slot[k] = json_string_value(v);
			else if (!json_is_null(v))
				import_error(errors, i, key, "must be a string");
		} else if (strcmp(key, "max_seats") == 0) {
			if (json_is_null(v))
				row->max_seats = "";
			else if (json_is_integer(v)) {
				snprintf(seats, 24, "%lld",
				    (long long)json_integer_value(v));
				row->max_seats = seats;
			} else
				import_error(errors, i, key, "must be a whole "
				    "number, or null for a single-user account");
		} else
			import_error(errors, i, key, "unknown field");
	}
}

/* For a JSON array, a bad row is named by its index, not a line. */
static void
errors_by_index(json_t *errors)
{
	size_t i;
	json_t *e;

	json_array_foreach(errors, i, e) {
		json_object_set(e, "index", json_object_get(e, "line"));
		json_object_del(e, "line");
	}
}

static void
import_json(struct admin_req *r, struct ops_account_import_req *q)
{
	struct ops_account_row *rows = NULL;
	char (*seats)[24] = NULL;
	json_error_t e;
	json_t *a, *errors = json_array(), *out = NULL;
	size_t n = 0;
	int rc;

	a = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
	if (a == NULL || !json_is_array(a)) {
		admin_fail(r, 400, "the body must be a JSON array of accounts%s%s",
		    a == NULL ? ": " : "", a == NULL ? e.text : "");
		goto out;
	}
	n = json_array_size(a);
	rows = xcalloc(n ? n : 1, sizeof(*rows));
	seats = xcalloc(n ? n : 1, sizeof(*seats));
	for (size_t i = 0; i < n; i++)
		import_row(json_array_get(a, i), i, &rows[i], seats[i], errors);
	if (json_array_size(errors) > 0) {
		(r->face != NULL ? r->face : admin_faces[0])->fail(r, 400,
		    "the array has elements of the wrong shape; nothing was "
		    "imported", NULL, errors);
		goto out;
	}
	q->source = "the JSON array";
	q->rows = rows;
	q->nrows = n;
	rc = ops_account_import(&r->ops, q, &out);
	if (rc != 0 && r->ops.errors != NULL)
		errors_by_index(r->ops.errors);
	admin_answer_op(r, rc, out);
out:
	free(rows);
	free(seats);
	json_decref(a);
	json_decref(errors);
}

/* The accounts of a CSV text, all or nothing (shared with the panel's
 * import form; faceops.h). */
int
admin_import_csv(struct admin_req *r, const char *data, size_t len,
    const char *source, const char *reason, json_t **out)
{
	struct ops_account_import_req q = { .source = source, .reason = reason };
	struct ops_account_rows rows = { 0 };
	struct strbuf err = STRBUF_INIT;
	int rc;

	*out = NULL;
	rc = ops_account_csv_parse(data, len, source, &rows, &err);
	if (rc != 0) {
		/* one "NAME:LINE: reason" a line; the answer is one sentence */
		while (err.len > 0 && err.buf[err.len - 1] == '\n')
			err.buf[--err.len] = '\0';
		ops_fail(&r->ops, rc, NULL, "%s", strbuf_str(&err));
	} else {
		q.rows = rows.rows;
		q.nrows = rows.n;
		rc = ops_account_import(&r->ops, &q, out);
	}
	ops_account_rows_release(&rows);
	strbuf_release(&err);
	return rc;
}

/*
 * A CSV body (text/csv: a header line naming email, note, max_seats,
 * status) or a JSON array of such objects; all or nothing, every bad
 * line or index named in the problem's errors.
 */
void
api_account_import(struct admin_req *r)
{
	const char *ct = admin_header(r, "Content-Type", NULL);
	struct ops_account_import_req q = { .reason = admin_query(r, "reason") };
	json_t *out = NULL;
	int rc;

	if (ct != NULL && strncasecmp(ct, "application/json", 16) == 0) {
		import_json(r, &q);
		return;
	}
	if (ct == NULL || strncasecmp(ct, "text/csv", 8) != 0) {
		admin_fail(r, 415, "send the accounts as text/csv (a header line "
		    "and one account a line) or as a JSON array "
		    "(application/json)");
		return;
	}
	rc = admin_import_csv(r, r->body, r->body_len, "the CSV body", q.reason,
	    &out);
	admin_answer_op(r, rc, out);
}

/* {"count": N, "items": [the accounts added]}, 201. */
json_t *
api_import_shape(const struct admin_req *r, const json_t *out, int *status)
{
	json_t *body;

	(void)r;
	*status = 201;
	body = json_pack("{s:O, s:O}", "count", json_object_get(out, "count"),
	    "items", json_object_get(out, "items"));
	if (json_is_true(json_object_get(out, "dry_run"))) {
		*status = 200;
		return json_pack("{s:b, s:o}", "dry_run", 1, "would_be", body);
	}
	return body;
}

/* ---- assignments ---- */

void
api_assignment_list(struct admin_req *r)
{
	struct ops_assignment_list_req q = { 0 };
	json_t *out = NULL;
	bool given;
	int rc;

	if (!admin_query_page(r, &q.page) ||
	    !admin_query_bool(r, "ending_soon", &q.ending_soon) ||
	    !admin_query_int(r, "days", 0, OPS_ASSIGNMENT_MAX_DAYS, &q.days,
	    &given))
		return;
	if (q.ending_soon)
		q.days = admin_ending_days(r, given, q.days);
	q.status = admin_query(r, "status");
	q.customer = admin_query(r, "customer");
	q.account = admin_query(r, "account");
	rc = ops_assignment_list(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

long long
admin_ending_days(struct admin_req *r, bool given, long long days)
{
	return given ? days : admin_config(r)->ending_soon_days;
}

/* {order_id} fulfils a paid order; {account_id, customer_email, days}
 * gives a seat by hand. */
void
api_assignment_assign(struct admin_req *r)
{
	static const char *const keys[] = { "order_id", "account_id",
	    "customer_email", "days", "starts_at", "reason", NULL };
	struct ops_assignment_req q = { 0 };
	long long account = 0;
	bool has_account, given;
	char acc[24];
	json_t *b, *out = NULL;
	int rc;

	if ((b = admin_body_object(r, keys)) == NULL)
		return;
	if (admin_get_int(r, b, "order_id", 1, INT64_MAX, &q.order_id, &given) &&
	    admin_get_int(r, b, "account_id", 1, INT64_MAX, &account,
	    &has_account) &&
	    admin_get_int(r, b, "days", 1, OPS_ASSIGNMENT_MAX_DAYS, &q.days,
	    &given) &&
	    admin_get_str(r, b, "customer_email", &q.customer) &&
	    admin_get_str(r, b, "starts_at", &q.starts) &&
	    admin_get_str(r, b, "reason", &q.reason)) {
		if (has_account) {
			snprintf(acc, sizeof(acc), "%lld", account);
			q.account = acc;
		}
		rc = ops_assignment_assign(&r->ops, &q, &out);
		admin_answer_op(r, rc, out);
	}
	json_decref(b);
}

/* A whole number of a path, or 404 naming what it is not (faceops.h). */
bool
admin_path_id(struct admin_req *r, const char *what, long long *id)
{
	char *end;

	*id = strtoll(r->param[0], &end, 10);
	if (*end != '\0' || *id < 1 || r->param[0][0] < '0' ||
	    r->param[0][0] > '9') {
		admin_fail(r, 404, "no %s '%s'", what, r->param[0]);
		return false;
	}
	return true;
}

void
api_assignment_extend(struct admin_req *r)
{
	static const char *const keys[] = { "additional_days", "reason", NULL };
	struct ops_assignment_req q = { 0 };
	json_t *b, *out = NULL;
	bool given;
	int rc;

	if (!admin_path_id(r, "assignment", &q.id) ||
	    (b = admin_body_object(r, keys)) == NULL)
		return;
	if (admin_get_int(r, b, "additional_days", 1, OPS_ASSIGNMENT_MAX_DAYS,
	    &q.days, &given) && admin_get_str(r, b, "reason", &q.reason)) {
		rc = given ? ops_assignment_extend(&r->ops, &q, &out) :
		    ops_fail(&r->ops, TALLY_EUSAGE, "additional_days",
		    "additional_days is required");
		admin_answer_op(r, rc, out);
	}
	json_decref(b);
}

static void
assignment_end(struct admin_req *r, int (*op)(struct ops *,
    const struct ops_assignment_req *, json_t **))
{
	static const char *const keys[] = { "reason", NULL };
	struct ops_assignment_req q = { 0 };
	json_t *b, *out = NULL;
	int rc;

	if (!admin_path_id(r, "assignment", &q.id) ||
	    (b = admin_body_object(r, keys)) == NULL)
		return;
	if (admin_get_str(r, b, "reason", &q.reason)) {
		rc = op(&r->ops, &q, &out);
		admin_answer_op(r, rc, out);
	}
	json_decref(b);
}

void
api_assignment_revoke(struct admin_req *r)
{
	assignment_end(r, ops_assignment_revoke);
}

void
api_assignment_release(struct admin_req *r)
{
	assignment_end(r, ops_assignment_release);
}
