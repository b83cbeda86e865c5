/*
 * test_xlsxout.c - the XLSX writer, read back by an independent reader
 * (openpyxl, through tests/support/xlsx_read.py): cell types and number formats,
 * text that looks like a formula, frozen header, autofilter, widths,
 * charts, heatmap, continuation sheets, truncation, reproducibility.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/err.h"
#include "base/strbuf.h"
#include "out/xlsxout.h"
#include "support/tfile.h"

static char *tmpdir;

static char *
path_in_tmp(const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/%s", tmpdir, name);
	return strbuf_detach(&sb, NULL);
}

static json_t *
sheet(json_t *wb, size_t i)
{
	json_t *s = json_array_get(json_object_get(wb, "sheets"), i);

	assert_non_null(s);
	return s;
}

static json_t *
cellj(json_t *sh, size_t row, size_t col)
{
	return json_array_get(json_array_get(json_object_get(sh, "rows"), row),
	    col);
}

static const char *
str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Assert a cell's openpyxl type and number format. */
static void
assert_cell(json_t *sh, size_t row, size_t col, const char *type,
    const char *fmt)
{
	json_t *c = cellj(sh, row, col);

	if (c == NULL || json_is_null(c))
		fail_msg("cell %zu,%zu is empty", row, col);
	assert_string_equal(str(c, "t"), type);
	if (fmt != NULL)
		assert_string_equal(str(c, "f"), fmt);
}

static double
num(json_t *sh, size_t row, size_t col)
{
	return json_number_value(json_object_get(cellj(sh, row, col), "v"));
}

static const char *
sval(json_t *sh, size_t row, size_t col)
{
	return str(cellj(sh, row, col), "v");
}

static const struct xlsxout_column all_types[] = {
	{ "note", XLSXOUT_TEXT, NULL },
	{ "calls", XLSXOUT_NUMBER, NULL },
	{ "ok", XLSXOUT_BOOL, NULL },
	{ "day", XLSXOUT_DATE, NULL },
	{ "last_call", XLSXOUT_DATETIME, NULL },
	{ "revenue", XLSXOUT_MONEY, NULL },
	{ "success_rate", XLSXOUT_PERCENT, NULL },
};

