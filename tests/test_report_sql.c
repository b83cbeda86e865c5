/*
 * test_report_sql.c - the header directives of a report sheet's SQL file:
 * sheet names and their CSV stems, money, percent, charts (and their
 * dashed series), heatmaps, column headers and notes, total rows, cell
 * notes, windows and summaries, and the mistakes that must stop a report
 * rather than pass silently.
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

/*
 * The XLSX headers and their notes come from the same comment that
 * documents the columns: one source.  A note runs on over the lines
 * indented under its column; a blank comment line or a line indented once
 * ends it.
 */
static void
test_columns_and_glance(void **state)
{
	static const char sql[] =
	    "-- sheet: Capacity\n"
	    "-- chart: line; category=month; values=peak; dashed=forecast\n"
	    "-- total: plan=All plans\n"
	    "-- total: currency = All\n"
	    "-- cellnote: margin=why, cost=why\n"
	    "-- window: 7 days\n"
	    "-- column: seat_days | Seat-days available | capacity times\n"
	    "--     the days the account was in the pool\n"
	    "--   during the month\n"
	    "-- column: plan | Plan\n"
	    "-- The sheet's own prose, not part of any note.\n"
	    "-- column: margin|Gross margin|net - cost\n"
	    "--\n"
	    "--     indented prose after a blank line: not a note\n"
	    "select 1 as seat_days\n";
	struct report_sql_sheet sh;
	struct strbuf err = STRBUF_INIT;
	const struct report_sql_column *c;
	char *h;

	(void)state;
	assert_int_equal(report_sql_parse(&sh, "r/07_capacity.sql", sql, &err),
	    0);
	assert_int_equal(sh.charts[0].ndashed, 1);
	assert_string_equal(sh.charts[0].dashed[0], "forecast");
	assert_int_equal(sh.ntotals, 2);
	assert_string_equal(sh.totals[0].column, "plan");
	assert_string_equal(sh.totals[0].value, "All plans");
	assert_string_equal(sh.totals[1].value, "All");
	assert_int_equal(sh.ncellnotes, 2);
	assert_string_equal(sh.cellnotes[1].column, "cost");
	assert_string_equal(sh.cellnotes[1].from, "why");
	assert_int_equal(sh.window_days, 7);
	assert_null(sh.summary);
	assert_int_equal(sh.ncolumns, 3);
	c = report_sql_column(&sh, "seat_days");
	assert_non_null(c);
	assert_string_equal(c->header, "Seat-days available");
	assert_string_equal(c->note, "capacity times the days the account was "
	    "in the pool during the month");
	c = report_sql_column(&sh, "plan");
	assert_string_equal(c->header, "Plan");
	assert_null(c->note);
	c = report_sql_column(&sh, "margin");
	assert_string_equal(c->header, "Gross margin");
	assert_string_equal(c->note, "net - cost");
	assert_null(report_sql_column(&sh, "other"));
	report_sql_release(&sh);

	assert_int_equal(report_sql_parse(&sh, "r/00_summary.sql",
	    "-- sheet: Summary\n-- summary: Weekly report\nselect 1", &err), 0);
	assert_string_equal(sh.summary, "Weekly report");
	report_sql_release(&sh);
	/* a column without a directive: its name, made readable */
	h = report_sql_header("seat_days_available");
	assert_string_equal(h, "Seat days available");
	free(h);
	strbuf_release(&err);
}

/* A report's shared header: column lines its sheets fall back on, and
 * nothing else. */
static void
test_shared_columns(void **state)
{
	struct report_sql_sheet shared, sh, bad;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_true(report_sql_is_shared("reports/reconcile/_columns.sql"));
	assert_true(report_sql_is_shared("_columns.sql"));
	assert_false(report_sql_is_shared("reports/reconcile/01_cases.sql"));
	assert_int_equal(report_sql_parse(&shared, "r/_columns.sql",
	    "-- what the sheets share\n"
	    "-- column: case_id | Case | the case's number\n"
	    "-- column: amount | Amount | what the case is about\n", &err), 0);
	assert_int_equal(report_sql_check_shared(&shared, &err), 0);
	assert_int_equal(report_sql_parse(&sh, "r/02_x.sql",
	    "-- column: amount | Difference | settled minus recorded\n"
	    "select 1 as case_id, 2 as amount, 3 as other", &err), 0);
	sh.shared = &shared;
	/* the sheet's own line wins; the shared one fills in */
	assert_string_equal(report_sql_column(&sh, "amount")->header,
	    "Difference");
	assert_string_equal(report_sql_column(&sh, "case_id")->note,
	    "the case's number");
	assert_null(report_sql_column(&sh, "other"));
	report_sql_release(&sh);
	report_sql_release(&shared);

	/* a query, or another directive, is not a shared header */
	assert_int_equal(report_sql_parse(&bad, "r/_a.sql",
	    "-- column: x | X | y\nselect 1 as x", &err), 0);
	assert_int_equal(report_sql_check_shared(&bad, &err), TALLY_EINTERNAL);
	report_sql_release(&bad);
	assert_int_equal(report_sql_parse(&bad, "r/_b.sql",
	    "-- column: x | X | y\n-- money: x=USD\n", &err), 0);
	assert_int_equal(report_sql_check_shared(&bad, &err), TALLY_EINTERNAL);
	assert_non_null(strstr(strbuf_str(&err), "r/_b.sql: a shared header"));
	report_sql_release(&bad);
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
	expect_error("-- columns: a | A\nselect 1", "columns");
	expect_error("-- column: a\nselect 1", "column:");
	expect_error("-- column: a | \nselect 1", "header");
	expect_error("-- column: a | A\n-- column: a | B\nselect 1", "twice");
	expect_error("-- total: a\nselect 1", "total:");
	expect_error("-- totals: a=b\nselect 1", "totals");
	expect_error("-- cellnote: a\nselect 1", "cellnote");
	expect_error("-- window: a week\nselect 1", "window");
	expect_error("-- window: 0 days\nselect 1", "window");
	expect_error("-- window: 7 days\n-- window: 8 days\nselect 1", "once");
	expect_error("-- summary:\nselect 1", "summary");
	expect_error("-- summaries: x\nselect 1", "summaries");
	expect_error("-- chart: column; category=a; values=b; dashed=c\n"
	    "select 1", "line");
	/* the line number points at the mistake */
	expect_error("-- sheet: ok\n--\n-- chart: nope\nselect 1", "r/10_x.sql:3:");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_header),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_columns_and_glance),
		cmocka_unit_test(test_shared_columns),
		cmocka_unit_test(test_slug),
		cmocka_unit_test(test_mistakes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
