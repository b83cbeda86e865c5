/*
 * test_migrate - migrations apply once, a second run is a no-op, and a
 * broken file rolls back whole and is named in the error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pg/db.h"
#include "base/err.h"
#include "pg/migrate.h"
#include "support/testdb.h"

static void
test_twice_is_noop(void **state)
{
	struct db *db = NULL;
	struct strbuf err = STRBUF_INIT;
	char *url = NULL, *before = NULL, *after = NULL;
	int applied = -1;

	(void)state;
	/* the template is already migrated: everything is recorded */
	testdb_create(&url, &db);
	assert_int_equal(db_query_value(db, &before,
	    "SELECT count(*) FROM schema_migrations", 0, NULL), 0);
	assert_true(strtol(before, NULL, 10) >= 2);
	assert_int_equal(migrate_run(db, NULL, &applied, &err), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(migrate_run(db, NULL, &applied, &err), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(db_query_value(db, &after,
	    "SELECT count(*) FROM schema_migrations", 0, NULL), 0);
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(url);
	db_free(db);
	strbuf_release(&err);
}

static void
test_broken_rolls_back(void **state)
{
#define FILE_ENTRY(name, text) { name, text, sizeof(text) - 1 }
	static const struct embedded_file files[] = {
		FILE_ENTRY("sql/900_good.sql", "CREATE TABLE m_good (x int);"),
		FILE_ENTRY("sql/901_broken.sql",
		    "CREATE TABLE m_half (x int); INSERT INTO m_half VALUES (1);"
		    " SELECT no_such_function();"),
		FILE_ENTRY("sql/902_after.sql", "CREATE TABLE m_after (x int);"),
		FILE_ENTRY("reports/x/10_a.sql", "not a migration"),
		{ NULL, NULL, 0 }
	};
	struct db *db = NULL;
	struct strbuf err = STRBUF_INIT;
	char *url = NULL, *v = NULL;
	int applied = -1;

	(void)state;
	testdb_create(&url, &db);
	assert_int_not_equal(migrate_run(db, files, &applied, &err), 0);
	assert_int_equal(applied, 1);
	/* the error names the file */
	assert_non_null(strstr(err.buf, "sql/901_broken.sql: "));
	assert_non_null(strstr(err.buf, "no_such_function"));
	/* the good one stayed, the broken one left nothing, the next never ran */
	assert_int_equal(db_query_value(db, &v,
	    "SELECT concat_ws(',', to_regclass('m_good'), to_regclass('m_half'),"
	    " to_regclass('m_after'))", 0, NULL), 0);
	assert_string_equal(v, "m_good");
	free(v);
	assert_int_equal(db_query_value(db, &v,
	    "SELECT string_agg(name, ',' ORDER BY name) FROM schema_migrations"
	    " WHERE name >= '900'", 0, NULL), 0);
	assert_string_equal(v, "900_good.sql");
	free(v);
	free(url);
	db_free(db);
	strbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_twice_is_noop),
		cmocka_unit_test(test_broken_rolls_back),
	};

	testdb_require();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
