/*
 * test_ndjson.c - the NDJSON splitter: lines, blanks, CRLF, limits, and
 * segments that put the body back together byte for byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "intake/ndjson.h"
#include "base/strbuf.h"

/* The segments, in order, are the body. */
static void
assert_segments_cover(const char *body, const struct ndjson_line *l,
    size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < n; i++)
		strbuf_add(&sb, body + l[i].seg_off, l[i].seg_len);
	assert_int_equal(sb.len, strlen(body));
	assert_memory_equal(sb.buf, body, sb.len);
	strbuf_release(&sb);
}

/* body split with the usual limits: expect lines whose segments are the
 * body; the lines (caller frees). */
static struct ndjson_line *
split_ok(const char *body, size_t expect)
{
	struct ndjson_line *l;
	size_t n, bad = 99;

	assert_int_equal(ndjson_split(body, strlen(body), 100, 1000, &l, &n,
	    &bad), 0);
	assert_int_equal(n, expect);
	return l;
}

static void
test_basic(void **state)
{
	const char *body = "{\"id\":1}\n{\"id\":2}\n{\"id\":3}";
	struct ndjson_line *l;

	(void)state;
	l = split_ok(body, 3);
	assert_int_equal(l[0].off, 0);
	assert_int_equal(l[0].len, 8);
	assert_int_equal(l[1].off, 9);
	assert_int_equal(l[2].off, 18);
	assert_int_equal(l[2].len, 8);	/* no final newline */
	assert_int_equal(l[2].lineno, 3);
	free(l);
}

static void
test_blank_and_crlf(void **state)
{
	const char *body = "\n  \r\n{\"a\":1}\r\n\r\n\t\n{\"b\":2}\r\n \n";
	struct ndjson_line *l;

	(void)state;
	l = split_ok(body, 2);
	/* the JSON text excludes the CR; the segments keep every byte */
	assert_int_equal(l[0].len, 7);
	assert_memory_equal(body + l[0].off, "{\"a\":1}", 7);
	assert_int_equal(l[0].lineno, 3);
	assert_int_equal(l[0].seg_off, 0);
	assert_int_equal(l[1].lineno, 6);
	assert_memory_equal(body + l[1].off, "{\"b\":2}", 7);
	free(l);
}

static void
test_single(void **state)
{
	struct ndjson_line *l;

	(void)state;
	l = split_ok("{}\n", 1);
	assert_int_equal(l[0].len, 2);
	assert_int_equal(l[0].seg_len, 3);
	free(l);
	/* a line may have blanks around its JSON; they are the parser's */
	l = split_ok("  {} \n", 1);
	assert_int_equal(l[0].off, 0);
	assert_int_equal(l[0].len, 5);
	free(l);
}

static void
test_refused(void **state)
{
	struct ndjson_line *l = (struct ndjson_line *)1;
	size_t n = 7, bad = 0;
	const char nul[] = "{}\n{\"a\":\0}\n";

	(void)state;
	assert_int_equal(ndjson_split("", 0, 10, 100, &l, &n, &bad),
	    TALLY_EDATA);
	assert_null(l);
	assert_int_equal(n, 0);
	assert_int_equal(ndjson_split("\n \r\n\t", 5, 10, 100, &l, &n, &bad),
	    TALLY_EDATA);
	assert_int_equal(bad, 0);
	assert_int_equal(ndjson_split(nul, sizeof(nul) - 1, 10, 100, &l, &n,
	    &bad), TALLY_EDATA);
	/* too many lines: the first one past the limit is named */
	assert_int_equal(ndjson_split("{}\n{}\n\n{}\n", 10, 2, 100, &l, &n,
	    &bad), TALLY_ERANGE);
	assert_int_equal(bad, 4);
	assert_null(l);
	/* a line too long, CR not counted */
	assert_int_equal(ndjson_split("{}\r\n{\"abc\":1}\n",
	    strlen("{}\r\n{\"abc\":1}\n"), 10, 8, &l, &n, &bad), TALLY_ERANGE);
	assert_int_equal(bad, 2);
	assert_int_equal(ndjson_split("{\"ab\":1}\r\n", 10, 10, 8, &l, &n,
	    &bad), 0);
	free(l);
}

static void
test_many(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct ndjson_line *l;
	size_t n, bad;

	(void)state;
	for (int i = 0; i < 5000; i++)
		strbuf_addf(&sb, "{\"id\":\"e%d\"}%s", i, i % 3 ? "\n" : "\r\n\n");
	assert_int_equal(ndjson_split(sb.buf, sb.len, 5000, 100, &l, &n, &bad),
	    0);
	assert_int_equal(n, 5000);
	assert_memory_equal(sb.buf + l[4999].off, "{\"id\":\"e4999\"}", 14);
	assert_segments_cover(sb.buf, l, n);
	free(l);
	assert_int_equal(ndjson_split(sb.buf, sb.len, 4999, 100, &l, &n, &bad),
	    TALLY_ERANGE);
	strbuf_release(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_blank_and_crlf),
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
