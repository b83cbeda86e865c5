/*
 * account.c - `tallyctl account ...`: the pool of shared accounts.  The
 * operations and their rules are lib/ops/account*.c; this is their
 * terminal face.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "ctl/account.h"
#include "ctl/ctlopt.h"
#include "ops/account.h"

#define IMPORT_MAX_ERRORS 100	/* printed; the rest are counted */

#define F(name, field) \
	{ name, CTLOPT_STR, offsetof(struct ops_account_req, field), 0, 0, 0 }
#define ARG(field) F("", field)
CTL_RUN(add_run, ops_account_add, struct ops_account_req)

static const struct ctl_item add_item = {
	sizeof(struct ops_account_req), add_run, CTL_ITEM_CHANGE,
	{ ARG(email) }, NULL, NULL,
	{ F("note", note), F("max-seats", max_seats), F("status", status),
	  F("reason", reason) }
};

static int
account_add(struct ctl *c, int argc, char **argv)
{
	return ctl_item(c, &add_item, argc, argv);
}

/* --- import -------------------------------------------------------------- */

/* "FILE:LINE: field: reason" for each bad row (at most 100), then the sum. */
static void
import_report_errors(struct ctl *c, const char *path)
{
	const json_t *errs = c->ops.errors, *e;
	size_t i, n = json_array_size(errs);

	json_array_foreach(errs, i, e) {
		if (i >= IMPORT_MAX_ERRORS)
			break;
		fprintf(stderr, "%s:%lld: %s: %s\n", path,
		    (long long)json_integer_value(json_object_get(e, "line")),
		    json_string_value(json_object_get(e, "field")),
		    json_string_value(json_object_get(e, "message")));
	}
	if (n > IMPORT_MAX_ERRORS)
		fprintf(stderr, "... and %zu more errors\n", n - IMPORT_MAX_ERRORS);
	fprintf(stderr, "%s: %s\n", path, strbuf_str(&c->ops.err));
}

/* The file (or "-": standard input) as rows; says why when it cannot. */
static int
import_read(const char *path, struct ops_account_rows *rows)
{
	struct strbuf err = STRBUF_INIT;
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	int rc;

	if (fp == NULL) {
		strbuf_addf(&err, "%s: cannot open: %s\n", path, strerror(errno));
		rc = TALLY_EMISSING;
	} else {
		rc = ops_account_csv_read(fp, path, rows, &err);
		if (fp != stdin)
			fclose(fp);
	}
	if (rc != 0) {
		/* the file itself is unreadable or malformed: stop at once */
		fputs(strbuf_str(&err), stderr);
		fprintf(stderr, "%s: nothing was imported\n", path);
	}
	strbuf_release(&err);
	return rc;
}