static void
test_types(void **state)
{
	struct xlsxout *x;
	struct xlsxout_sheet *s;
	char *path = path_in_tmp("types.xlsx");
	double d, ts;
	json_t *wb, *sh;

	(void)state;
	assert_int_equal(xlsxout_open(&x, path, tmpdir, 1794873600), 0);
	assert_int_equal(xlsxout_sheet_add(x, &s, "Types", all_types, 7), 0);
	assert_int_equal(xlsxout_parse_date("2026-11-16", &d), 0);
	assert_int_equal(xlsxout_parse_timestamp("2026-11-16 10:30:00+01", &ts), 0);

	assert_int_equal(xlsxout_text(s, 0, "=1+2"), 0);
	assert_int_equal(xlsxout_number(s, 1, 42), 0);
	assert_int_equal(xlsxout_bool(s, 2, true), 0);
	assert_int_equal(xlsxout_serial(s, 3, d), 0);
	assert_int_equal(xlsxout_serial(s, 4, ts), 0);
	assert_int_equal(xlsxout_money(s, 5, 19.99, "USD"), 0);
	assert_int_equal(xlsxout_number(s, 6, 0.5), 0);
	assert_int_equal(xlsxout_end_row(s), 0);

	assert_int_equal(xlsxout_text(s, 0, "@SUM(A1:A9)"), 0);
	assert_int_equal(xlsxout_number(s, 1, -1.5), 0);
	assert_int_equal(xlsxout_bool(s, 2, false), 0);
	assert_int_equal(xlsxout_money(s, 5, 1500, "jpy"), 0);
	assert_int_equal(xlsxout_number(s, 6, 1), 0);
	assert_int_equal(xlsxout_end_row(s), 0);

	/* a row of NULLs, then amounts without a currency, in a code money.c
	 * does not list (2 decimals, like tally_currency_exponent()), and
	 * in something that is not a code */
	assert_int_equal(xlsxout_end_row(s), 0);
	assert_int_equal(xlsxout_money(s, 5, 7.125, NULL), 0);
	assert_int_equal(xlsxout_end_row(s), 0);
	assert_int_equal(xlsxout_money(s, 5, 7.125, "XYZ"), 0);
	assert_int_equal(xlsxout_end_row(s), 0);
	assert_int_equal(xlsxout_money(s, 5, 7.125, "U$D"), 0);
	assert_int_equal(xlsxout_end_row(s), 0);

	/* wrong type for the column: a bug in the caller */
	assert_int_equal(xlsxout_number(s, 0, 1), TALLY_EINTERNAL);
	assert_int_equal(xlsxout_text(s, 9, "x"), TALLY_EINTERNAL);
	assert_int_equal(xlsxout_sheet_rows(s), 6);
	assert_int_equal(xlsxout_close(x), 0);

	wb = tfile_xlsx(path);
	assert_string_equal(str(wb, "created"), "2026-11-17T00:00:00");
	sh = sheet(wb, 0);
	assert_string_equal(str(sh, "name"), "Types");
	assert_string_equal(str(sh, "freeze"), "A2");
	assert_string_equal(str(sh, "autofilter"), "A1:G7");
	assert_cell(sh, 0, 0, "s", NULL);
	assert_string_equal(sval(sh, 0, 6), "success_rate");
	/* formula-looking text stays text */
	assert_cell(sh, 1, 0, "s", "General");
	assert_string_equal(sval(sh, 1, 0), "=1+2");
	assert_cell(sh, 2, 0, "s", NULL);
	assert_string_equal(sval(sh, 2, 0), "@SUM(A1:A9)");
	assert_cell(sh, 1, 1, "n", "General");
	assert_true(num(sh, 1, 1) == 42);
	assert_true(num(sh, 2, 1) == -1.5);
	assert_cell(sh, 1, 2, "b", NULL);
	assert_true(json_is_true(json_object_get(cellj(sh, 1, 2), "v")));
	assert_cell(sh, 1, 3, "d", "yyyy-mm-dd");
	assert_string_equal(sval(sh, 1, 3), "2026-11-16T00:00:00");
	assert_cell(sh, 1, 4, "d", "yyyy-mm-dd hh:mm:ss");
	/* the wall-clock time as PostgreSQL printed it; the offset ignored */
	assert_string_equal(sval(sh, 1, 4), "2026-11-16T10:30:00");
	assert_cell(sh, 1, 5, "n", "#,##0.00 \"USD\"");
	assert_true(num(sh, 1, 5) == 19.99);
	assert_cell(sh, 2, 5, "n", "#,##0 \"JPY\"");
	assert_cell(sh, 4, 5, "n", "General");
	assert_cell(sh, 5, 5, "n", "#,##0.00 \"XYZ\"");
	assert_cell(sh, 6, 5, "n", "General");
	assert_true(num(sh, 6, 5) == 7.125);
	assert_cell(sh, 1, 6, "n", "0.0%");
	assert_true(num(sh, 1, 6) == 0.5);
	/* NULLs are empty cells */
	for (size_t c = 0; c < 7; c++)
		assert_true(json_is_null(cellj(sh, 3, c)));
	/* widths: the header and its filter button, or the content */
	assert_true(json_number_value(json_object_get(json_object_get(sh,
	    "widths"), "G")) >= 16);
	assert_true(json_number_value(json_object_get(json_object_get(sh,
	    "widths"), "E")) >= 19);
	json_decref(wb);
	free(path);
}

