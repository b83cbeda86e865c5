/*
 * test_ctl_ops.c - the rules inside tallyctl's operations commands that
 * need no database: which file names retention may touch, how a
 * connection string reaches pg_dump without its password, and where the
 * receiver's health check goes for a listen value.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "pg/backup.h"
#include "pg/pgchild.h"
#include "ctl/status.h"
#include "ctl/alert_failed.h"
#include "base/err.h"
#include "base/log.h"
#include "base/strbuf.h"

static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

static void
test_backup_names(void **state)
{
	time_t t = 0;

	(void)state;
	assert_true(backup_file_time("tally-20261118T101502Z.dump", &t));
	assert_int_equal(t, utc(2026, 11, 18, 10, 15, 2));
	assert_true(backup_file_time("tally-20240229T235959Z.dump", &t));
	assert_int_equal(t, utc(2024, 2, 29, 23, 59, 59));

	/* not a real instant: February 30th, month 13, hour 24 */
	assert_false(backup_file_time("tally-20260230T000000Z.dump", &t));
	assert_false(backup_file_time("tally-20251301T000000Z.dump", &t));
	assert_false(backup_file_time("tally-20250101T240000Z.dump", &t));
	assert_false(backup_file_time("tally-20250229T000000Z.dump", &t));
	/* anything else an operator may keep next to the dumps */
	assert_false(backup_file_time(".tally-20261118T101502Z.dump.partial", &t));
	assert_false(backup_file_time("tally-20261118T101502Z.dump.bak", &t));
	assert_false(backup_file_time("tally-20261118T101502Z.sql", &t));
	assert_false(backup_file_time("tally-2026111T101502Z.dump", &t));
	assert_false(backup_file_time("tally-20261118T10150aZ.dump", &t));
	assert_false(backup_file_time("tally-20261118-101502Z.dump", &t));
	assert_false(backup_file_time("other-20261118T101502Z.dump", &t));
	assert_false(backup_file_time("tally-+0261118T101502Z.dump", &t));
	assert_false(backup_file_time("", &t));
}

/* The value of keyword in a conninfo, as libpq reads it (caller frees). */
static char *
conn_value(const char *conninfo, const char *keyword)
{
	PQconninfoOption *opts, *o;
	char *err = NULL, *v = NULL;

	opts = PQconninfoParse(conninfo, &err);
	assert_non_null(opts);
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, keyword) == 0 && o->val != NULL)
			v = xstrdup(o->val);
	PQconninfoFree(opts);
	return v;
}

static void
expect_conn(const char *conninfo, const char *keyword, const char *want)
{
	char *v = conn_value(conninfo, keyword);

	if (want == NULL) {
		assert_null(v);
		return;
	}
	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
}

static void
test_child_conninfo_uri(void **state)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	char *pw = NULL;

	(void)state;
	assert_int_equal(pgchild_conninfo(
	    "postgresql://app:s3cr%40t@db.example:5433/tally?sslmode=require",
	    &out, &pw, &err), 0);
	/* the password leaves the command line entirely */
	assert_non_null(pw);
	assert_string_equal(pw, "s3cr@t");
	assert_null(strstr(out.buf, "s3cr"));
	expect_conn(out.buf, "password", NULL);
	expect_conn(out.buf, "user", "app");
	expect_conn(out.buf, "host", "db.example");
	expect_conn(out.buf, "port", "5433");
	expect_conn(out.buf, "dbname", "tally");
	expect_conn(out.buf, "sslmode", "require");
	/* an unattended backup never waits forever */
	expect_conn(out.buf, "connect_timeout", "10");
	free(pw);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void
test_child_conninfo_quotes(void **state)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	char *pw = NULL;

	(void)state;
	assert_int_equal(pgchild_conninfo(
	    "host=/run/pg dbname='my \\'db\\' \\\\ x' connect_timeout=3",
	    &out, &pw, &err), 0);
	assert_null(pw);
	/* what pg_dump reads back is exactly what we were given */
	expect_conn(out.buf, "dbname", "my 'db' \\ x");
	expect_conn(out.buf, "host", "/run/pg");
	expect_conn(out.buf, "connect_timeout", "3");
	assert_null(strstr(out.buf, "connect_timeout='10'"));
	strbuf_release(&out);

	assert_int_equal(pgchild_conninfo("password='open dbname=x",
	    &out, &pw, &err), TALLY_ECONFIG);
	assert_true(err.len > 0);
	assert_null(pw);
	strbuf_reset(&err);
	strbuf_reset(&out);
	assert_int_equal(pgchild_conninfo("password='it\\'s' dbname=x",
	    &out, &pw, &err), 0);
	assert_string_equal(pw, "it's");
	assert_null(strstr(out.buf, "it"));
	free(pw);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void
test_child_conninfo_invalid(void **state)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	char *pw = NULL;

	(void)state;
	assert_int_equal(pgchild_conninfo("this is not one", &out, &pw,
	    &err), TALLY_ECONFIG);
	assert_null(pw);
	assert_non_null(strstr(err.buf, "not a valid connection string"));
	strbuf_release(&out);
	strbuf_release(&err);
}

static void
expect_url(const char *listen, const char *url, const char *sock)
{
	struct strbuf u = STRBUF_INIT, s = STRBUF_INIT;

	assert_int_equal(ctl_status_health_url(listen, &u, &s), 0);
	assert_string_equal(strbuf_str(&u), url);
	assert_string_equal(strbuf_str(&s), sock);
	strbuf_release(&u);
	strbuf_release(&s);
}

static void
expect_bad_listen(const char *listen)
{
	struct strbuf u = STRBUF_INIT, s = STRBUF_INIT;

	assert_int_equal(ctl_status_health_url(listen, &u, &s), TALLY_ECONFIG);
	strbuf_release(&u);
	strbuf_release(&s);
}

static void
test_health_url(void **state)
{
	(void)state;
	expect_url("127.0.0.1:8080", "http://127.0.0.1:8080/healthz", "");
	expect_url("localhost:9000", "http://localhost:9000/healthz", "");
	/* listening everywhere: ask on loopback */
	expect_url("0.0.0.0:8080", "http://127.0.0.1:8080/healthz", "");
	expect_url(":8080", "http://127.0.0.1:8080/healthz", "");
	expect_url("*:8080", "http://127.0.0.1:8080/healthz", "");
	expect_url("[::]:8080", "http://[::1]:8080/healthz", "");
	expect_url("[::1]:81", "http://[::1]:81/healthz", "");
	expect_url("/run/tally/receiver.sock", "http://localhost/healthz",
	    "/run/tally/receiver.sock");
	expect_url("unix:/run/r.sock", "http://localhost/healthz", "/run/r.sock");

	expect_bad_listen("127.0.0.1");
	expect_bad_listen("127.0.0.1:");
	expect_bad_listen("127.0.0.1:0");
	expect_bad_listen("127.0.0.1:65536");
	expect_bad_listen("127.0.0.1:80x");
	expect_bad_listen("::1:8080");
	expect_bad_listen("[::1]8080");
	expect_bad_listen("");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backup_names),
		cmocka_unit_test(test_child_conninfo_uri),
		cmocka_unit_test(test_child_conninfo_quotes),
		cmocka_unit_test(test_child_conninfo_invalid),
		cmocka_unit_test(test_health_url),
	};

	log_init("test_ctl_ops");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
