/*
 * test_table.c - text, CSV and JSON output of hand-built tables: alignment,
 * escaping, formula neutralisation, NULL vs empty, JSON typing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/strbuf.h"
#include "out/table.h"

/* Write t in fmt to a temporary file and return what was written. */
static char *
render(const struct table *t, enum table_format fmt)
{
	FILE *fp = tmpfile();
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;

	assert_non_null(fp);
	assert_int_equal(table_write(t, fp, fmt), 0);
	rewind(fp);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(fp);
	return strbuf_detach(&sb, NULL);
}

static struct table *
sample(void)
{
	struct table *t = table_new(4);
	const char *r1[] = { "1", "a@x.io", "t", "{\"k\": 1}" };
	const char *r2[] = { "-20", "=HYPERLINK(\"x\")", "f", NULL };
	const char *r3[] = { "300", "", NULL, "[1, 2]" };
	const char *r4[] = { "4", "b@x.io", "false", "true" };

	table_set_column(t, 0, "id", TABLE_NUMBER);
	table_set_column(t, 1, "email", TABLE_STRING);
	table_set_column(t, 2, "ok", TABLE_BOOL);
	table_set_column(t, 3, "doc", TABLE_JSONV);
	table_add_row(t, r1);
	table_add_row(t, r2);
	table_add_row(t, r3);
	table_add_row(t, r4);
	return t;
}

static void
test_text_aligned(void **state)
{
	struct table *t = sample();
	char *out = render(t, TABLE_TEXT);

	(void)state;
	/* numbers right-aligned, text left-aligned, NULL blank, footer */
	assert_string_equal(out,
	    "id   email            ok     doc\n"
	    "---  ---------------  -----  --------\n"
	    "  1  a@x.io           t      {\"k\": 1}\n"
	    "-20  =HYPERLINK(\"x\")  f      \n"
	    "300                          [1, 2]\n"
	    "  4  b@x.io           false  true\n"
	    "(4 rows)\n");
	free(out);
	table_free(t);
}

static void
test_text_escapes_and_width(void **state)
{
	struct table *t = table_new(2);
	const char *r1[] = { "two\nlines\t\x1b[31mred", "x" };
	const char *r2[] = { "\xe6\x97\xa5\xe6\x9c\xac", "y" };	/* 2 wide chars */
	char *out;

	(void)state;
	table_set_column(t, 0, "note", TABLE_STRING);
	table_set_column(t, 1, "v", TABLE_STRING);
	table_add_row(t, r1);
	table_add_row(t, r2);
	out = render(t, TABLE_TEXT);
	/* control characters spelled out; the CJK cell is 4 columns wide */
	assert_string_equal(out,
	    "note                     v\n"
	    "-----------------------  -\n"
	    "two\\nlines\\t\\x1b[31mred  x\n"
	    "\xe6\x97\xa5\xe6\x9c\xac                     y\n"
	    "(2 rows)\n");
	assert_int_equal(table_display_width("\xe6\x97\xa5\xe6\x9c\xac"), 4);
	assert_int_equal(table_display_width("e\xcc\x81"), 1);	/* e + combining */
	free(out);
	table_free(t);
}

static void
test_csv(void **state)
{
	struct table *t = sample();
	char *out = render(t, TABLE_CSV);

	(void)state;
	/* text quoted; a formula neutralised with an apostrophe; numbers and
	 * booleans bare; NULL empty, "" an empty string; CRLF */
	assert_string_equal(out,
	    "\"id\",\"email\",\"ok\",\"doc\"\r\n"
	    "1,\"a@x.io\",true,\"{\"\"k\"\": 1}\"\r\n"
	    "-20,\"'=HYPERLINK(\"\"x\"\")\",false,\r\n"
	    "300,\"\",,\"[1, 2]\"\r\n"
	    "4,\"b@x.io\",false,\"true\"\r\n");
	free(out);
	table_free(t);
}

