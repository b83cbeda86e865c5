/*
 * testdb.h - what integration tests share.  tests/run.sh starts a
 * throwaway cluster, migrates a template database, and gives every test
 * program its own fresh copy in TALLY_DATABASE_URL.  A test that wants
 * another pristine database (one per test case) calls testdb_create().
 */
#ifndef TALLY_TESTDB_H
#define TALLY_TESTDB_H

#include "pg/db.h"

/*
 * Exit 77 ("skipped: needs a database") unless run under tests/run.sh with
 * a database; call first in main() of a test program that needs one.
 */
void testdb_require(void);

/*
 * A new database cloned from the migrated template; *url gets its
 * connection string (caller frees) and *db (optional) a superuser
 * connection to it.  Aborts the test program on failure.
 */
void testdb_create(char **url, struct db **db);

/* Run sql (no parameters) on db; a failure ends the test program with
 * the statement and the server's message. */
void testdb_ok(struct db *db, const char *sql);
/* Empty the pool and the sales (accounts, customers, assignments,
 * products, orders and what hangs on them), identities restarted; the
 * audit log stays (append-only even here). */
void testdb_empty_sales(struct db *db);
/* sql must fail with exactly this SQLSTATE (then rolled back). */
void testdb_refused(struct db *db, const char *sql, const char *sqlstate);
/* The one value sql returns ($1 is param unless param is NULL), "" for
 * NULL, in a buffer the next call reuses; a failure ends the test program
 * with the statement and the server's message. */
const char *testdb_value(struct db *db, const char *sql, const char *param);
/* The one whole number sql returns (-1 for NULL). */
long long testdb_ll(struct db *db, const char *sql);

/* Path of program NAME in the build's bin directory (caller frees). */
char *testdb_program(const char *name);

/* Run a shell command line; returns its exit status (-1 if it died). */
int testdb_system(const char *cmdline);

/* testdb_system() of program NAME of the bin directory followed by the
 * rest of a command line, printf-style (arguments, redirections). */
int testdb_run(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
