/*
 * ctl_account.c - the pool of shared accounts, by hand.
 *
 * Seat counters and the AVAILABLE/ASSIGNED status are the database's
 * (sql/001_core.sql triggers); this file only sets what an admin decides:
 * email, note, capacity, suspension.  Every change writes its audit row,
 * with the row before and after as to_jsonb() from the same statement, in
 * the same transaction.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "out/csvin.h"
#include "ctl/account.h"
#include "ctl/ctlopt.h"
#include "base/err.h"
#include "base/log.h"
#include "base/strbuf.h"

#define ACCOUNT_MAX_SEATS 10000	/* pool_accounts.max_seats check */
#define EMAIL_MAX 254		/* RFC 5321 path limit */
#define IMPORT_MAX_ERRORS 100	/* printed; the rest are counted */

/* The columns every account listing shows, in this order. */
#define ACCOUNT_COLS \
	"a.id, a.email, a.status, a.max_seats, a.current_seats_used AS seats_used," \
	" coalesce(a.max_seats, 1) - a.current_seats_used AS seats_free, a.note," \
	" a.created_at, a.updated_at"
#define ACCOUNT_NCOLS 9

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int
ctl_account_find(struct ctl *c, const char *spec, bool lock, long long *id,
    PGresult **row)
{
	/* four fixed statements: the lookup key picks one, data never
	 * becomes SQL */
	static const char *const sql[2][2] = {
		{ "SELECT " ACCOUNT_COLS " FROM pool_accounts a"
		  " WHERE lower(a.email) = lower($1)",
		  "SELECT " ACCOUNT_COLS " FROM pool_accounts a"
		  " WHERE lower(a.email) = lower($1) FOR UPDATE" },
		{ "SELECT " ACCOUNT_COLS " FROM pool_accounts a WHERE a.id = $1",
		  "SELECT " ACCOUNT_COLS " FROM pool_accounts a WHERE a.id = $1"
		  " FOR UPDATE" },
	};
	const char *params[1] = { spec };
	PGresult *res = NULL;
	bool by_id = all_digits(spec);
	int rc;

	if (row != NULL)
		*row = NULL;
	if (by_id && strlen(spec) > 18)
		goto notfound;
	rc = db_query(c->db, &res, sql[by_id][lock], 1, params);
	if (rc != 0)
		return ctlopt_db_error(c, rc, "looking up the account");
	if (PQntuples(res) != 1) {
		PQclear(res);
		goto notfound;
	}
	*id = db_value_ll(res, 0, 0, 0);
	if (row != NULL)
		*row = res;
	else
		PQclear(res);
	return 0;
notfound:
	log_err("tallyctl %s %s: no account '%s'", c->group, c->verb, spec);
	return TALLY_ENOTFOUND;
}

/* --- value rules ------------------------------------------------------- */

const char *
ctl_account_email_problem(const char *s)
{
	const char *at;

	if (s == NULL || *s == '\0')
		return "is empty";
	if (strlen(s) > EMAIL_MAX)
		return "is longer than 254 characters";
	/* the same rule as the pool_accounts check: ^[^@\s]+@[^@\s]+$ */
	for (const char *p = s; *p != '\0'; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '\f' || *p == '\v')
			return "contains white space";
	at = strchr(s, '@');
	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return "is not an address like name@example.com";
	return NULL;
}

/* "" -> NULL (single-user), else a whole number 1..10000. */
static const char *
max_seats_problem(const char *s, const char **out)
{
	long long v;

	*out = NULL;
	if (s == NULL || *s == '\0')
		return NULL;
	if (ctlopt_parse_ll(s, 1, ACCOUNT_MAX_SEATS, &v) != 0)
		return "must be empty (single-user) or a whole number from 1 to 10000";
	*out = s;
	return NULL;
}

/* "" -> AVAILABLE; AVAILABLE or SUSPENDED in any case. */
static const char *
status_problem(const char *s, const char **out)
{
	if (s == NULL || *s == '\0' || strcasecmp(s, "AVAILABLE") == 0) {
		*out = "AVAILABLE";
		return NULL;
	}
	if (strcasecmp(s, "SUSPENDED") == 0) {
		*out = "SUSPENDED";
		return NULL;
	}
	if (strcasecmp(s, "ASSIGNED") == 0)
		return "ASSIGNED follows seat use and cannot be set; use AVAILABLE "
		    "or SUSPENDED";
	return "must be AVAILABLE or SUSPENDED";
}

