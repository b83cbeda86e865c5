/*
 * ops.h - the operations layer: one function per admin operation, shared
 * by every face that lets an admin act: tallyctl (lib/ctl) and
 * tally-admin's JSON API and browser panel (lib/admin).  No operation is
 * written twice, so the rules (what is refused, what is audited) are the
 * same whichever face is used.
 *
 * Every operation
 *   - is one function ops_ENTITY_VERB(struct ops *, const struct REQ *,
 *     json_t **out), taking a typed request with plain C fields (strings
 *     as given, NULL for "not given"), never argv;
 *   - validates the request itself (a face may check earlier for nicer
 *     messages, but never instead);
 *   - makes its changes in one transaction (ops_mutate) and audits them in
 *     the same transaction with ops->actor (ops_audit);
 *   - with ops->dry_run, runs completely and then rolls back: *out is what
 *     would have been, and nothing is kept, not even the audit row;
 *   - returns 0 with *out set (a jansson object or array the caller
 *     json_decref()s), or a TALLY_E* code with ops->err saying why in the
 *     operator's terms and ops->field naming the request field at fault
 *     (or NULL).  It never prints, logs only at debug level, never exits.
 *
 * What *out holds (so a face can print or send it without knowing the
 * operation):
 *   - one entity (a change, a show):
 *       {"item": {...}, "columns": [...], "dry_run": B, ...flags}
 *   - a list:
 *       {"items": [...], "columns": [...], "total": N, "page": P,
 *        "per_page": K}
 *   "columns" names the item's keys in display order with their type
 *   (lib/out/table.h: integer, decimal, boolean, json, text).  Exact
 *   decimals (money in major units) are JSON strings: never a float.
 *   Flags are the operation's own ("created", "replay", "new_customer"),
 *   documented with it.
 *
 * Requests: strings as given (NULL: not given); whole numbers as long long
 * where 0 is never valid (0: not given), else with a "has_" flag; yes/no
 * options that may be left unchanged as enum ops_tristate.  Requests live
 * in one header per entity: ops/account.h, ops/assignment.h, ...
 *
 * What a face makes of the codes:
 *
 *   code              meaning                             tallyctl  HTTP
 *   TALLY_EUSAGE      a field is missing or invalid          64     400
 *   TALLY_EDATA       a body or file is malformed            65     400
 *   TALLY_ENOTFOUND   no such entity                         65     404
 *   TALLY_ECONFLICT   clashes with what is there (the email
 *                     exists, the account is full)           65     409
 *   TALLY_EREFUSED    refused by a rule (already suspended,
 *                     below the seats in use)                65     422
 *   TALLY_EUNAVAIL    the database cannot be reached         69     503
 *   TALLY_ERETRY      gave up after repeated deadlocks       75     503
 *   anything else     a bug or a database error              70     500
 */
#ifndef TALLY_OPS_H
#define TALLY_OPS_H

#include <stdbool.h>

#include <jansson.h>

#include "base/strbuf.h"
#include "pg/db.h"

struct config;

struct ops {
	struct db *db;		/* connected as the face's role */
	const char *actor;	/* "token:NAME", "admin:NAME", an OS user */
	bool dry_run;
	struct strbuf err;	/* why the last operation failed */
	const char *field;	/* the request field at fault, or NULL */

	/*
	 * Every bad part of a request that has many (an import's lines),
	 * when the operation failed because of them: [{"line": N, "field":
	 * F, "message": M}, ...] in line order, or NULL.  ops->err then
	 * sums them up ("3 errors; nothing was imported").
	 */
	json_t *errors;
	/* Settings an operation may depend on (the report time zone, the
	 * status thresholds); NULL: defaults. */
	const struct config *cfg;
	/*
	 * A face that connects only when an operation needs the database
	 * (tallyctl: a usage error is told without one) sets db NULL and
	 * connect; ops_connect() calls it once.  On failure connect has
	 * said why (db_connect logs it) and db stays NULL.
	 */
	int (*connect)(struct db **db, void *arg);
	void *connect_arg;
	/*
	 * What a face must keep with a change, or not at all (tally-admin:
	 * the answer to an Idempotency-Key): ops_change() calls it inside
	 * the change's transaction once the operation succeeded, with its
	 * answer, just before the commit.  Not for a dry run.  Non-zero
	 * rolls the change back and is returned (say why in ops->err); it
	 * is called again when the transaction is retried.
	 */
	int (*on_commit)(struct ops *o, const json_t *out, void *arg);
	void *on_commit_arg;
};