static void
test_empty_sheet(void **state)
{
	static const struct xlsxout_column cols[] = {
		{ "week", XLSXOUT_DATE, NULL }, { "new", XLSXOUT_NUMBER, NULL },
	};
	static const size_t values[] = { 1 };
	struct xlsxout *x;
	struct xlsxout_sheet *s;
	char *path = path_in_tmp("empty.xlsx");
	json_t *wb, *sh;

	(void)state;
	assert_int_equal(xlsxout_open(&x, path, NULL, 1794873600), 0);
	assert_int_equal(xlsxout_sheet_add(x, &s, "Nothing", cols, 2), 0);
	assert_int_equal(xlsxout_chart(s, XLSXOUT_CHART_LINE, 0, values, 1,
	    "New"), 0);
	assert_int_equal(xlsxout_heatmap(s, values, 1), 0);
	assert_int_equal(xlsxout_close(x), 0);
	wb = tfile_xlsx(path);
	sh = sheet(wb, 0);
	assert_int_equal(json_array_size(json_object_get(sh, "rows")), 1);
	assert_string_equal(str(sh, "autofilter"), "A1:B1");
	assert_int_equal(json_array_size(json_object_get(sh, "charts")), 0);
	assert_int_equal(json_array_size(json_object_get(sh, "colorscales")), 0);
	json_decref(wb);
	free(path);
}

static void
test_charts_and_heatmap(void **state)
{
	static const struct xlsxout_column cols[] = {
		{ "week", XLSXOUT_TEXT, NULL }, { "new", XLSXOUT_NUMBER, NULL },
		{ "expired", XLSXOUT_NUMBER, NULL }, { "label", XLSXOUT_TEXT, NULL },
		{ "h00", XLSXOUT_NUMBER, NULL },
	};
	static const size_t two[] = { 1, 2 }, one[] = { 1 }, heat[] = { 4, 1, 2 };
	struct xlsxout *x;
	struct xlsxout_sheet *s;
	char *path = path_in_tmp("charts.xlsx");
	json_t *wb, *sh, *ch, *se;

	(void)state;
	assert_int_equal(xlsxout_open(&x, path, tmpdir, 1794873600), 0);
	assert_int_equal(xlsxout_sheet_add(x, &s, "Pool status", cols, 5), 0);
	assert_int_equal(xlsxout_chart(s, XLSXOUT_CHART_COLUMN, 0, two, 2,
	    "Assignments per week"), 0);
	assert_int_equal(xlsxout_chart(s, XLSXOUT_CHART_PIE, 0, one, 1, NULL), 0);
	assert_int_equal(xlsxout_chart(s, XLSXOUT_CHART_PIE, 0, two, 2, NULL),
	    TALLY_EDATA);
	assert_int_equal(xlsxout_chart(s, XLSXOUT_CHART_LINE, 7, one, 1, NULL),
	    TALLY_EDATA);
	assert_int_equal(xlsxout_heatmap(s, heat, 3), 0);
	for (int r = 0; r < 3; r++) {
		char w[32];

		snprintf(w, sizeof(w), "2026-W%02d", 45 + r);
		assert_int_equal(xlsxout_text(s, 0, w), 0);
		assert_int_equal(xlsxout_number(s, 1, r + 1), 0);
		assert_int_equal(xlsxout_number(s, 2, r * 2), 0);
		assert_int_equal(xlsxout_text(s, 3, "x"), 0);
		assert_int_equal(xlsxout_number(s, 4, r), 0);
		assert_int_equal(xlsxout_end_row(s), 0);
	}
	assert_int_equal(xlsxout_close(x), 0);
	wb = tfile_xlsx(path);
	sh = sheet(wb, 0);
	assert_int_equal(json_array_size(json_object_get(sh, "charts")), 2);
	ch = json_array_get(json_object_get(sh, "charts"), 0);
	assert_string_equal(str(ch, "type"), "bar");
	assert_string_equal(str(ch, "title"), "Assignments per week");
	assert_int_equal(json_array_size(json_object_get(ch, "series")), 2);
	se = json_array_get(json_object_get(ch, "series"), 1);
	assert_string_equal(str(se, "val"), "'Pool status'!$C$2:$C$4");
	assert_string_equal(str(se, "cat"), "'Pool status'!$A$2:$A$4");
	assert_string_equal(str(se, "name"), "'Pool status'!$C$1");
	ch = json_array_get(json_object_get(sh, "charts"), 1);
	assert_string_equal(str(ch, "type"), "pie");
	/* one scale over B:C and E, the text column D left out */
	assert_int_equal(json_array_size(json_object_get(sh, "colorscales")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(sh,
	    "colorscales"), 0)), "B2:C4 E2:E4");
	json_decref(wb);
	free(path);
}