/* Translate what the pool_accounts constraints say into the admin's terms. */
static int
account_write_error(struct ctl *c, int rc, const char *email)
{
	const char *msg = db_errmsg(c->db);

	if (rc == TALLY_ECONFLICT) {
		log_err("tallyctl %s %s: an account with email '%s' already exists",
		    c->group, c->verb, email != NULL ? email : "?");
		return rc;
	}
	if (strstr(msg, "seats_not_oversubscribed") != NULL ||
	    strstr(msg, "status_matches_seats") != NULL)
		return ctlopt_refuse(c, "the new capacity is below the seats in use "
		    "(revoke or release assignments first)");
	if (strstr(msg, "pool_accounts_email_check") != NULL) {
		log_err("tallyctl %s %s: '%s' is not a valid email", c->group,
		    c->verb, email != NULL ? email : "?");
		return TALLY_EDATA;
	}
	return ctlopt_db_error(c, rc, "writing the account");
}

/* --- add ----------------------------------------------------------------- */

struct add_arg {
	struct ctl *c;
	const char *email, *note, *max_seats, *status, *reason;
	PGresult *res;
};

static int
add_tx(struct db *db, void *p)
{
	struct add_arg *a = p;
	const char *params[4] = { a->email, a->note, a->max_seats, a->status };
	int rc;

	PQclear(a->res);
	a->res = NULL;
	rc = db_query(db, &a->res,
	    "INSERT INTO pool_accounts AS a (email, note, max_seats, status)"
	    " VALUES ($1, coalesce($2, ''), $3::integer, $4)"
	    " RETURNING " ACCOUNT_COLS ", to_jsonb(a) AS after", 4, params);
	if (rc != 0)
		return account_write_error(a->c, rc, a->email);
	return ctlopt_audit(a->c, "account.add", "account",
	    PQgetvalue(a->res, 0, 0), a->reason, NULL,
	    PQgetvalue(a->res, 0, ACCOUNT_NCOLS));
}

