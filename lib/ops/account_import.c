/*
 * account_import.c - many accounts at once, all or nothing, and the CSV
 * that carries them.
 *
 * Every bad row is found before anything is written, so one answer names
 * every line to fix: bad values and an email twice in the rows without the
 * database, then an email already in the pool by the unique index's own
 * rule (lower(email)) inside the transaction.  The rows go in with one
 * statement, in their order, each with its audit row naming its line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "out/csvin.h"
#include "ops/account.h"
#include "ops/account_rules.h"
#include "pg/dbarray.h"

/* --- checking the rows --------------------------------------------------- */

/* A row's problem, before it becomes one of ops->errors. */
struct problem {
	unsigned long line;
	size_t seq;		/* keeps one line's problems in the order found */
	const char *field;
	char *msg;
};

struct check {
	struct problem *p;
	size_t n, cap;
};

static void problem(struct check *ck, unsigned long line, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
problem(struct check *ck, unsigned long line, const char *field,
    const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (ck->n == ck->cap) {
		ck->cap = ck->cap ? ck->cap * 2 : 16;
		ck->p = xrealloc(ck->p, ck->cap * sizeof(*ck->p));
	}
	ck->p[ck->n] = (struct problem){ line, ck->n, field,
	    strbuf_detach(&sb, NULL) };
	ck->n++;
}

static int
problem_order(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Hand the problems over to ops->errors, in line order; TALLY_EDATA. */
static int
problems_fail(struct ops *o, struct check *ck)
{
	size_t n = ck->n;

	if (n > 1)
		qsort(ck->p, n, sizeof(*ck->p), problem_order);
	for (size_t i = 0; i < n; i++) {
		ops_error_add(o, ck->p[i].line, ck->p[i].field, "%s", ck->p[i].msg);
		free(ck->p[i].msg);
	}
	ck->n = 0;
	return ops_fail(o, TALLY_EDATA, NULL, "%zu error%s; nothing was "
	    "imported", n, n == 1 ? "" : "s");
}

static void
check_release(struct check *ck)
{
	for (size_t i = 0; i < ck->n; i++)
		free(ck->p[i].msg);
	free(ck->p);
}

/* A row as it will be written: values normalised. */
struct good {
	const struct ops_account_row *row;
	char *key;		/* email in ASCII lower case */
	const char *max_seats;	/* NULL: single-user */
	const char *status;
};

static void
check_values(struct check *ck, const struct ops_account_row *r,
    struct good *g, bool *ok)
{
	const char *why;

	*ok = true;
	if ((why = ops_email_problem(r->email)) != NULL) {
		problem(ck, r->line, "email", "\"%s\" %s",
		    r->email != NULL ? r->email : "", why);
		*ok = false;
	}
	if ((why = ops_account_max_seats(r->max_seats, &g->max_seats)) != NULL) {
		problem(ck, r->line, "max_seats", "\"%s\" %s", r->max_seats, why);
		*ok = false;
	}
	if ((why = ops_account_status(r->status, &g->status)) != NULL) {
		problem(ck, r->line, "status", "\"%s\" %s", r->status, why);
		*ok = false;
	} else if (strcmp(g->status, "SUSPENDED") == 0 &&
	    (r->note == NULL || r->note[0] == '\0')) {
		problem(ck, r->line, "note", "a SUSPENDED account needs a note "
		    "saying why");
		*ok = false;
	}
}

static int
good_by_key(const void *a, const void *b)
{
	const struct good *x = a, *y = b;
	int d = strcmp(x->key, y->key);

	if (d != 0)
		return d;
	return x->row->line < y->row->line ? -1 : x->row->line > y->row->line;
}

/* Sorted by key (then line), a duplicate follows its first occurrence;
 * good is sorted back into row order afterwards by the caller's index. */
static void
check_duplicates(struct check *ck, struct good *g, size_t n)
{
	struct good *s;
	size_t first = 0;

	if (n < 2)
		return;
	s = xmalloc(n * sizeof(*s));
	memcpy(s, g, n * sizeof(*s));
	qsort(s, n, sizeof(*s), good_by_key);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(s[i].key, s[first].key) != 0) {
			first = i;
			continue;
		}
		problem(ck, s[i].row->line, "email", "%s is a duplicate of line %lu",
		    s[i].row->email, s[first].row->line);
	}
	free(s);
}