static void
test_continuation_sheets(void **state)
{
	static const struct xlsxout_column cols[] = {
		{ "n", XLSXOUT_NUMBER, NULL },
	};
	static const size_t heat[] = { 0 };
	struct xlsxout *x;
	struct xlsxout_sheet *s;
	char *path = path_in_tmp("big.xlsx");
	json_t *wb;

	(void)state;
	assert_int_equal(xlsxout_open(&x, path, tmpdir, 1794873600), 0);
	xlsxout_set_sheet_rows(x, 4);	/* a header and 3 rows per sheet */
	assert_int_equal(xlsxout_sheet_add(x, &s,
	    "A sheet name of thirty-one char", cols, 1), 0);
	assert_int_equal(xlsxout_heatmap(s, heat, 1), 0);
	for (int r = 1; r <= 7; r++) {
		assert_int_equal(xlsxout_number(s, 0, r), 0);
		assert_int_equal(xlsxout_end_row(s), 0);
	}
	assert_int_equal(xlsxout_sheet_rows(s), 7);
	assert_int_equal(xlsxout_close(x), 0);
	wb = tfile_xlsx(path);
	assert_int_equal(json_array_size(json_object_get(wb, "sheets")), 3);
	assert_string_equal(str(sheet(wb, 0), "name"),
	    "A sheet name of thirty-one char");
	assert_string_equal(str(sheet(wb, 1), "name"),
	    "A sheet name of thirty-one (2)");
	assert_string_equal(str(sheet(wb, 2), "name"),
	    "A sheet name of thirty-one (3)");
	assert_string_equal(sval(sheet(wb, 1), 0, 0), "n");
	assert_true(num(sheet(wb, 1), 1, 0) == 4);
	assert_true(num(sheet(wb, 2), 1, 0) == 7);
	assert_int_equal(json_array_size(json_object_get(sheet(wb, 2), "rows")), 2);
	assert_string_equal(str(sheet(wb, 1), "autofilter"), "A1:A4");
	assert_string_equal(str(sheet(wb, 2), "freeze"), "A2");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    sheet(wb, 2), "colorscales"), 0)), "A2");
	json_decref(wb);
	free(path);
}

static void
test_long_text_truncated(void **state)
{
	static const struct xlsxout_column cols[] = {
		{ "t", XLSXOUT_TEXT, NULL },
	};
	struct xlsxout *x;
	struct xlsxout_sheet *s;
	char *path = path_in_tmp("long.xlsx");
	size_t n = 40000;
	char *big = malloc(n * 2 + 1);
	json_t *wb;

	(void)state;
	assert_non_null(big);
	/* two-byte characters: the cut must fall between them */
	for (size_t i = 0; i < n; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);
	big[2 * n] = '\0';
	assert_int_equal(xlsxout_open(&x, path, tmpdir, 1794873600), 0);
	assert_int_equal(xlsxout_sheet_add(x, &s, "Long", cols, 1), 0);
	assert_int_equal(xlsxout_text(s, 0, big), 0);
	assert_int_equal(xlsxout_end_row(s), 0);
	assert_int_equal(xlsxout_truncated(x), 1);
	assert_int_equal(xlsxout_close(x), 0);
	wb = tfile_xlsx(path);
	assert_int_equal(strlen(sval(sheet(wb, 0), 1, 0)), 32767 * 2);
	json_decref(wb);
	free(big);
	free(path);
}

