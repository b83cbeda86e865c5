/*
 * ops/account.h - the pool of shared accounts: add, update, suspend,
 * reactivate, import, list, show (the contract is ops/ops.h).
 *
 * Seat counters and the AVAILABLE/ASSIGNED status are the database's
 * (sql/001_core.sql triggers); an admin decides email, note, capacity and
 * suspension.  An account is named by its id ("17") or its email (any
 * case).  Every item is the account's row: id, email, status, max_seats,
 * seats_used, seats_free, note, created_at, updated_at.
 */
#ifndef TALLY_OPS_ACCOUNT_H
#define TALLY_OPS_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ops/ops.h"

struct ops_account_req {
	const char *account;	/* update, suspend, reactivate, show: id or email */
	const char *email;	/* add: required; update: the new email, or NULL */
	const char *note;	/* add: NULL is ""; else NULL keeps the note */
	/* NULL: not given (add: single-user); "": single-user (capacity
	 * NULL); "1".."10000": up to that many customers at once */
	const char *max_seats;
	const char *status;	/* add: AVAILABLE (NULL) or SUSPENDED, any case */
	const char *reason;	/* the audit reason (suspend: NULL is the note) */
};

/* Add an account.  A SUSPENDED one needs a note; an email already in the
 * pool (any case) is ECONFLICT. */
int ops_account_add(struct ops *o, const struct ops_account_req *req,
    json_t **out);
/* Change note, capacity or email; the capacity cannot go below the seats
 * in use (EREFUSED). */
int ops_account_update(struct ops *o, const struct ops_account_req *req,
    json_t **out);
/* Suspend: no new assignments; current ones run to their end.  The note
 * (required) replaces the account's note.  EREFUSED when suspended. */
int ops_account_suspend(struct ops *o, const struct ops_account_req *req,
    json_t **out);
/* Back to AVAILABLE (or ASSIGNED when full); EREFUSED unless suspended. */
int ops_account_reactivate(struct ops *o, const struct ops_account_req *req,
    json_t **out);
/* The account, and "assignments": {"items", "columns"}: its assignments,
 * active first, at most 50. */
int ops_account_show(struct ops *o, const struct ops_account_req *req,
    json_t **out);

struct ops_account_list_req {
	const char *status;	/* AVAILABLE|ASSIGNED|SUSPENDED (any case), NULL: all */
	const char *search;	/* part of the email or note, any case */
	struct ops_page page;
};

/* The pool by id, with seats used and free. */
int ops_account_list(struct ops *o, const struct ops_account_list_req *req,
    json_t **out);

/* One account to import, values as given (NULL: the column is absent). */
struct ops_account_row {
	unsigned long line;	/* the CSV line, or the index in a JSON array */
	const char *email;
	const char *note;
	const char *max_seats;	/* as in ops_account_req */
	const char *status;
};

struct ops_account_import_req {
	const char *source;	/* the file, "-", or the request: in messages */
	const struct ops_account_row *rows;
	size_t nrows;
	const char *reason;	/* audit reason; each row's adds "SOURCE line N" */
};

/*
 * Add many accounts, all or nothing: every bad row is found (bad values,
 * an email twice in the rows, an email already in the pool) and then
 * nothing is added: TALLY_EDATA with ops->errors naming each line and
 * field, ops->err "N errors; nothing was imported".  One audit row per
 * account (account.import).  *out: {"items", "columns", "count",
 * "dry_run"}; no rows is not an error (count 0).
 */
int ops_account_import(struct ops *o, const struct ops_account_import_req *req,
    json_t **out);

/*
 * The import's CSV, for every face that takes one: a header line naming
 * the columns (email required; note, max_seats, status), UTF-8 (a byte
 * order mark is fine), RFC 4180 quotes, LF or CRLF, blank lines skipped.
 * Rows are appended to rows (their strings owned by it: release it
 * whatever the outcome); a malformed file is TALLY_EDATA (TALLY_EIO for a
 * read error) with "NAME:LINE: reason\n" in err, and then nothing should
 * be imported.  Values are checked by ops_account_import(), not here.
 */
struct ops_account_rows {
	struct ops_account_row *rows;
	size_t n, cap;
};

int ops_account_csv_read(FILE *fp, const char *name,
    struct ops_account_rows *rows, struct strbuf *err);
int ops_account_csv_parse(const void *data, size_t len, const char *name,
    struct ops_account_rows *rows, struct strbuf *err);
void ops_account_rows_release(struct ops_account_rows *rows);

/*
 * For the other operations: find the account named by spec (id or
 * email) inside the caller's transaction, locked FOR NO KEY UPDATE when
 * lock.  *row (optional; PQclear it) gets the account's columns.
 * TALLY_ENOTFOUND with ops->err "no account 'spec'" (field: field).
 */
int ops_account_find(struct ops *o, const char *spec, const char *field,
    bool lock, long long *id, PGresult **row);

/* The rules pool_accounts enforces on an email: NULL when acceptable,
 * else a static reason ("is not an address like name@example.com"). */
const char *ops_email_problem(const char *s);

#endif