/* A yes/no field that may be left as it is: zero (unset) keeps it. */
enum ops_tristate {
	OPS_UNSET = 0,
	OPS_YES,
	OPS_NO
};

/* A page of a list: page from 1, per_page from 1 to OPS_PER_PAGE_MAX
 * (0 means the default, OPS_PER_PAGE_DEFAULT; tallyctl asks for all). */
#define OPS_PER_PAGE_DEFAULT 50
#define OPS_PER_PAGE_MAX 500
struct ops_page {
	long long page;
	long long per_page;	/* 0: default; -1: everything (tallyctl) */
	long long per_page_max;	/* 0: OPS_PER_PAGE_MAX; a face may allow more */
};

void ops_init(struct ops *o, struct db *db, const char *actor, bool dry_run);
void ops_release(struct ops *o);

/* Clear err, field and errors before an operation (ops_mutate does it). */
void ops_reset(struct ops *o);

/* The zone a request's local dates and times are read in: o->cfg's tz,
 * UTC without one. */
const char *ops_zone(const struct ops *o);

/*
 * Make sure o->db is there: 0, or the connect hook's code (TALLY_EUNAVAIL
 * without a hook) with o->db still NULL.  ops_mutate and ops_read call it.
 */
int ops_connect(struct ops *o);

/*
 * Record a failure: set ops->err (replacing it) and ops->field, return rc
 * unchanged.  For TALLY_EDB/TALLY_EUNAVAIL without a sentence of its own,
 * pass fmt NULL: the database's message is used.
 */
