/*
 * test_report_sql.c - the header directives of a report sheet's SQL file:
 * sheet names and their CSV stems, money, percent, charts, heatmaps, and
 * the mistakes that must stop a report rather than pass silently.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "report/sql.h"
#include "base/strbuf.h"

static void
test_full_header(void **state)
{
	static const char sql[] =
	    "-- sheet: Pool status\n"
	    "-- money: revenue=currency, cost = USD\n"
	    "-- percent: success_rate, error_rate\n"
	    "--\n"
	    "-- Free text, even with a colon: fine.  note: also fine.\n"
	    "-- chart: column; category=week; values=new,expired; title=Per week\n"
	    "-- chart: pie; category=model; values=calls\n"
	    "-- heatmap: h00, h01\n"
	    "\n"
	    "select 1 as x\n"
	    "-- sheet: ignored, the query has started\n";
	struct report_sql_sheet sh;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(report_sql_parse(&sh, "reports/weekly/10_pool.sql", sql,
	    &err), 0);
	assert_string_equal(sh.name, "Pool status");
	assert_string_equal(sh.slug, "pool-status");
	assert_ptr_equal(sh.sql, sql);
	assert_int_equal(sh.nmoney, 2);
	assert_string_equal(sh.money[0].column, "revenue");
	assert_string_equal(sh.money[0].currency, "currency");
	assert_string_equal(sh.money[1].column, "cost");
	assert_string_equal(sh.money[1].currency, "USD");
	assert_int_equal(sh.npercent, 2);
	assert_string_equal(sh.percent[1], "error_rate");
	assert_int_equal(sh.ncharts, 2);
	assert_int_equal(sh.charts[0].kind, XLSXOUT_CHART_COLUMN);
	assert_string_equal(sh.charts[0].category, "week");
	assert_int_equal(sh.charts[0].nvalues, 2);
	assert_string_equal(sh.charts[0].values[1], "expired");
	assert_string_equal(sh.charts[0].title, "Per week");
	assert_int_equal(sh.charts[1].kind, XLSXOUT_CHART_PIE);
	assert_null(sh.charts[1].title);
	assert_int_equal(sh.nheatmap, 2);
	assert_string_equal(sh.heatmap[1], "h01");
	assert_false(sh.heatmap_numeric);
	report_sql_release(&sh);
	strbuf_release(&err);
}

static void
test_defaults(void **state)
{
	struct report_sql_sheet sh;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(report_sql_parse(&sh, "reports/weekly/10_pool.sql",
	    "select 1", &err), 0);
	assert_string_equal(sh.name, "pool");
	assert_string_equal(sh.slug, "pool");
	report_sql_release(&sh);
	assert_int_equal(report_sql_parse(&sh, "x/issues_2.sql",
	    "-- heatmap: *numeric*\nselect 1", &err), 0);
	assert_string_equal(sh.name, "issues_2");
	assert_string_equal(sh.slug, "issues-2");
	assert_true(sh.heatmap_numeric);
	report_sql_release(&sh);
	strbuf_release(&err);
}

static void
test_slug(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Pool status", "pool-status" },
		{ "  Revenue / product & currency ", "revenue-product-currency" },
		{ "Zoë's 2026", "zo-s-2026" },
		{ "***", "sheet" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = report_sql_slug(cases[i].in);

		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

static void
expect_error(const char *sql, const char *needle)
{
	struct report_sql_sheet sh;
	struct strbuf err = STRBUF_INIT;

	assert_int_equal(report_sql_parse(&sh, "r/10_x.sql", sql, &err),
	    TALLY_EINTERNAL);
	if (strstr(strbuf_str(&err), needle) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", strbuf_str(&err),
		    needle);
	report_sql_release(&sh);
	strbuf_release(&err);
}

static void
test_mistakes(void **state)
{
	(void)state;
	expect_error("-- charts: line; category=a; values=b\nselect 1", "charts");
	expect_error("-- sheet_name: X\nselect 1", "sheet_name");
	expect_error("-- sheet: A\n-- sheet: B\nselect 1", "twice");
	expect_error("-- sheet: a/b\nselect 1", "sheet name");
	expect_error("-- sheet: 'quoted'\nselect 1", "sheet name");
	expect_error("-- sheet: a name longer than thirty-one chars\nselect 1",
	    "31");
	expect_error("-- money: revenue\nselect 1", "money");
	expect_error("-- money: revenue=\nselect 1", "money");
	expect_error("-- percent: a,,b\nselect 1", "percent");
	expect_error("-- chart: bar; category=a; values=b\nselect 1", "bar");
	expect_error("-- chart: line; values=b\nselect 1", "category=");
	expect_error("-- chart: line; category=a\nselect 1", "values=");
	expect_error("-- chart: pie; category=a; values=b,c\nselect 1", "pie");
	expect_error("-- chart: line; category=a; values=b; colour=red\nselect 1",
	    "colour");
	expect_error("-- chart: line; category=a; values=b; values=c\nselect 1",
	    "values");
	expect_error("-- heatmap: a,\nselect 1", "heatmap");
	/* the line number points at the mistake */
	expect_error("-- sheet: ok\n--\n-- chart: nope\nselect 1", "r/10_x.sql:3:");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_header),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_slug),
		cmocka_unit_test(test_mistakes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