/* --- writing them -------------------------------------------------------- */

struct import {
	const struct ops_account_import_req *req;
	struct good *good;
	size_t n;
};

static void
column(const struct import *im, struct strbuf *sb, int which)
{
	const char **v = xcalloc(im->n ? im->n : 1, sizeof(char *));

	for (size_t i = 0; i < im->n; i++) {
		const struct good *g = &im->good[i];

		v[i] = which == 0 ? g->row->email : which == 1 ?
		    (g->row->note != NULL ? g->row->note : "") :
		    which == 2 ? g->max_seats : g->status;
	}
	db_array_literal(sb, v, im->n);
	free(v);
}

/* An email already in the pool, by the unique index's own rule. */
static int
check_pool(struct ops *o, struct import *im, const char *const *params)
{
	struct check ck = { 0 };
	PGresult *dup = NULL;
	int rc;

	rc = db_query(o->db, &dup,
	    "SELECT e.ord, a.id, a.email FROM unnest($1::text[]) WITH ORDINALITY"
	    " AS e(email, ord) JOIN pool_accounts a ON lower(a.email) = lower(e.email)"
	    " ORDER BY e.ord", 1, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "checking for existing accounts");
	for (int i = 0; i < PQntuples(dup); i++) {
		long long ord = db_value_ll(dup, i, 0, 0);

		if (ord < 1 || (size_t)ord > im->n)
			continue;
		problem(&ck, im->good[ord - 1].row->line, "email",
		    "%s already exists (account %s, %s)",
		    im->good[ord - 1].row->email, PQgetvalue(dup, i, 1),
		    PQgetvalue(dup, i, 2));
	}
	PQclear(dup);
	rc = ck.n > 0 ? problems_fail(o, &ck) : 0;
	check_release(&ck);
	return rc;
}

static int
audit_rows(struct ops *o, const struct import *im, const PGresult *res)
{
	const struct ops_account_import_req *req = im->req;
	struct strbuf reason = STRBUF_INIT;
	int rc = 0;

	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const struct ops_account_row *r = im->good[i].row;

		/* RETURNING gives rows in insertion order, which is ord
		 * order; check it rather than trust it */
		if ((size_t)i >= im->n ||
		    strcmp(PQgetvalue(res, i, 1), r->email) != 0) {
			rc = ops_fail(o, TALLY_EINTERNAL, NULL, "inserted rows came "
			    "back out of order");
			break;
		}
		strbuf_reset(&reason);
		if (req->reason != NULL && req->reason[0] != '\0')
			strbuf_addf(&reason, "%s (%s line %lu)", req->reason,
			    req->source, r->line);
		else
			strbuf_addf(&reason, "%s line %lu", req->source, r->line);
		rc = ops_audit_new(o, "account.import", "account",
		    PQgetvalue(res, i, 0), strbuf_str(&reason), res, i,
		    ACCOUNT_NCOLS);
	}
	strbuf_release(&reason);
	return rc;
}

static int
import_fn(struct ops *o, void *p, json_t **out)
{
	struct import *im = p;
	struct strbuf col[4] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT,
	    STRBUF_INIT };
	const char *params[4];
	PGresult *res = NULL;
	int rc;

	for (int i = 0; i < 4; i++) {
		column(im, &col[i], i);
		params[i] = strbuf_str(&col[i]);
	}
	if ((rc = check_pool(o, im, params)) != 0)
		goto out;
	/* one statement for all rows; ids follow the rows' order */
	rc = db_query(o->db, &res,
	    "INSERT INTO pool_accounts AS a (email, note, max_seats, status)"
	    " SELECT t.email, t.note, t.max_seats, t.status"
	    " FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[])"
	    " WITH ORDINALITY AS t(email, note, max_seats, status, ord)"
	    " ORDER BY t.ord"
	    " RETURNING " ACCOUNT_COLS ", to_jsonb(a) AS after", 4, params);
	if (rc != 0) {
		/* a concurrent add of the same email lands here */
		rc = ops_account_write_error(o, rc, "(one of the imported emails)");
		goto out;
	}
	if ((rc = audit_rows(o, im, res)) != 0)
		goto out;
	*out = ops_items_json(res, ACCOUNT_NCOLS);
	json_object_set_new(*out, "count", json_integer((json_int_t)im->n));
	json_object_set_new(*out, "dry_run", json_boolean(o->dry_run));