static void
test_sheet_names(void **state)
{
	static const struct xlsxout_column cols[] = {
		{ "a", XLSXOUT_TEXT, NULL },
	};
	struct xlsxout *x;
	struct xlsxout_sheet *s;
	char *path = path_in_tmp("names.xlsx");

	(void)state;
	assert_int_equal(xlsxout_open(&x, path, tmpdir, 0), 0);
	assert_int_equal(xlsxout_sheet_add(x, &s, "a/b", cols, 1), TALLY_EDATA);
	assert_non_null(strstr(xlsxout_errmsg(x), "a/b"));
	assert_int_equal(xlsxout_sheet_add(x, &s,
	    "a name that is longer than 31 chars", cols, 1), TALLY_EDATA);
	assert_int_equal(xlsxout_sheet_add(x, &s, "ok", cols, 1), 0);
	assert_int_equal(xlsxout_sheet_add(x, &s, "ok", cols, 1), TALLY_EDATA);
	assert_int_equal(xlsxout_sheet_add(x, &s, "ok", cols, 0), TALLY_EDATA);
	xlsxout_abandon(x);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
}

/* Same data, same created time: the same bytes. */
static void
write_fixed(const char *path)
{
	struct xlsxout *x;
	struct xlsxout_sheet *s;

	assert_int_equal(xlsxout_open(&x, path, tmpdir, 1794873600), 0);
	assert_int_equal(xlsxout_sheet_add(x, &s, "Types", all_types, 7), 0);
	assert_int_equal(xlsxout_text(s, 0, "a"), 0);
	assert_int_equal(xlsxout_money(s, 5, 1.5, "EUR"), 0);
	assert_int_equal(xlsxout_end_row(s), 0);
	assert_int_equal(xlsxout_close(x), 0);
}

static void
test_reproducible(void **state)
{
	char *a = path_in_tmp("a.xlsx"), *b = path_in_tmp("b.xlsx");
	struct strbuf cmd = STRBUF_INIT;

	(void)state;
	write_fixed(a);
	sleep(1);	/* a different wall-clock second must not matter */
	write_fixed(b);
	strbuf_addf(&cmd, "cmp -s '%s' '%s'", a, b);
	assert_int_equal(system(cmd.buf), 0);
	strbuf_release(&cmd);
	free(a);
	free(b);
}

static void
test_parse_dates(void **state)
{
	double v;

	(void)state;
	assert_int_equal(xlsxout_parse_date("2026-11-16", &v), 0);
	assert_true(v == 46342);
	assert_int_equal(xlsxout_parse_date("1900-03-01", &v), 0);
	assert_true(v == 61);
	assert_int_equal(xlsxout_parse_date("1900-02-28", &v), TALLY_EDATA);
	assert_int_equal(xlsxout_parse_date("2026-02-29", &v), TALLY_EDATA);
	assert_int_equal(xlsxout_parse_date("infinity", &v), TALLY_EDATA);
	assert_int_equal(xlsxout_parse_date("2026-11-16 BC", &v), TALLY_EDATA);
	assert_int_equal(xlsxout_parse_timestamp("2026-11-16 12:00:00", &v), 0);
	assert_true(v == 46342.5);
	assert_int_equal(xlsxout_parse_timestamp("2026-11-16 06:00:00.5+05:30",
	    &v), 0);
	assert_true(fabs(v - (46342.25 + 0.5 / 86400)) < 1e-9);
	assert_int_equal(xlsxout_parse_timestamp("2026-11-16 06:00:00-03:30:15",
	    &v), 0);
	assert_int_equal(xlsxout_parse_timestamp("2026-11-16", &v), TALLY_EDATA);
	assert_int_equal(xlsxout_parse_timestamp("2026-11-16 24:00:00", &v),
	    TALLY_EDATA);
	assert_int_equal(xlsxout_parse_timestamp("2026-11-16 10:00:00 BC", &v),
	    TALLY_EDATA);
	assert_int_equal(xlsxout_parse_timestamp("-infinity", &v), TALLY_EDATA);
}

static int
setup(void **state)
{
	(void)state;
	tmpdir = tfile_tempdir("test_xlsxout.");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tfile_remove_tree(tmpdir);
	free(tmpdir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_dates),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_empty_sheet),
		cmocka_unit_test(test_charts_and_heatmap),
		cmocka_unit_test(test_continuation_sheets),
		cmocka_unit_test(test_long_text_truncated),
		cmocka_unit_test(test_sheet_names),
		cmocka_unit_test(test_reproducible),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