static int
account_import(struct ctl *c, int argc, char **argv)
{
	struct ops_account_import_req req = { 0 };
	struct ops_account_rows rows = { 0 };
	const char *pos[1];
	const struct ctlopt opts[] = {
		{ "reason", CTLOPT_STR, &req.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	json_t *out = NULL;
	long long n;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	if ((rc = import_read(pos[0], &rows)) != 0)
		goto out;
	req.source = pos[0];
	req.rows = rows.rows;
	req.nrows = rows.n;
	rc = ops_account_import(ctl_ops(c), &req, &out);
	if (rc == TALLY_EDATA && c->ops.errors != NULL) {
		import_report_errors(c, pos[0]);
		goto out;
	}
	if (rc != 0) {
		ctl_fail(c, rc, opts);
		fprintf(stderr, "%s: nothing was imported\n", pos[0]);
		goto out;
	}
	n = json_integer_value(json_object_get(out, "count"));
	if (n == 0) {
		fprintf(stderr, "%s: no accounts in the file\n", pos[0]);
		goto out;
	}
	if ((rc = ctl_outcome(c, rc, out, opts)) == 0)
		rc = ctl_print_items(c, out, NULL);
	fprintf(stderr, "%s: %s %lld account%s\n", pos[0],
	    c->dry_run ? "would import" : "imported", n, n == 1 ? "" : "s");
out:
	json_decref(out);
	ops_account_rows_release(&rows);
	return rc;
}

/* --- list and show ------------------------------------------------------- */

static int
account_list_run(struct ops *o, const void *req, json_t **out)
{
	return ops_account_list(o, req, out);
}

static const struct ctl_list account_list = {
	sizeof(struct ops_account_list_req),
	offsetof(struct ops_account_list_req, page), false, account_list_run, {
	{ "status", CTLOPT_STR, offsetof(struct ops_account_list_req, status),
	  0, 0, 0 },
	{ "search", CTLOPT_STR, offsetof(struct ops_account_list_req, search),
	  0, 0, 0 },
	CTL_FIELD_END }
};

static int
account_show(struct ctl *c, int argc, char **argv)
{
	struct ops_account_req req = { 0 };
	const struct ctlopt opts[] = { CTLOPT_OUTPUT(c), CTLOPT_END };
	const char *pos[1];
	json_t *out = NULL, *asg;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	req.account = pos[0];
	rc = ops_account_show(ctl_ops(c), &req, &out);
	if ((rc = ctl_outcome(c, rc, out, opts)) != 0)
		goto out;
	asg = json_object_get(out, "assignments");
	switch ((enum table_format)c->format) {
	case TABLE_TEXT:
		rc = ctl_print_item(c, out);
		if (rc == 0) {
			fputs("\nassignments (active first, at most 50):\n", c->out);
			rc = ctl_print_items(c, asg, NULL);
		}
		break;
	case TABLE_JSON:
		/* {"account": {...}, "assignments": [...]} */
		fputs("{\"account\":", c->out);
		rc = ctl_print_item(c, out);
		if (rc == 0) {
			fputs(",\"assignments\":", c->out);
			rc = ctl_print_items(c, asg, NULL);
		}
		fputs("}\n", c->out);
		break;
	case TABLE_CSV:
		/* one CSV file holds one table: the account; assignment list
		 * --account gives the rest */
		rc = ctl_print_item(c, out);
		break;
	}
out:
	json_decref(out);
	return rc;
}

/* --- suspend, reactivate, update ----------------------------------------- */

CTL_RUN(suspend_run, ops_account_suspend, struct ops_account_req)
CTL_RUN(reactivate_run, ops_account_reactivate, struct ops_account_req)
CTL_RUN(update_run, ops_account_update, struct ops_account_req)

/* a suspension's --reason is its note */
static const struct ctl_item suspend_item = {
	sizeof(struct ops_account_req), suspend_run, CTL_ITEM_CHANGE,
	{ ARG(account) }, NULL, NULL, { F("note", note), F("reason", note) }
};

static const struct ctl_item reactivate_item = {
	sizeof(struct ops_account_req), reactivate_run, CTL_ITEM_CHANGE,
	{ ARG(account) }, NULL, NULL, { F("note", note), F("reason", reason) }
};

static int
update_check(struct ctl *c, void *arg)
{
	struct ops_account_req *req = arg;

	if (req->note == NULL && req->max_seats == NULL && req->email == NULL)
		return ctlopt_usage_error(c, "nothing to change: give --note, "
		    "--max-seats or --email");
	/* "single" is NULL capacity (ops: ""); "" is not taken here: too
	 * easy to pass by accident from an empty shell variable */
	if (req->max_seats != NULL && req->max_seats[0] == '\0')
		return ctlopt_usage_error(c, "--max-seats must be 'single' or a "
		    "whole number from 1 to 10000");
	if (req->max_seats != NULL && strcmp(req->max_seats, "single") == 0)
		req->max_seats = "";
	return 0;
}

static const struct ctl_item update_item = {
	sizeof(struct ops_account_req), update_run, CTL_ITEM_CHANGE,
	{ ARG(account) }, update_check, NULL,
	{ F("note", note), F("max-seats", max_seats), F("email", email),
	  F("reason", reason) }
};
#undef ARG
#undef F

static int
account_state(struct ctl *c, int argc, char **argv)
{
	return ctl_item(c, strcmp(c->verb, "suspend") == 0 ? &suspend_item :
	    &reactivate_item, argc, argv);
}

static int
account_update(struct ctl *c, int argc, char **argv)
{
	return ctl_item(c, &update_item, argc, argv);
}

static const struct ctlopt_verb account_verbs[] = {
	{ "add", account_add,
	  "EMAIL [--max-seats N] [--note TEXT] [--status AVAILABLE|SUSPENDED] "
	  "[--reason TEXT]",
	  "Add an account to the pool.  Without --max-seats it is single-user\n"
	  "(one customer at a time); with N it takes up to N customers at once.\n"
	  "A SUSPENDED account needs --note.  An email already in the pool (any\n"
	  "case) is refused.", NULL },
	{ "import", account_import, "FILE.csv [--reason TEXT] [--dry-run]",
	  "Add many accounts from a CSV file (\"-\": standard input) with a\n"
	  "header line naming the columns: email (required), note, max_seats\n"
	  "(empty: single-user), status (AVAILABLE or SUSPENDED; empty:\n"
	  "AVAILABLE).  UTF-8 (a byte order mark is fine), comma-separated,\n"
	  "quotes per RFC 4180, LF or CRLF, blank lines skipped.\n"
	  "All or nothing: every problem is reported as FILE:LINE: field:\n"
	  "reason - bad values, an email twice in the file (both lines named),\n"
	  "an email already in the pool - and then nothing is imported.",
	  NULL },
	{ "list", NULL, "[--status AVAILABLE|ASSIGNED|SUSPENDED] "
	  "[--search TEXT]",
	  "List the pool: seats used and free per account.  --search matches\n"
	  "a part of the email or note, in any case.", &account_list },
	{ "show", account_show, "ID|EMAIL",
	  "One account and its assignments (active first, at most 50).", NULL },
	{ "suspend", account_state, "ID|EMAIL --note TEXT",
	  "Suspend an account: it gets no new assignments.  Its current\n"
	  "assignments are kept and run to their end (revoke them one by one\n"
	  "if the customers must lose access now).  The note replaces the\n"
	  "account's note and is the audit reason.  Refused when it is\n"
	  "already suspended.", NULL },
	{ "reactivate", account_state, "ID|EMAIL [--note TEXT] "
	  "[--reason TEXT]",
	  "Take an account out of suspension: it is AVAILABLE again, or\n"
	  "ASSIGNED if its seats are all in use.  --note replaces the\n"
	  "account's note.  Refused unless it is suspended.", NULL },
	{ "update", account_update, "ID|EMAIL [--note TEXT] "
	  "[--max-seats N|single] [--email EMAIL] [--reason TEXT]",
	  "Change an account's note, capacity or email.  --max-seats cannot go\n"
	  "below the seats in use; 'single' makes it single-user.  The status\n"
	  "follows: raising the capacity of a full account makes it AVAILABLE.",
	  NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

CTL_GROUP(account, "The pool of shared accounts.")