out:
	PQclear(res);
	for (int i = 0; i < 4; i++)
		strbuf_release(&col[i]);
	return rc;
}

int
ops_account_import(struct ops *o, const struct ops_account_import_req *req,
    json_t **out)
{
	struct import im = { .req = req };
	struct check ck = { 0 };
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	ops_reset(o);
	if (req->source == NULL)
		return ops_fail(o, TALLY_EUSAGE, "source", "source is required");
	im.good = xcalloc(req->nrows ? req->nrows : 1, sizeof(*im.good));
	for (size_t i = 0; i < req->nrows; i++) {
		struct good *g = &im.good[n];
		bool ok;

		g->row = &req->rows[i];
		check_values(&ck, g->row, g, &ok);
		if (!ok)
			continue;	/* go on: report every bad row at once */
		g->key = xstrdup(g->row->email);
		for (char *k = g->key; *k != '\0'; k++)
			if (*k >= 'A' && *k <= 'Z')
				*k = (char)(*k - 'A' + 'a');
		n++;
	}
	im.n = n;
	check_duplicates(&ck, im.good, n);
	if (ck.n > 0) {
		rc = problems_fail(o, &ck);
		goto out;
	}
	if (n == 0)
		*out = json_pack("{s:[], s:[], s:i, s:b}", "items", "columns",
		    "count", 0, "dry_run", o->dry_run);
	else
		rc = ops_change(o, import_fn, &im, out);
out:
	for (size_t i = 0; i < n; i++)
		free(im.good[i].key);
	free(im.good);
	check_release(&ck);
	return rc;
}

/* --- the CSV ------------------------------------------------------------- */

static const char *const csv_required[] = { "email", NULL };
static const char *const csv_allowed[] = { "note", "max_seats", "status", NULL };
static const struct csvin_options csv_opt = {
	.required = csv_required, .allowed = csv_allowed, .max_field = 4096
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static int
csv_record(const struct csvin_record *rec, void *arg)
{
	struct ops_account_rows *rows = arg;
	struct ops_account_row *r;

	if (rows->n == rows->cap) {
		rows->cap = rows->cap ? rows->cap * 2 : 64;
		rows->rows = xrealloc(rows->rows, rows->cap * sizeof(*rows->rows));
	}
	r = &rows->rows[rows->n++];
	r->line = csvin_line(rec);
	r->email = dup_or_null(csvin_get(rec, "email"));
	r->note = dup_or_null(csvin_get(rec, "note"));
	r->max_seats = dup_or_null(csvin_get(rec, "max_seats"));
	r->status = dup_or_null(csvin_get(rec, "status"));
	return 0;
}

int
ops_account_csv_read(FILE *fp, const char *name, struct ops_account_rows *rows,
    struct strbuf *err)
{
	return csvin_read_stream(fp, name, &csv_opt, csv_record, rows, err);
}

int
ops_account_csv_parse(const void *data, size_t len, const char *name,
    struct ops_account_rows *rows, struct strbuf *err)
{
	return csvin_read_mem(data, len, name, &csv_opt, csv_record, rows, err);
}

void
ops_account_rows_release(struct ops_account_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++) {
		/* the strings are the container's own copies */
		free((char *)rows->rows[i].email);
		free((char *)rows->rows[i].note);
		free((char *)rows->rows[i].max_seats);
		free((char *)rows->rows[i].status);
	}
	free(rows->rows);
	rows->rows = NULL;
	rows->n = rows->cap = 0;
}