static int
account_add(struct ctl *c, int argc, char **argv)
{
	struct add_arg a = { .c = c };
	const char *pos[1], *why, *status_in = NULL, *seats_in = NULL;
	const struct ctlopt opts[] = {
		{ "note", CTLOPT_STR, &a.note, 0, 0, NULL },
		{ "max-seats", CTLOPT_STR, &seats_in, 0, 0, NULL },
		{ "status", CTLOPT_STR, &status_in, 0, 0, NULL },
		{ "reason", CTLOPT_STR, &a.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	int rc;

	rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1);
	if (rc != 0)
		return rc;
	a.email = pos[0];
	if ((why = ctl_account_email_problem(a.email)) != NULL)
		return ctlopt_usage_error(c, "email '%s' %s", a.email, why);
	if ((why = max_seats_problem(seats_in, &a.max_seats)) != NULL)
		return ctlopt_usage_error(c, "--max-seats %s", why);
	if ((why = status_problem(status_in, &a.status)) != NULL)
		return ctlopt_usage_error(c, "--status %s", why);
	if (strcmp(a.status, "SUSPENDED") == 0 && (a.note == NULL || !*a.note))
		return ctlopt_usage_error(c, "a suspended account needs --note "
		    "saying why");
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	rc = ctlopt_mutate(c, add_tx, &a);
	if (rc == 0)
		rc = ctlopt_print_record(c, a.res, 0, ACCOUNT_NCOLS);
	PQclear(a.res);
	return rc;
}

/* --- import -------------------------------------------------------------- */

struct import_row {
	unsigned long line;
	char *email;
	char *key;		/* email in ASCII lower case: duplicate check */
	char *note;
	char *max_seats;	/* NULL: single-user */
	const char *status;
	long long id;		/* after the insert */
};

struct import_err {
	unsigned long line;
	char *msg;
};

struct import {
	struct ctl *c;
	const char *path;
	const char *reason;
	struct import_row *rows;
	size_t n, cap;
	struct import_err *errs;
	size_t nerr, errcap;
	PGresult *res;
};

static void
import_error(struct import *im, const struct csvin_record *rec,
    unsigned long line, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Record an error for line (the record's own, or another given one). */
static void
import_error(struct import *im, const struct csvin_record *rec,
    unsigned long line, const char *field, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rec != NULL)
		csvin_errf(&sb, rec, field, "%s", msg);
	else
		strbuf_addf(&sb, "%s:%lu: %s: %s\n", im->path, line, field, msg);
	if (im->nerr == im->errcap) {
		im->errcap = im->errcap ? im->errcap * 2 : 16;
		im->errs = xrealloc(im->errs, im->errcap * sizeof(*im->errs));
	}
	im->errs[im->nerr].line = rec != NULL ? csvin_line(rec) : line;
	im->errs[im->nerr].msg = strbuf_detach(&sb, NULL);
	im->nerr++;
}

static char *
ascii_lower_dup(const char *s)
{
	char *d = xstrdup(s);

	for (char *p = d; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return d;
}

static int
import_record(const struct csvin_record *rec, void *arg)
{
	struct import *im = arg;
	const char *email = csvin_get(rec, "email");
	const char *note = csvin_get(rec, "note");
	const char *status = NULL, *seats = NULL, *why;
	bool ok = true;
	struct import_row *r;

	if ((why = ctl_account_email_problem(email)) != NULL) {
		import_error(im, rec, 0, "email", "\"%s\" %s", email, why);
		ok = false;
	}
	if ((why = max_seats_problem(csvin_get(rec, "max_seats"), &seats)) != NULL) {
		import_error(im, rec, 0, "max_seats", "\"%s\" %s",
		    csvin_get(rec, "max_seats"), why);
		ok = false;
	}
	if ((why = status_problem(csvin_get(rec, "status"), &status)) != NULL) {
		import_error(im, rec, 0, "status", "\"%s\" %s",
		    csvin_get(rec, "status"), why);
		ok = false;
	} else if (strcmp(status, "SUSPENDED") == 0 && (note == NULL || !*note)) {
		import_error(im, rec, 0, "note", "a SUSPENDED account needs a note "
		    "saying why");
		ok = false;
	}
	if (!ok)
		return 0;	/* go on: report every bad line in one pass */
	if (im->n == im->cap) {
		im->cap = im->cap ? im->cap * 2 : 64;
		im->rows = xrealloc(im->rows, im->cap * sizeof(*im->rows));
	}
	r = &im->rows[im->n++];
	r->line = csvin_line(rec);
	r->email = xstrdup(email);
	r->key = ascii_lower_dup(email);
	r->note = xstrdup(note != NULL ? note : "");
	r->max_seats = seats != NULL ? xstrdup(seats) : NULL;
	r->status = status;
	r->id = 0;
	return 0;
}

static int
row_by_key(const void *a, const void *b)
{
	const struct import_row *x = a, *y = b;
	int d = strcmp(x->key, y->key);

	if (d != 0)
		return d;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int
row_by_line(const void *a, const void *b)
{
	const struct import_row *x = a, *y = b;

	return x->line < y->line ? -1 : x->line > y->line;
}

static int
err_by_line(const void *a, const void *b)
{
	const struct import_err *x = a, *y = b;

	return x->line < y->line ? -1 : x->line > y->line;
}

/* Sorted by key (then line), a duplicate follows its first occurrence. */
static void
import_find_duplicates(struct import *im)
{
	size_t first = 0;

	/* qsort's base must not be NULL, even for no rows */
	if (im->n < 2)
		return;
	qsort(im->rows, im->n, sizeof(*im->rows), row_by_key);
	for (size_t i = 1; i < im->n; i++) {
		if (strcmp(im->rows[i].key, im->rows[first].key) != 0) {
			first = i;
			continue;
		}
		import_error(im, NULL, im->rows[i].line, "email",
		    "%s is a duplicate of line %lu", im->rows[i].email,
		    im->rows[first].line);
	}
	qsort(im->rows, im->n, sizeof(*im->rows), row_by_line);
}

static void
import_rows_column(const struct import *im, struct strbuf *sb, int which)
{
	const char **v = xcalloc(im->n ? im->n : 1, sizeof(char *));

	for (size_t i = 0; i < im->n; i++)
		v[i] = which == 0 ? im->rows[i].email : which == 1 ?
		    im->rows[i].note : which == 2 ? im->rows[i].max_seats :
		    im->rows[i].status;
	ctlopt_pg_array(sb, v, im->n);
	free(v);
}

static int
import_tx(struct db *db, void *p)
{
	struct import *im = p;
	struct strbuf col[4] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	struct strbuf reason = STRBUF_INIT;
	const char *params[4];
	PGresult *dup = NULL;
	int rc;

	PQclear(im->res);
	im->res = NULL;
	for (int i = 0; i < 4; i++) {
		import_rows_column(im, &col[i], i);
		params[i] = strbuf_str(&col[i]);
	}
	/* duplicates against the pool, by the unique index's own rule */
	rc = db_query(db, &dup,
	    "SELECT e.ord, a.id, a.email FROM unnest($1::text[]) WITH ORDINALITY"
	    " AS e(email, ord) JOIN pool_accounts a ON lower(a.email) = lower(e.email)"
	    " ORDER BY e.ord", 1, params);
	if (rc != 0) {
		ctlopt_db_error(im->c, rc, "checking for existing accounts");
		goto out;
	}
	for (int i = 0; i < PQntuples(dup); i++) {
		long long ord = db_value_ll(dup, i, 0, 0);

		if (ord < 1 || (size_t)ord > im->n)
			continue;
		import_error(im, NULL, im->rows[ord - 1].line, "email",
		    "%s already exists (account %s, %s)", im->rows[ord - 1].email,
		    PQgetvalue(dup, i, 1), PQgetvalue(dup, i, 2));
	}
	if (PQntuples(dup) > 0) {
		rc = TALLY_EDATA;
		goto out;
	}
	/* one statement for all rows; ids follow the file's order */
	rc = db_query(db, &im->res,
	    "INSERT INTO pool_accounts AS a (email, note, max_seats, status)"
	    " SELECT t.email, t.note, t.max_seats, t.status"
	    " FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[])"
	    " WITH ORDINALITY AS t(email, note, max_seats, status, ord)"
	    " ORDER BY t.ord"
	    " RETURNING " ACCOUNT_COLS ", to_jsonb(a) AS after", 4, params);
	if (rc != 0) {
		/* a concurrent add of the same email lands here */
		account_write_error(im->c, rc, "(one of the file's emails)");
		goto out;
	}
	for (int i = 0; i < PQntuples(im->res); i++) {
		/* RETURNING gives rows in insertion order, which is ord order;
		 * check it rather than trust it */
		const char *email = PQgetvalue(im->res, i, 1);

		if ((size_t)i >= im->n || strcmp(email, im->rows[i].email) != 0) {
			log_err("tallyctl account import: inserted rows came back out "
			    "of order");
			rc = TALLY_EINTERNAL;
			goto out;
		}
		im->rows[i].id = db_value_ll(im->res, i, 0, 0);
		strbuf_reset(&reason);
		if (im->reason != NULL && *im->reason != '\0')
			strbuf_addf(&reason, "%s (%s line %lu)", im->reason, im->path,
			    im->rows[i].line);
		else
			strbuf_addf(&reason, "%s line %lu", im->path, im->rows[i].line);
		rc = ctlopt_audit(im->c, "account.import", "account",
		    PQgetvalue(im->res, i, 0), strbuf_str(&reason), NULL,
		    PQgetvalue(im->res, i, ACCOUNT_NCOLS));
		if (rc != 0)
			goto out;
	}
out:
	PQclear(dup);
	for (int i = 0; i < 4; i++)
		strbuf_release(&col[i]);
	strbuf_release(&reason);
	return rc;
}

static void
import_report_errors(struct import *im)
{
	if (im->nerr > 1)
		qsort(im->errs, im->nerr, sizeof(*im->errs), err_by_line);
	for (size_t i = 0; i < im->nerr && i < IMPORT_MAX_ERRORS; i++)
		fputs(im->errs[i].msg, stderr);
	if (im->nerr > IMPORT_MAX_ERRORS)
		fprintf(stderr, "... and %zu more errors\n",
		    im->nerr - IMPORT_MAX_ERRORS);
	fprintf(stderr, "%s: %zu error%s; nothing was imported\n", im->path,
	    im->nerr, im->nerr == 1 ? "" : "s");
}

static void
import_free(struct import *im)
{
	for (size_t i = 0; i < im->n; i++) {
		free(im->rows[i].email);
		free(im->rows[i].key);
		free(im->rows[i].note);
		free(im->rows[i].max_seats);
	}
	for (size_t i = 0; i < im->nerr; i++)
		free(im->errs[i].msg);
	free(im->rows);
	free(im->errs);
	PQclear(im->res);
}

static int
account_import(struct ctl *c, int argc, char **argv)
{
	static const char *const required[] = { "email", NULL };
	static const char *const allowed[] = { "note", "max_seats", "status", NULL };
	const struct csvin_options copt = { .required = required,
		.allowed = allowed, .max_field = 4096 };
	struct import im = { .c = c };
	struct strbuf err = STRBUF_INIT;
	const char *pos[1];
	const struct ctlopt opts[] = {
		{ "reason", CTLOPT_STR, &im.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	int rc;

	rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1);
	if (rc != 0)
		return rc;
	im.path = pos[0];
	rc = csvin_read_file(im.path, &copt, import_record, &im, &err);
	if (rc != 0) {
		/* the file itself is unreadable or malformed: stop at once */
		fputs(strbuf_str(&err), stderr);
		fprintf(stderr, "%s: nothing was imported\n", im.path);
		goto out;
	}
	import_find_duplicates(&im);
	if (im.nerr > 0) {
		import_report_errors(&im);
		rc = TALLY_EDATA;
		goto out;
	}
	if (im.n == 0) {
		fprintf(stderr, "%s: no accounts in the file\n", im.path);
		goto out;
	}
	if ((rc = ctlopt_connect(c)) != 0)
		goto out;
	rc = ctlopt_mutate(c, import_tx, &im);
	if (im.nerr > 0) {
		import_report_errors(&im);
		goto out;
	}
	if (rc != 0) {
		fprintf(stderr, "%s: nothing was imported\n", im.path);
		goto out;
	}
	rc = ctlopt_print(c, im.res, ACCOUNT_NCOLS);
	fprintf(stderr, "%s: %s %zu account%s\n", im.path,
	    c->dry_run ? "would import" : "imported", im.n, im.n == 1 ? "" : "s");
out:
	strbuf_release(&err);
	import_free(&im);
	return rc;
}

/* --- list and show ------------------------------------------------------- */

static int
account_list(struct ctl *c, int argc, char **argv)
{
	const char *status = NULL, *search = NULL;
	const struct ctlopt opts[] = {
		{ "status", CTLOPT_STR, &status, 0, 0, NULL },
		{ "search", CTLOPT_STR, &search, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_END
	};
	const char *params[2];
	PGresult *res = NULL;
	char st[16] = "";
	int rc;

	rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0);
	if (rc != 0)
		return rc;
	if (status != NULL) {
		if (strcasecmp(status, "AVAILABLE") != 0 &&
		    strcasecmp(status, "ASSIGNED") != 0 &&
		    strcasecmp(status, "SUSPENDED") != 0)
			return ctlopt_usage_error(c, "--status must be AVAILABLE, "
			    "ASSIGNED or SUSPENDED");
		for (size_t i = 0; status[i] != '\0' && i + 1 < sizeof(st); i++)
			st[i] = (char)(status[i] >= 'a' && status[i] <= 'z' ?
			    status[i] - 'a' + 'A' : status[i]);
	}
	params[0] = status != NULL ? st : NULL;
	params[1] = search;
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	rc = db_query(c->db, &res,
	    "SELECT " ACCOUNT_COLS " FROM pool_accounts a"
	    " WHERE ($1::text IS NULL OR a.status = $1)"
	    "   AND ($2::text IS NULL OR strpos(lower(a.email), lower($2)) > 0"
	    "        OR strpos(lower(a.note), lower($2)) > 0)"
	    " ORDER BY a.id", 2, params);
	if (rc != 0)
		return ctlopt_db_error(c, rc, "listing accounts");
	rc = ctlopt_print(c, res, 0);
	PQclear(res);
	return rc;
}

static int
account_show(struct ctl *c, int argc, char **argv)
{
	const struct ctlopt opts[] = { CTLOPT_OUTPUT(c), CTLOPT_END };
	const char *pos[1], *params[1];
	PGresult *acc = NULL, *asg = NULL;
	long long id;
	char idbuf[24];
	int rc;

	rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1);
	if (rc != 0)
		return rc;
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	/* one snapshot: the account and its assignments agree */
	if ((rc = db_begin(c->db, DB_REPEATABLE_READ_RO)) != 0)
		return ctlopt_db_error(c, rc, "starting a transaction");
	rc = ctl_account_find(c, pos[0], false, &id, &acc);
	if (rc != 0)
		goto out;
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	params[0] = idbuf;
	rc = db_query(c->db, &asg,
	    "SELECT s.id, c.email AS customer, s.status, s.starts_at, s.ends_at,"
	    " s.ended_at, s.order_id, s.reason"
	    " FROM assignments s JOIN customers c ON c.id = s.customer_id"
	    " WHERE s.account_id = $1"
	    " ORDER BY (s.status = 'ACTIVE') DESC, s.starts_at DESC, s.id DESC"
	    " LIMIT 50", 1, params);
	if (rc != 0) {
		ctlopt_db_error(c, rc, "listing the account's assignments");
		goto out;
	}
	switch ((enum table_format)c->format) {
	case TABLE_TEXT:
		rc = ctlopt_print_record(c, acc, 0, 0);
		if (rc == 0) {
			fputs("\nassignments (active first, at most 50):\n", c->out);
			rc = ctlopt_print(c, asg, 0);
		}
		break;
	case TABLE_JSON:
		/* {"account": {...}, "assignments": [...]} */
		fputs("{\"account\":", c->out);
		rc = ctlopt_print_record(c, acc, 0, 0);
		if (rc == 0) {
			fputs(",\"assignments\":", c->out);
			rc = ctlopt_print(c, asg, 0);
		}
		fputs("}\n", c->out);
		break;
	case TABLE_CSV:
		/* one CSV file holds one table: the account; assignment list
		 * --account gives the rest */
		rc = ctlopt_print_record(c, acc, 0, 0);
		break;
	}
out:
	db_rollback(c->db);
	PQclear(acc);
	PQclear(asg);
	return rc;
}

/* --- suspend, reactivate, update ----------------------------------------- */

struct change_arg {
	struct ctl *c;
	const char *spec;
	int verb;		/* 0 suspend, 1 reactivate, 2 update */
	const char *note;	/* NULL: unchanged */
	const char *reason;
	bool set_seats;
	const char *max_seats;	/* NULL with set_seats: single-user */
	const char *email;	/* NULL: unchanged */
	PGresult *res;
};

static const char *const change_actions[] = {
	"account.suspend", "account.reactivate", "account.update"
};

/* One statement per change: the locked old row and the new one come back
 * together for the audit log.  $2 note (NULL: keep), $3 set max_seats?,
 * $4 max_seats, $5 email (NULL: keep), $6 new status (NULL: keep). */
static const char change_sql[] =
	"WITH old AS (SELECT * FROM pool_accounts WHERE id = $1 FOR UPDATE)"
	" UPDATE pool_accounts a SET"
	"  note = coalesce($2, a.note),"
	"  max_seats = CASE WHEN $3::boolean THEN $4::integer ELSE a.max_seats END,"
	"  email = coalesce($5, a.email),"
	"  status = coalesce($6, a.status),"
	"  updated_at = now()"
	" FROM old WHERE a.id = old.id"
	" RETURNING " ACCOUNT_COLS ", to_jsonb(old) AS before, to_jsonb(a) AS after";

static int
change_tx(struct db *db, void *p)
{
	struct change_arg *a = p;
	struct ctl *c = a->c;
	PGresult *cur = NULL;
	const char *params[6];
	const char *status;
	char idbuf[24];
	long long id, used;
	int rc;

	PQclear(a->res);
	a->res = NULL;
	rc = ctl_account_find(c, a->spec, true, &id, &cur);
	if (rc != 0)
		return rc;
	status = PQgetvalue(cur, 0, 2);
	used = db_value_ll(cur, 0, 4, 0);
	if (a->verb == 0 && strcmp(status, "SUSPENDED") == 0) {
		rc = ctlopt_refuse(c, "account %s (%s) is already suspended",
		    PQgetvalue(cur, 0, 0), PQgetvalue(cur, 0, 1));
		goto out;
	}
	if (a->verb == 1 && strcmp(status, "SUSPENDED") != 0) {
		rc = ctlopt_refuse(c, "account %s (%s) is %s, not suspended",
		    PQgetvalue(cur, 0, 0), PQgetvalue(cur, 0, 1), status);
		goto out;
	}
	if (a->verb == 2 && a->set_seats) {
		long long cap = a->max_seats != NULL ? strtoll(a->max_seats, NULL, 10) : 1;

		if (cap < used) {
			rc = ctlopt_refuse(c, "account %s (%s) has %lld seats in use; "
			    "--max-seats cannot go below that (revoke or release "
			    "assignments first)", PQgetvalue(cur, 0, 0),
			    PQgetvalue(cur, 0, 1), used);
			goto out;
		}
	}
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	params[0] = idbuf;
	params[1] = a->note;
	params[2] = a->set_seats ? "true" : "false";
	params[3] = a->max_seats;
	params[4] = a->email;
	/* leaving SUSPENDED: the guard trigger recomputes AVAILABLE/ASSIGNED */
	params[5] = a->verb == 0 ? "SUSPENDED" : a->verb == 1 ? "AVAILABLE" : NULL;
	rc = db_query(db, &a->res, change_sql, 6, params);
	if (rc != 0) {
		rc = account_write_error(c, rc, a->email);
		goto out;
	}
	/* for suspend and reactivate the note says why; an update's note is
	 * just the new note */
	rc = ctlopt_audit(c, change_actions[a->verb], "account", idbuf,
	    a->reason != NULL ? a->reason : a->verb != 2 ? a->note : NULL,
	    PQgetvalue(a->res, 0, ACCOUNT_NCOLS),
	    PQgetvalue(a->res, 0, ACCOUNT_NCOLS + 1));
out:
	PQclear(cur);
	return rc;
}

static int
run_change(struct ctl *c, struct change_arg *a)
{
	int rc;

	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	rc = ctlopt_mutate(c, change_tx, a);
	if (rc == 0)
		rc = ctlopt_print_record(c, a->res, 0, ACCOUNT_NCOLS);
	PQclear(a->res);
	return rc;
}

static int
account_suspend(struct ctl *c, int argc, char **argv)
{
	struct change_arg a = { .c = c, .verb = 0 };
	const char *pos[1];
	const struct ctlopt opts[] = {
		{ "note", CTLOPT_STR, &a.note, 0, 0, NULL },
		{ "reason", CTLOPT_STR, &a.note, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	int rc;

	rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1);
	if (rc != 0)
		return rc;
	if (a.note == NULL || a.note[0] == '\0')
		return ctlopt_usage_error(c, "--note is required: say why the "
		    "account is suspended");
	a.spec = pos[0];
	return run_change(c, &a);
}

static int
account_reactivate(struct ctl *c, int argc, char **argv)
{
	struct change_arg a = { .c = c, .verb = 1 };
	const char *pos[1];
	const struct ctlopt opts[] = {
		{ "note", CTLOPT_STR, &a.note, 0, 0, NULL },
		{ "reason", CTLOPT_STR, &a.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	int rc;

	rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1);
	if (rc != 0)
		return rc;
	a.spec = pos[0];
	return run_change(c, &a);
}

static int
account_update(struct ctl *c, int argc, char **argv)
{
	struct change_arg a = { .c = c, .verb = 2 };
	const char *pos[1], *seats = NULL, *why;
	const struct ctlopt opts[] = {
		{ "note", CTLOPT_STR, &a.note, 0, 0, NULL },
		{ "max-seats", CTLOPT_STR, &seats, 0, 0, &a.set_seats },
		{ "email", CTLOPT_STR, &a.email, 0, 0, NULL },
		{ "reason", CTLOPT_STR, &a.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	int rc;

	rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1);
	if (rc != 0)
		return rc;
	if (a.note == NULL && !a.set_seats && a.email == NULL)
		return ctlopt_usage_error(c, "nothing to change: give --note, "
		    "--max-seats or --email");
	/* "single" is NULL capacity; "" is not accepted here: too easy to
	 * pass by accident from an empty shell variable */
	if (a.set_seats && strcmp(seats, "single") != 0 &&
	    (seats[0] == '\0' || max_seats_problem(seats, &a.max_seats) != NULL))
		return ctlopt_usage_error(c, "--max-seats must be 'single' or a "
		    "whole number from 1 to 10000");
	if (a.email != NULL && (why = ctl_account_email_problem(a.email)) != NULL)
		return ctlopt_usage_error(c, "--email '%s' %s", a.email, why);
	a.spec = pos[0];
	return run_change(c, &a);
}

static const struct ctlopt_verb account_verbs[] = {
	{ "add", account_add,
	  "EMAIL [--max-seats N] [--note TEXT] [--status AVAILABLE|SUSPENDED] "
	  "[--reason TEXT]",
	  "Add an account to the pool.  Without --max-seats it is single-user\n"
	  "(one customer at a time); with N it takes up to N customers at once.\n"
	  "A SUSPENDED account needs --note.  An email already in the pool (any\n"
	  "case) is refused." },
	{ "import", account_import, "FILE.csv [--reason TEXT] [--dry-run]",
	  "Add many accounts from a CSV file (\"-\": standard input) with a\n"
	  "header line naming the columns: email (required), note, max_seats\n"
	  "(empty: single-user), status (AVAILABLE or SUSPENDED; empty:\n"
	  "AVAILABLE).  UTF-8 (a byte order mark is fine), comma-separated,\n"
	  "quotes per RFC 4180, LF or CRLF, blank lines skipped.\n"
	  "All or nothing: every problem is reported as FILE:LINE: field:\n"
	  "reason - bad values, an email twice in the file (both lines named),\n"
	  "an email already in the pool - and then nothing is imported." },
	{ "list", account_list, "[--status AVAILABLE|ASSIGNED|SUSPENDED] "
	  "[--search TEXT]",
	  "List the pool: seats used and free per account.  --search matches\n"
	  "a part of the email or note, in any case." },
	{ "show", account_show, "ID|EMAIL",
	  "One account and its assignments (active first, at most 50)." },
	{ "suspend", account_suspend, "ID|EMAIL --note TEXT",
	  "Suspend an account: it gets no new assignments.  Its current\n"
	  "assignments are kept and run to their end (revoke them one by one\n"
	  "if the customers must lose access now).  The note replaces the\n"
	  "account's note and is the audit reason.  Refused when it is\n"
	  "already suspended." },
	{ "reactivate", account_reactivate, "ID|EMAIL [--note TEXT] "
	  "[--reason TEXT]",
	  "Take an account out of suspension: it is AVAILABLE again, or\n"
	  "ASSIGNED if its seats are all in use.  --note replaces the\n"
	  "account's note.  Refused unless it is suspended." },
	{ "update", account_update, "ID|EMAIL [--note TEXT] "
	  "[--max-seats N|single] [--email EMAIL] [--reason TEXT]",
	  "Change an account's note, capacity or email.  --max-seats cannot go\n"
	  "below the seats in use; 'single' makes it single-user.  The status\n"
	  "follows: raising the capacity of a full account makes it AVAILABLE." },
	{ NULL, NULL, NULL, NULL }
};

int
ctl_account(int argc, char **argv)
{
	return ctlopt_run_group("account", "The pool of shared accounts.",
	    account_verbs, argc, argv);
}
