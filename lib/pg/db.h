/*
 * db.h - the one libpq wrapper.
 *
 * Every statement is parameterised ($1..$n, text parameters); every result is
 * checked against the status it must have; errors are classified by SQLSTATE
 * into TALLY_ECONFLICT (23505), TALLY_ERETRY (40001, 40P01), TALLY_EUNAVAIL
 * (connection lost, 08xxx, 57P01..57P03, 53xxx) and TALLY_EDB (the rest).
 * The message and SQLSTATE of the last failure stay on the handle.
 */
#ifndef TALLY_DB_H
#define TALLY_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

struct db;
struct strbuf;

/*
 * Connect using TALLY_DATABASE_URL (a conninfo string or URI) or, when it is
 * unset, the embedded cluster's unix socket ($TALLY_HOME/pg/run, default
 * ./var).  appname becomes fallback_application_name.
 *
 * role NULL logs in as the URL says: the schema owner, for tallyctl db,
 * migrate, backup and restore (and tests).  Otherwise the session LOGS IN
 * as that role (tally_receiver, tally_batch, tally_admin, tally_report):
 * it replaces the URL's user, and the URL's password is dropped (a
 * password comes from the libpq password file, PGPASSFILE).  There is no
 * SET ROLE, so RESET ROLE or SET ROLE in the session cannot reach another
 * role's rights.  The embedded cluster lets its OS user log in as each of
 * these roles by peer authentication (lib/pg/pgembed.c).
 * On failure *out is NULL, the reason is logged, and TALLY_EUNAVAIL (or
 * TALLY_ECONFIG for a malformed URL) is returned.
 */
int db_connect(struct db **out, const char *appname, const char *role);
/* The same with an explicit conninfo (NULL: as db_connect). */
int db_connect_url(struct db **out, const char *conninfo, const char *appname,
    const char *role);
void db_free(struct db *db);

/*
 * Whether conninfo is a connection string libpq can parse (a URL or
 * key=value pairs), without connecting.  name says which setting, in the
 * message; the string itself is not repeated (it may hold a password).
 * 0, or TALLY_ECONFIG with a line in err (NULL: nothing said).
 */
int db_conninfo_check(const char *name, const char *conninfo,
    struct strbuf *err);

/* The connection string db_connect would use, without any password; the
 * caller frees it.  NULL on out of memory. */
char *db_default_url(void);

PGconn *db_conn(struct db *db);
/* Put an error of the caller's own on the handle (no SQLSTATE), for a
 * caller that reports db_errmsg(): the audit key that cannot be read. */
void db_set_error(struct db *db, const char *msg);
const char *db_errmsg(const struct db *db);	/* "" when none */
const char *db_sqlstate(const struct db *db);	/* "" when none */
/* Classify a SQLSTATE (NULL: connection-level failure). */
int db_classify(const char *sqlstate);
/* True if the connection is still usable. */
bool db_ok(struct db *db);
/* Drop and re-establish the connection (same URL, role, appname). */
int db_reconnect(struct db *db);

/*
 * Run sql with nparams text parameters (a NULL entry is SQL NULL).  expect
 * is PGRES_COMMAND_OK or PGRES_TUPLES_OK.  When res is not NULL the result
 * is handed to the caller (PQclear it) on success; on failure *res is NULL.
 * Returns 0 or a classified TALLY_E* code (the error is on the handle and
 * logged at debug level only: callers decide what to tell the user).
 */
int db_exec(struct db *db, PGresult **res, ExecStatusType expect,
    const char *sql, int nparams, const char *const *params);
/* PGRES_COMMAND_OK, result discarded; *affected (optional) gets the row count. */
int db_command(struct db *db, long long *affected, const char *sql, int nparams,
    const char *const *params);
/* PGRES_TUPLES_OK; caller PQclears *res. */
int db_query(struct db *db, PGresult **res, const char *sql, int nparams,
    const char *const *params);
/* A query that must return exactly one row and one column; the value is
 * copied into a newly allocated string (caller frees; NULL for SQL NULL). */
int db_query_value(struct db *db, char **value, const char *sql, int nparams,
    const char *const *params);

/*
 * Stream the rows of a query on from into a COPY on to (copy_sql: "COPY
 * t (cols) FROM STDIN"), one row at a time (single-row mode), so memory
 * stays flat whatever their number: rows read on a standby, written on
 * the primary.  Every column goes as text, in order.  *rows (optional)
 * gets the count.  When either side fails, the other is cleaned up (the
 * COPY aborted, the query's results drained) and the failure returned,
 * classified, with its message (and SQLSTATE) on to, whose transaction
 * is then aborted and must be rolled back.
 */
int db_copy_rows(struct db *from, const char *sql, int nparams,
    const char *const *params, struct db *to, const char *copy_sql,
    long long *rows);

/* n bytes at v as one value of COPY's text format (backslash escapes;
 * v NULL: \N, NULL). */
void db_copy_text(struct strbuf *sb, const char *v, size_t n);

/* Plain statements without parameters (BEGIN, SET ..., a migration). */
int db_simple(struct db *db, const char *sql);

enum db_isolation {
	DB_READ_COMMITTED,
	DB_REPEATABLE_READ,
	DB_SERIALIZABLE,
	DB_REPEATABLE_READ_RO	/* read-only snapshot for reports */
};

int db_begin(struct db *db, enum db_isolation iso);
int db_commit(struct db *db);
/* Never fails loudly: used on error paths. */
void db_rollback(struct db *db);

/*
 * Run fn inside a transaction; on TALLY_ERETRY (serialization failure,
 * deadlock) roll back and run it again, up to max_attempts times with a
 * short randomised back-off.  fn returns 0 to commit, non-zero to roll back
 * and return that code.
 */
int db_transaction(struct db *db, enum db_isolation iso, int max_attempts,
    int (*fn)(struct db *db, void *arg), void *arg);

/*
 * "One run at a time": a session-level advisory lock keyed by name.
 * Returns 0 when taken, TALLY_ELOCKED at once when another session holds
 * it.  Released by db_unlock() or when the connection closes.
 */
int db_try_lock(struct db *db, const char *name);
int db_unlock(struct db *db, const char *name);

/* Value helpers for results: NULL-safe. */
const char *db_value(const PGresult *res, int row, int col);	/* NULL if SQL NULL */
long long db_value_ll(const PGresult *res, int row, int col, long long dflt);

#endif
