/*
 * test_ctl_support.h - what the tallyctl command tests share: a fresh
 * database per test program, running a ctl_* entry point with its stdout
 * and stderr captured, and reading the database back as the superuser.
 * Header-only (static inline) so each test program stays one file.
 */
#ifndef TALLY_TEST_CTL_SUPPORT_H
#define TALLY_TEST_CTL_SUPPORT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg/db.h"
#include "base/strbuf.h"
#include "support/testdb.h"

struct ctl_run {
	int rc;			/* the exit status */
	struct strbuf out;	/* stdout */
	struct strbuf err;	/* stderr */
};

static struct db *tdb;		/* superuser connection to the test database */

/* A fresh migrated database that the ctl commands (db_connect) use. */
static inline void
ctl_test_setup_db(void)
{
	char *url = NULL;

	testdb_create(&url, &tdb);
	setenv("TALLY_DATABASE_URL", url, 1);
	free(url);
}

/* ctl_test_setup_db() as a cmocka group setup. */
static inline int
ctl_test_setup(void **state)
{
	(void)state;
	ctl_test_setup_db();
	return 0;
}

/* A cmocka test setup: each test starts with an empty pool and no sales;
 * the audit log is append-only even here, so tests count their own rows
 * by action and entity. */
static inline int
ctl_test_reset(void **state)
{
	(void)state;
	testdb_empty_sales(tdb);
	return 0;
}

static inline void
ctl_slurp(FILE *fp, struct strbuf *sb)
{
	char buf[4096];
	size_t n;

	strbuf_reset(sb);
	rewind(fp);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		strbuf_add(sb, buf, n);
	fclose(fp);
}

/* Run fn with the NULL-terminated arguments, capturing what it prints. */
static inline void
ctl_runv(struct ctl_run *r, int (*fn)(int, char **), const char *group,
    va_list ap)
{
	char *argv[64];
	int argc = 0, so, se;
	const char *a;
	FILE *fo = tmpfile(), *fe = tmpfile();

	if (fo == NULL || fe == NULL)
		abort();
	argv[argc++] = xstrdup(group);
	while ((a = va_arg(ap, const char *)) != NULL && argc < 63)
		argv[argc++] = xstrdup(a);
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	r->rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	ctl_slurp(fo, &r->out);
	ctl_slurp(fe, &r->err);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	/* shown in the test log when an assertion fails */
	fprintf(stderr, "--- %s ... -> %d\n%s%s", group, r->rc, strbuf_str(&r->out),
	    strbuf_str(&r->err));
}

static inline int
ctl_run(struct ctl_run *r, int (*fn)(int, char **), const char *group, ...)
{
	va_list ap;

	va_start(ap, group);
	ctl_runv(r, fn, group, ap);
	va_end(ap);
	return r->rc;
}

/* Run fn as ctl_run() does: it must exit rc and print want, on stdout
 * when rc is 0 and on stderr otherwise. */
static inline void
ctl_expect(struct ctl_run *r, int rc, const char *want,
    int (*fn)(int, char **), const char *group, ...)
{
	va_list ap;

	va_start(ap, group);
	ctl_runv(r, fn, group, ap);
	va_end(ap);
	assert_int_equal(r->rc, rc);
	assert_non_null(strstr(strbuf_str(rc == 0 ? &r->out : &r->err), want));
}

static inline void
ctl_run_release(struct ctl_run *r)
{
	strbuf_release(&r->out);
	strbuf_release(&r->err);
}

/* One value from the test database (superuser), "" for NULL; static buffer. */
static inline const char *
q(const char *sql)
{
	return testdb_value(tdb, sql, NULL);
}

static inline long long
qll(const char *sql)
{
	return strtoll(q(sql), NULL, 10);
}

/* Run SQL as the superuser (fixtures the commands cannot make). */
static inline void
x(const char *sql)
{
	testdb_ok(tdb, sql);
}

#endif
