#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "support/testdb.h"
#include "support/tfile.h"

void
testdb_require(void)
{
	const char *url = getenv("TALLY_DATABASE_URL");

	if (url == NULL || url[0] == '\0' || getenv("TALLY_TEST_ADMIN_URL") == NULL) {
		fprintf(stderr, "skipped: needs a database; run under tests/run.sh\n");
		exit(77);
	}
}

void
testdb_create(char **url, struct db **out)
{
	static int seq;
	const char *admin = getenv("TALLY_TEST_ADMIN_URL");
	const char *tmpl = getenv("TALLY_TEST_TEMPLATE");
	const char *host = getenv("TALLY_TEST_HOST");
	struct db *db = NULL;
	struct strbuf sql = STRBUF_INIT, name = STRBUF_INIT, u = STRBUF_INIT;

	testdb_require();
	if (db_connect_url(&db, admin, "tally-test", NULL) != 0) {
		fprintf(stderr, "testdb: cannot connect to %s\n", admin);
		abort();
	}
	strbuf_addf(&name, "t_%d_%d", (int)getpid(), ++seq);
	/* names are ours (pid, counter): no input reaches this statement */
	strbuf_addf(&sql, "CREATE DATABASE %s TEMPLATE %s", name.buf, tmpl);
	if (db_simple(db, sql.buf) != 0) {
		fprintf(stderr, "testdb: %s: %s\n", sql.buf, db_errmsg(db));
		abort();
	}
	db_free(db);
	strbuf_addf(&u, "host=%s port=5432 dbname=%s user=tally", host, name.buf);
	if (out != NULL && db_connect_url(out, u.buf, "tally-test", NULL) != 0) {
		fprintf(stderr, "testdb: cannot connect to %s\n", u.buf);
		abort();
	}
	*url = strbuf_detach(&u, NULL);
	strbuf_release(&sql);
	strbuf_release(&name);
}

void
testdb_ok(struct db *db, const char *sql)
{
	if (db_simple(db, sql) != 0) {
		fprintf(stderr, "testdb: %s: %s\n", sql, db_errmsg(db));
		abort();
	}
}

void
testdb_empty_sales(struct db *db)
{
	testdb_ok(db, "TRUNCATE fulfilments, fulfil_queue, assignments, orders,"
	    " products, pool_accounts, customers RESTART IDENTITY CASCADE");
}

void
testdb_refused(struct db *db, const char *sql, const char *sqlstate)
{
	if (db_simple(db, sql) == 0) {
		fprintf(stderr, "testdb: accepted, should be refused: %s\n", sql);
		abort();
	}
	if (strcmp(db_sqlstate(db), sqlstate) != 0) {
		fprintf(stderr, "testdb: %s: expected SQLSTATE %s, got %s (%s)\n",
		    sql, sqlstate, db_sqlstate(db), db_errmsg(db));
		abort();
	}
	db_rollback(db);
}

const char *
testdb_value(struct db *db, const char *sql, const char *param)
{
	static char buf[8192];
	const char *params[1] = { param };
	char *v = NULL;

	if (db_query_value(db, &v, sql, param != NULL ? 1 : 0, params) != 0) {
		fprintf(stderr, "testdb: %s: %s\n", sql, db_errmsg(db));
		abort();
	}
	snprintf(buf, sizeof(buf), "%s", v != NULL ? v : "");
	free(v);
	return buf;
}

long long
testdb_ll(struct db *db, const char *sql)
{
	char *v = NULL;
	long long n;

	if (db_query_value(db, &v, sql, 0, NULL) != 0) {
		fprintf(stderr, "testdb: %s: %s\n", sql, db_errmsg(db));
		abort();
	}
	n = v != NULL ? strtoll(v, NULL, 10) : -1;
	free(v);
	return n;
}

char *
testdb_program(const char *name)
{
	return tfile_under("TALLY_BINDIR", "bin", name);
}

int
testdb_system(const char *cmdline)
{
	int st;

	fflush(NULL);
	st = system(cmdline);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int
testdb_run(const char *name, const char *fmt, ...)
{
	struct strbuf cmd = STRBUF_INIT;
	char *bin = testdb_program(name);
	va_list ap;
	int st;

	strbuf_addf(&cmd, "%s ", bin);
	va_start(ap, fmt);
	strbuf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	st = testdb_system(cmd.buf);
	strbuf_release(&cmd);
	free(bin);
	return st;
}