int ops_fail(struct ops *o, int rc, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Run fn(o, arg) in one READ COMMITTED transaction, retried on deadlock or
 * serialization failure (fn must be restartable: it is called again, and
 * must release what an earlier attempt left in arg).  With o->dry_run the
 * transaction is rolled back after fn succeeded and 0 is returned.
 */
int ops_mutate(struct ops *o, int (*fn)(struct ops *o, void *arg), void *arg);

/*
 * The same for an operation that must see one consistent snapshot but
 * changes nothing (REPEATABLE READ, read only).
 */
int ops_read(struct ops *o, int (*fn)(struct ops *o, void *arg), void *arg);

/*
 * A failed database call: ops->err = "what: <server message>", field
 * NULL; returns rc.  Refusals and not-found get a sentence of their own
 * about the data; this is for everything else.
 */
int ops_db_fail(struct ops *o, int rc, const char *what);

/*
 * Append one bad part to ops->errors (see there): line 0 for none.
 */
void ops_error_add(struct ops *o, unsigned long line, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * ops_mutate / ops_read for a fn that answers in *out: *out is cleared
 * before every attempt (fn runs again on a retry) and kept only when the
 * transaction succeeded (or was a dry run's), else NULL.
 */
typedef int ops_answer_fn(struct ops *o, void *arg, json_t **out);
int ops_change(struct ops *o, ops_answer_fn *fn, void *arg, json_t **out);
int ops_look(struct ops *o, ops_answer_fn *fn, void *arg, json_t **out);

/* audit_record() with o->actor, inside the current transaction. */
int ops_audit(struct ops *o, const char *action, const char *entity,
    const char *entity_id, const char *reason, const char *before_json,
    const char *after_json);

/*
 * ops_audit() of a statement's row that returned the shown columns, then
 * (at ncols) the row before as JSON (SQL NULL: none, a new row) and
 * the row after: the layout every change's RETURNING keeps.
 */
int ops_audit_change(struct ops *o, const char *action, const char *entity,
    const char *entity_id, const char *reason, const PGresult *res, int row,
    int ncols);
/* The same for an insert that returned the shown columns, then (at
 * ncols) the new row as JSON. */
int ops_audit_new(struct ops *o, const char *action, const char *entity,
    const char *entity_id, const char *reason, const PGresult *res, int row,
    int ncols);
/* The audit of res's one row (ops_audit_change, ops_audit_new) and, when
 * it is written, that row as the answer (ops_change_json). */
int ops_audited(struct ops *o, const char *action, const char *entity,
    const char *entity_id, const char *reason, const PGresult *res, int ncols,
    json_t **out);
int ops_audited_new(struct ops *o, const char *action, const char *entity,
    const char *entity_id, const char *reason, const PGresult *res, int ncols,
    json_t **out);

/*
 * Query helpers: the rows of res as a JSON array of objects (typed by the
 * column's SQL type: integers as numbers, exact decimals as strings,
 * booleans, null, JSON for json/jsonb, text otherwise; key order is
 * column order), or one row as an object.
 */
json_t *ops_rows_json(const PGresult *res);
json_t *ops_row_json(const PGresult *res, int row);

/*
 * The answer shapes above, from rows: {"item", "columns"} for row row of
 * res, {"item", "columns", "dry_run"} for what a change wrote, and
 * {"items", "columns"} for all rows; each with the first ncols columns
 * (all when ncols <= 0: a statement may return the JSON it hands the
 * audit log after the columns it shows).
 */
json_t *ops_item_json(const PGresult *res, int row, int ncols);
json_t *ops_change_json(const struct ops *o, const PGresult *res, int row,
    int ncols);
json_t *ops_items_json(const PGresult *res, int ncols);

/*
 * A list answer: {"items": [...], "total": N, "page": P, "per_page": K}.
 * Steals items.
 */
json_t *ops_list_json(json_t *items, long long total,
    const struct ops_page *pg);

/*
 * The LIMIT and OFFSET of a page as text parameters (limit "ALL" for
 * per_page -1).  TALLY_EUSAGE with ops->field "page" or "per_page" when
 * out of range.
 */
int ops_page_params(struct ops *o, const struct ops_page *pg,
    char limit[24], char offset[24]);

/* The LIMIT and OFFSET clause for those two parameters, $L and $F. */
#define OPS_LIMIT_OFFSET(l, f) \
	" LIMIT nullif($" #l ", 'ALL')::bigint OFFSET $" #f "::bigint"

/*
 * A list's statements: count over params $1..$n, and the rows over the
 * same params ending with OPS_LIMIT_OFFSET(n+1, n+2); what names the list
 * in a failure's message ("listing accounts").
 */
struct ops_list_sql {
	const char *what;
	const char *count;
	const char *rows;
	int nparams;
};

/*
 * One page of a list, inside the caller's transaction (an ops_read fn):
 * *out gets the list answer (items, columns, total, page, per_page).
 */
int ops_list_page(struct ops *o, const struct ops_list_sql *q,
    const struct ops_page *pg, const char *const *params, json_t **out);

/* The same in a read transaction of its own. */
int ops_list(struct ops *o, const struct ops_list_sql *q,
    const struct ops_page *pg, const char *const *params, json_t **out);

/* ops_list() of a statement whose one parameter is a yes/no filter. */
int ops_list_flag(struct ops *o, const struct ops_list_sql *q,
    const struct ops_page *pg, bool flag, json_t **out);

/* Small helpers the operations share. */
bool ops_is_digits(const char *s);	/* one or more ASCII digits */
/* One or more ASCII letters, digits, '.', '_' and '-': a token's name,
 * a file name (the caller refuses what may not start it). */
bool ops_is_word(const char *s);
/* A token's or admin user's name: 1 to 64 of A-Z a-z 0-9 . _ -,
 * starting with a letter or digit (it is the audit actor KIND:NAME). */
bool ops_name_ok(const char *s);
/* 0, or the usage failure for a bad name (ops_name_ok) or a role that is
 * not read, write or admin: what every credential's holder is checked by. */
int ops_name_role_check(struct ops *o, const char *name, const char *role);
/* 0, or the usage failure "FIELD must be A, B or C" for a value not one
 * of choices (NULL-ended; compared as they are spelled), or for none
 * when required. */
int ops_choice_check(struct ops *o, const char *field, const char *value,
    bool required, const char *const *choices);
/* 0, or the usage failure for an id below 1 (what: "an order id"). */
int ops_id_check(struct ops *o, long long id, const char *what);
/* 0, or the usage failure for a free text field (a reason, a note) longer
 * than max bytes or, when required says why it is (NULL: optional), empty
 * or blank. */
int ops_text_check(struct ops *o, const char *field, const char *s, int max,
    const char *required);
/* s in ASCII upper case in buf (cut to n - 1 bytes), or NULL for NULL. */
const char *ops_upper(char *buf, size_t n, const char *s);

#endif
