/*
 * query.h - SQL statements that live in queries/WHAT/NAME.sql, compiled
 * into every binary (tools/embed.sh, like the migrations and the reports),
 * so a statement is read, reviewed and diffed as SQL, with its comment
 * beside it, while C keeps only the order of the steps and what is done
 * with their results.  A file holds one statement unless it is run with
 * db_simple() (no parameters).
 *
 * The query_* runners below log a failure once, naming the file: at debug
 * level for TALLY_ERETRY (the caller's db_transaction() runs the whole
 * transaction again), else as an error.  They return the db_* code.
 */
#ifndef TALLY_QUERY_H
#define TALLY_QUERY_H

#include "pg/db.h"

/*
 * The text of queries/NAME.sql ("normalize/claim").  A missing file is a
 * mistake in the program, not in its input: it is logged and the program
 * aborts (every query is run by the tests).
 */
const char *query_sql(const char *name);

/* A statement that returns no rows; *affected (optional) as db_command(). */
int query_command(struct db *db, const char *name, long long *affected,
    int nparams, const char *const *params);

/* A statement that returns rows (caller PQclear()s *res). */
int query_rows(struct db *db, const char *name, PGresult **res, int nparams,
    const char *const *params);

/* A short fixed statement written in C (a SET, an ANALYZE of a work
 * table): never built from data; logged by its text when it fails. */
int query_fixed(struct db *db, const char *sql);

/* The first column of the first row as a number (0 when NULL or none). */
int query_ll(struct db *db, const char *name, long long *v, int nparams,
    const char *const *params);

#endif
