/*
 * test_csvout.c - the CSV writer: RFC 4180 quoting, CRLF, NULL versus
 * empty text, formula neutralisation, bare numbers, write errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/csvout.h"
#include "base/err.h"

struct mem {
	char *buf;
	size_t len;
	FILE *fp;
	struct csvout c;
};

static void
mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->fp = open_memstream(&m->buf, &m->len);
	assert_non_null(m->fp);
	csvout_init(&m->c, m->fp);
}

/* Finish, close and return the bytes written (freed by the caller). */
static char *
mem_close(struct mem *m)
{
	assert_int_equal(csvout_finish(&m->c), 0);
	assert_int_equal(fclose(m->fp), 0);
	return m->buf;
}

static void
text(struct mem *m, const char *s)
{
	assert_int_equal(csvout_text(&m->c, s, strlen(s)), 0);
}

static void
plain(struct mem *m, const char *s)
{
	assert_int_equal(csvout_plain(&m->c, s, strlen(s)), 0);
}

static void
test_header_and_rows(void **state)
{
	struct mem m;
	char *out;

	(void)state;
	mem_open(&m);
	text(&m, "model");
	text(&m, "calls");
	assert_int_equal(csvout_end_row(&m.c), 0);
	text(&m, "qwen-image-edit");
	plain(&m, "42");
	assert_int_equal(csvout_end_row(&m.c), 0);
	out = mem_close(&m);
	assert_string_equal(out,
	    "\"model\",\"calls\"\r\n\"qwen-image-edit\",42\r\n");
	assert_int_equal(m.c.records, 2);
	free(out);
}

static void
test_quotes_commas_newlines(void **state)
{
	struct mem m;
	char *out;

	(void)state;
	mem_open(&m);
	text(&m, "say \"hi\"");
	text(&m, "a,b");
	text(&m, "line1\nline2\r\nline3");
	text(&m, "Zoë 画像");
	assert_int_equal(csvout_end_row(&m.c), 0);
	out = mem_close(&m);
	assert_string_equal(out, "\"say \"\"hi\"\"\",\"a,b\","
	    "\"line1\nline2\r\nline3\",\"Zoë 画像\"\r\n");
	free(out);
}

static void
test_null_versus_empty(void **state)
{
	struct mem m;
	char *out;

	(void)state;
	mem_open(&m);
	assert_int_equal(csvout_null(&m.c), 0);
	text(&m, "");
	assert_int_equal(csvout_null(&m.c), 0);
	assert_int_equal(csvout_end_row(&m.c), 0);
	out = mem_close(&m);
	assert_string_equal(out, ",\"\",\r\n");
	free(out);
}

static void
test_injection_neutralised(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "=1+2", "\"'=1+2\"" },
		{ "+1", "\"'+1\"" },
		{ "-2+3", "\"'-2+3\"" },
		{ "@SUM(A1:A2)", "\"'@SUM(A1:A2)\"" },
		{ "\tcmd", "\"'\tcmd\"" },
		{ "\rcmd", "\"'\rcmd\"" },
		{ "=HYPERLINK(\"http://x\",\"y\")",
		  "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"" },
		{ "a=b", "\"a=b\"" },
		{ "'=already", "\"'=already\"" },
		{ " =spaced", "\" =spaced\"" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mem m;
		char *out;

		mem_open(&m);
		text(&m, cases[i].in);
		out = mem_close(&m);
		assert_string_equal(out, cases[i].out);
		free(out);
	}
	assert_true(csvout_dangerous("=x", 2));
	assert_true(csvout_dangerous("-", 1));
	assert_false(csvout_dangerous("", 0));
	assert_false(csvout_dangerous("x=", 2));
}

static void
test_plain_numbers_bare(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "-5", "-5" },
		{ "+1e3", "+1e3" },
		{ "-0.05", "-0.05" },
		{ "1.5e-10", "1.5e-10" },
		{ "19.99", "19.99" },
		{ "2026-11-16", "2026-11-16" },
		{ "2026-11-16 10:00:00+01", "2026-11-16 10:00:00+01" },
		{ "true", "true" },
		{ "false", "false" },
		/* not numbers: treated as text, so quoted and neutralised */
		{ "-Infinity", "\"'-Infinity\"" },
		{ "NaN", "\"NaN\"" },
		{ "-1+2", "\"'-1+2\"" },
		{ ".5", ".5" },
		{ "-", "\"'-\"" },
		{ "1,5", "\"1,5\"" },
		{ "-infinity", "\"'-infinity\"" },
		{ "", "\"\"" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mem m;
		char *out;

		mem_open(&m);
		plain(&m, cases[i].in);
		out = mem_close(&m);
		assert_string_equal(out, cases[i].out);
		free(out);
	}
}

static void
test_write_error(void **state)
{
	FILE *fp = fopen("/dev/full", "w");
	struct csvout c;
	char big[8192];

	(void)state;
	/* a container without /dev/full has no disk-full device to
	 * write to: the write-error path cannot be exercised there */
	if (fp == NULL)
		skip();
	memset(big, 'x', sizeof(big));
	csvout_init(&c, fp);
	/* more than stdio buffers: the error shows up by the finish */
	for (int i = 0; i < 16; i++) {
		csvout_text(&c, big, sizeof(big));
		csvout_end_row(&c);
	}
	assert_int_equal(csvout_finish(&c), TALLY_EIO);
	/* sticky: later writes report it too */
	assert_int_equal(csvout_text(&c, "x", 1), TALLY_EIO);
	fclose(fp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_and_rows),
		cmocka_unit_test(test_quotes_commas_newlines),
		cmocka_unit_test(test_null_versus_empty),
		cmocka_unit_test(test_injection_neutralised),
		cmocka_unit_test(test_plain_numbers_bare),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