static void
test_csv_dangerous_starts(void **state)
{
	struct table *t = table_new(1);
	const char *cells[][1] = { { "+1" }, { "-cmd" }, { "@SUM(A1)" },
		{ "\tx" }, { "\rx" }, { "safe" } };
	char *out;

	(void)state;
	table_set_column(t, 0, "note", TABLE_STRING);
	for (size_t i = 0; i < 6; i++)
		table_add_row(t, cells[i]);
	out = render(t, TABLE_CSV);
	assert_string_equal(out,
	    "\"note\"\r\n\"'+1\"\r\n\"'-cmd\"\r\n\"'@SUM(A1)\"\r\n\"'\tx\"\r\n"
	    "\"'\rx\"\r\n\"safe\"\r\n");
	free(out);
	table_free(t);
}

static void
test_json(void **state)
{
	struct table *t = sample();
	char *out = render(t, TABLE_JSON);

	(void)state;
	assert_string_equal(out,
	    "[\n"
	    "{\"id\":1,\"email\":\"a@x.io\",\"ok\":true,\"doc\":{\"k\": 1}},\n"
	    "{\"id\":-20,\"email\":\"=HYPERLINK(\\\"x\\\")\",\"ok\":false,"
	    "\"doc\":null},\n"
	    "{\"id\":300,\"email\":\"\",\"ok\":null,\"doc\":[1, 2]},\n"
	    "{\"id\":4,\"email\":\"b@x.io\",\"ok\":false,\"doc\":true}\n"
	    "]\n");
	free(out);
	table_free(t);
}

static void
test_json_escapes_and_numbers(void **state)
{
	struct table *t = table_new(2);
	const char *r1[] = { "NaN", "a\"b\\c\nd\x01" };
	const char *r2[] = { "12.50", "\xc3\xa9" };
	char *out;

	(void)state;
	table_set_column(t, 0, "n", TABLE_NUMBER);
	table_set_column(t, 1, "s", TABLE_STRING);
	table_add_row(t, r1);
	table_add_row(t, r2);
	out = render(t, TABLE_JSON);
	/* NaN is not a JSON number: it becomes a string */
	assert_string_equal(out,
	    "[\n{\"n\":\"NaN\",\"s\":\"a\\\"b\\\\c\\nd\\u0001\"},\n"
	    "{\"n\":12.50,\"s\":\"\xc3\xa9\"}\n]\n");
	free(out);
	table_free(t);
}

static void
test_empty(void **state)
{
	struct table *t = table_new(1);
	char *out;

	(void)state;
	table_set_column(t, 0, "id", TABLE_NUMBER);
	out = render(t, TABLE_JSON);
	assert_string_equal(out, "[]\n");
	free(out);
	out = render(t, TABLE_TEXT);
	assert_string_equal(out, "id\n--\n(0 rows)\n");
	free(out);
	out = render(t, TABLE_CSV);
	assert_string_equal(out, "\"id\"\r\n");
	free(out);
	table_free(t);
}

static void
test_write_error(void **state)
{
	struct table *t = sample();
	FILE *fp = fopen("/dev/full", "w");

	(void)state;
	/* a container without /dev/full has no disk-full device to
	 * write to: the write-error path cannot be exercised there */
	if (fp == NULL)
		skip();
	/* a full disk is reported, not silently truncated output */
	assert_int_equal(table_write(t, fp, TABLE_TEXT), TALLY_EIO);
	fclose(fp);
	table_free(t);
}

static void
test_types_and_formats(void **state)
{
	enum table_format f;

	(void)state;
	assert_int_equal(table_type_for_oid(20), TABLE_NUMBER);
	assert_int_equal(table_type_for_oid(1700), TABLE_NUMBER);
	assert_int_equal(table_type_for_oid(16), TABLE_BOOL);
	assert_int_equal(table_type_for_oid(3802), TABLE_JSONV);
	assert_int_equal(table_type_for_oid(25), TABLE_STRING);
	assert_int_equal(table_format_parse("json", &f), 0);
	assert_int_equal(f, TABLE_JSON);
	assert_int_equal(table_format_parse("xml", &f), TALLY_EUSAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_aligned),
		cmocka_unit_test(test_text_escapes_and_width),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_dangerous_starts),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_escapes_and_numbers),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_types_and_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
