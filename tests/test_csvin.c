/*
 * test_csvin.c - the CSV reader: header lookup, line numbers, and every
 * malformed input it must refuse with the line named.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/csvin.h"
#include "base/err.h"
#include "base/strbuf.h"

#define MAXREC 64

/* What the callback saw: each record as "line|field1|field2..." */
struct seen {
	char *rec[MAXREC];
	size_t n;
	const char *lookup;	/* a column to fetch by name, or NULL */
	char *looked[MAXREC];
	int stop_at;		/* return TALLY_EREFUSED at this index (1-based) */
	unsigned long count;
};

static int
collect(const struct csvin_record *rec, void *arg)
{
	struct seen *s = arg;
	struct strbuf sb = STRBUF_INIT;

	s->count++;
	if (s->stop_at != 0 && (int)csvin_index(rec) == s->stop_at)
		return TALLY_EREFUSED;
	if (s->n >= MAXREC)
		return 0;
	strbuf_addf(&sb, "%lu", csvin_line(rec));
	for (size_t i = 0; i < csvin_nfields(rec); i++)
		strbuf_addf(&sb, "|%s", csvin_field(rec, i));
	if (s->lookup != NULL) {
		const char *v = csvin_get(rec, s->lookup);

		s->looked[s->n] = xstrdup(v != NULL ? v : "(absent)");
	}
	s->rec[s->n++] = strbuf_detach(&sb, NULL);
	return 0;
}

static void
seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->rec[i]);
		free(s->looked[i]);
	}
	memset(s, 0, sizeof(*s));
}

static int
parse(const char *text, const struct csvin_options *opt, struct seen *s,
    struct strbuf *err)
{
	return csvin_read_mem(text, strlen(text), "in.csv", opt, collect, s, err);
}

static void
test_basic_lookup(void **state)
{
	struct seen s = { .lookup = "EMAIL" };
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(parse("email,note\na@x.io,first\nb@x.io,\n", NULL, &s,
	    &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.rec[0], "2|a@x.io|first");
	assert_string_equal(s.rec[1], "3|b@x.io|");
	/* header names match case-insensitively */
	assert_string_equal(s.looked[0], "a@x.io");
	assert_string_equal(s.looked[1], "b@x.io");
	assert_string_equal(strbuf_str(&err), "");
	seen_free(&s);
	strbuf_release(&err);
}

static void
test_absent_column(void **state)
{
	struct seen s = { .lookup = "max_seats" };

	(void)state;
	assert_int_equal(parse("email\na@x.io\n", NULL, &s, NULL), 0);
	assert_string_equal(s.looked[0], "(absent)");
	seen_free(&s);
}

static void
test_bom_crlf(void **state)
{
	struct seen s = { .lookup = "email" };

	(void)state;
	/* Excel's "CSV UTF-8": BOM before the first header name, CRLF */
	assert_int_equal(parse("\xef\xbb\xbf" "email,note\r\na@x.io,n1\r\n"
	    "b@x.io,n2\r\n", NULL, &s, NULL), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.looked[0], "a@x.io");
	assert_string_equal(s.rec[0], "2|a@x.io|n1");
	assert_string_equal(s.rec[1], "3|b@x.io|n2");
	seen_free(&s);
}

static void
test_quoted(void **state)
{
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(parse("email,note\n"
	    "a@x.io,\"Smith, John\"\n"
	    "b@x.io,\"two\nlines\r\nhere\"\n"
	    "c@x.io,\"say \"\"hi\"\"\"\n"
	    "\"d@x.io\",\"  kept  \"\n", NULL, &s, NULL), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.rec[0], "2|a@x.io|Smith, John");
	/* the record starts on line 3 and spans three lines */
	assert_string_equal(s.rec[1], "3|b@x.io|two\nlines\r\nhere");
	assert_string_equal(s.rec[2], "6|c@x.io|say \"hi\"");
	assert_string_equal(s.rec[3], "7|d@x.io|  kept  ");
	seen_free(&s);
}

static void
test_multiline_first_field(void **state)
{
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(parse("a,b\n\"x\ny\nz\",1\n2,3\n", NULL, &s, NULL), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.rec[0], "2|x\ny\nz|1");
	assert_string_equal(s.rec[1], "5|2|3");
	seen_free(&s);
}

static void
test_blank_lines_and_trim(void **state)
{
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(parse("\n\nemail , note\n\na@x.io ,  n1 \n   \n\t\n"
	    "b@x.io,n2\n\n", NULL, &s, NULL), 0);
	assert_int_equal(s.n, 2);
	/* blank lines are skipped but still counted */
	assert_string_equal(s.rec[0], "5|a@x.io|n1");
	assert_string_equal(s.rec[1], "8|b@x.io|n2");
	seen_free(&s);
}

static void
test_no_final_newline(void **state)
{
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(parse("a,b\n1,2\n3,4", NULL, &s, NULL), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.rec[1], "3|3|4");
	seen_free(&s);
}

static void
test_lone_cr(void **state)
{
	struct seen s = { 0 };

	(void)state;
	/* old Mac line ends: records end at CR; lines are counted by LF */
	assert_int_equal(parse("a,b\r1,2\r3,4\r", NULL, &s, NULL), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.rec[0], "1|1|2");
	assert_string_equal(s.rec[1], "1|3|4");
	seen_free(&s);
}

static void
test_header_only_and_empty(void **state)
{
	struct seen s = { 0 };
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(parse("email,note\n", NULL, &s, &err), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(parse("", NULL, &s, &err), TALLY_EDATA);
	assert_string_equal(strbuf_str(&err), "in.csv:1: empty file: no header line\n");
	strbuf_reset(&err);
	assert_int_equal(parse("\xef\xbb\xbf\n\n", NULL, &s, &err), TALLY_EDATA);
	assert_non_null(strstr(strbuf_str(&err), "no header"));
	seen_free(&s);
	strbuf_release(&err);
}

static void
test_bad_quote(void **state)
{
	struct seen s = { 0 };
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(parse("a,b\n1,2\n3,x\"y\n5,6\n", NULL, &s, &err),
	    TALLY_EDATA);
	assert_string_equal(strbuf_str(&err),
	    "in.csv:3: malformed quoting (a quote inside an unquoted field, "
	    "or text after a closing quote)\n");
	/* records before the error were delivered, none after */
	assert_int_equal(s.n, 1);
	seen_free(&s);
	strbuf_reset(&err);

	assert_int_equal(parse("a,b\n\"1\"x,2\n", NULL, &s, &err), TALLY_EDATA);
	assert_non_null(strstr(strbuf_str(&err), "in.csv:2: malformed quoting"));
	seen_free(&s);
	strbuf_release(&err);
}

static void
test_unterminated(void **state)
{
	struct seen s = { 0 };
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(parse("a,b\n1,2\n3,\"open\nmore\nlines\n", NULL, &s,
	    &err), TALLY_EDATA);
	assert_string_equal(strbuf_str(&err), "in.csv:3: unterminated quoted field\n");
	seen_free(&s);
	strbuf_release(&err);
}

static void
test_width(void **state)
{
	struct seen s = { 0 };
	struct strbuf err = STRBUF_INIT;
	struct csvin_options opt = { .allow_short = true };

	(void)state;
	assert_int_equal(parse("a,b,c\n1,2,3\n4,5\n", NULL, &s, &err), TALLY_EDATA);
	assert_string_equal(strbuf_str(&err), "in.csv:3: 2 fields, the header has 3\n");
	seen_free(&s);
	strbuf_reset(&err);
	assert_int_equal(parse("a,b\n1,2,3\n", NULL, &s, &err), TALLY_EDATA);
	assert_string_equal(strbuf_str(&err), "in.csv:2: 3 fields, the header has 2\n");
	seen_free(&s);
	strbuf_reset(&err);
	/* allow_short pads missing trailing fields, never accepts extra ones */
	assert_int_equal(parse("a,b,c\n4,5\n", &opt, &s, &err), 0);
	assert_string_equal(s.rec[0], "2|4|5|");
	seen_free(&s);
	assert_int_equal(parse("a,b\n1,2,3\n", &opt, &s, &err), TALLY_EDATA);
	seen_free(&s);
	strbuf_release(&err);
}

static void
test_header_checks(void **state)
{
	static const char *const required[] = { "email", NULL };
	static const char *const allowed[] = { "note", "max_seats", "status", NULL };
	struct csvin_options opt = { .required = required };
	struct csvin_options strict = { .required = required, .allowed = allowed };
	struct seen s = { 0 };
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(parse("note\nx\n", &opt, &s, &err), TALLY_EDATA);
	assert_string_equal(strbuf_str(&err),
	    "in.csv:1: missing column \"email\" in the header\n");
	strbuf_reset(&err);
	assert_int_equal(parse("email,note,Email\n", &opt, &s, &err), TALLY_EDATA);
	assert_string_equal(strbuf_str(&err),
	    "in.csv:1: duplicate column \"Email\" in the header\n");
	strbuf_reset(&err);
	assert_int_equal(parse("email,emial\n", &strict, &s, &err), TALLY_EDATA);
	assert_string_equal(strbuf_str(&err),
	    "in.csv:1: unknown column \"emial\" in the header\n");
	strbuf_reset(&err);
	/* extra columns pass when no allowed list is given */
	assert_int_equal(parse("email,whatever\na@x.io,1\n", &opt, &s, &err), 0);
	assert_int_equal(s.n, 1);
	seen_free(&s);
	strbuf_release(&err);
}

static void
test_limits(void **state)
{
	struct csvin_options opt = { .max_field = 8, .max_fields = 3 };
	struct seen s = { 0 };
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(parse("a,b\n12345678,x\n123456789,y\n", &opt, &s, &err),
	    TALLY_EDATA);
	assert_string_equal(strbuf_str(&err),
	    "in.csv:3: a: field longer than 8 bytes\n");
	assert_int_equal(s.n, 1);
	seen_free(&s);
	strbuf_reset(&err);
	assert_int_equal(parse("a,b,c,d\n", &opt, &s, &err), TALLY_EDATA);
	assert_string_equal(strbuf_str(&err), "in.csv:1: more than 3 fields\n");
	seen_free(&s);
	strbuf_release(&err);
}

static void
test_endless_field(void **state)
{
	/* a quote that never closes over 1 MB: refused while reading, not
	 * after buffering everything */
	size_t n = 1 << 20;
	char *big = xmalloc(n + 16);
	struct csvin_options opt = { .max_field = 1000 };
	struct seen s = { 0 };
	struct strbuf err = STRBUF_INIT;

	(void)state;
	memcpy(big, "a\n\"", 3);
	memset(big + 3, 'x', n);
	assert_int_equal(csvin_read_mem(big, n + 3, "big.csv", &opt, collect, &s,
	    &err), TALLY_EDATA);
	assert_string_equal(strbuf_str(&err),
	    "big.csv:2: field longer than 1000 bytes\n");
	free(big);
	seen_free(&s);
	strbuf_release(&err);
}

static void
test_encoding(void **state)
{
	static const char nul[] = "a\nx\0y\n";
	struct seen s = { 0 };
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(parse("a,b\n\xc3\xa9t\xc3\xa9,\xe6\x97\xa5\n", NULL, &s,
	    &err), 0);
	assert_string_equal(s.rec[0], "2|\xc3\xa9t\xc3\xa9|\xe6\x97\xa5");
	seen_free(&s);
	/* Latin-1 "é" is not UTF-8 */
	assert_int_equal(parse("a,b\nok,caf\xe9\n", NULL, &s, &err), TALLY_EDATA);
	assert_string_equal(strbuf_str(&err), "in.csv:2: b: not valid UTF-8\n");
	strbuf_reset(&err);
	/* overlong encoding of '/' */
	assert_int_equal(parse("a\n\xc0\xaf\n", NULL, &s, &err), TALLY_EDATA);
	strbuf_reset(&err);
	assert_int_equal(csvin_read_mem(nul, sizeof(nul) - 1, "in.csv", NULL,
	    collect, &s, &err), TALLY_EDATA);
	assert_string_equal(strbuf_str(&err), "in.csv:2: a: NUL byte in field\n");
	seen_free(&s);
	strbuf_release(&err);
}

static void
test_callback_stops(void **state)
{
	struct seen s = { .stop_at = 2 };

	(void)state;
	assert_int_equal(parse("a\n1\n2\n3\n4\n", NULL, &s, NULL), TALLY_EREFUSED);
	/* nothing after the record that stopped it */
	assert_int_equal(s.count, 2);
	seen_free(&s);
}

static void
test_delimiter(void **state)
{
	struct csvin_options opt = { .delim = ';' };
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(parse("a;b\n1,5;\"x;y\"\n", &opt, &s, NULL), 0);
	assert_string_equal(s.rec[0], "2|1,5|x;y");
	seen_free(&s);
}

static int
errf_cb(const struct csvin_record *rec, void *arg)
{
	csvin_errf(arg, rec, "max_seats", "not a number: \"%s\"", csvin_get(rec, "a"));
	csvin_errf(arg, rec, NULL, "whole record");
	return 0;
}

static void
test_errf_format(void **state)
{
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(csvin_read_mem("a\n\nx\n", 5, "f.csv", NULL, errf_cb,
	    &err, NULL), 0);
	assert_string_equal(strbuf_str(&err),
	    "f.csv:3: max_seats: not a number: \"x\"\nf.csv:3: whole record\n");
	strbuf_release(&err);
}

static void
test_stream_chunks(void **state)
{
	/* 20000 records (several 64 KiB reads), BOM, CRLF, every 7th record
	 * spanning two lines across read boundaries */
	FILE *fp = tmpfile();
	struct seen s = { 0 };
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_non_null(fp);
	fputs("\xef\xbb\xbfid,text\r\n", fp);
	for (int i = 1; i <= 20000; i++) {
		if (i % 7 == 0)
			fprintf(fp, "%d,\"multi\r\nline %d\"\r\n", i, i);
		else
			fprintf(fp, "%d,plain %d\r\n", i, i);
	}
	rewind(fp);
	assert_int_equal(csvin_read_stream(fp, "stream", NULL, collect, &s,
	    &err), 0);
	fclose(fp);
	assert_int_equal(s.count, 20000);
	assert_string_equal(s.rec[6], "8|7|multi\r\nline 7");
	assert_string_equal(s.rec[7], "10|8|plain 8");
	assert_string_equal(strbuf_str(&err), "");
	seen_free(&s);
	strbuf_release(&err);
}

static unsigned long line_of_last;

static int
last_line_cb(const struct csvin_record *rec, void *arg)
{
	(void)arg;
	line_of_last = csvin_line(rec);
	return 0;
}

static void
test_stream_line_numbers(void **state)
{
	FILE *fp = tmpfile();
	unsigned long line = 2, last = 0;

	(void)state;
	fputs("id,text\n", fp);
	for (int i = 1; i <= 30000; i++) {
		last = line;
		if (i % 5 == 0) {
			fprintf(fp, "%d,\"a\nb\nc\"\n\n", i);
			line += 4;
		} else {
			fprintf(fp, "%d,text text text text\n", i);
			line++;
		}
	}
	rewind(fp);
	assert_int_equal(csvin_read_stream(fp, "s", NULL, last_line_cb, NULL, NULL), 0);
	fclose(fp);
	assert_int_equal(line_of_last, last);
}

static void
test_missing_file(void **state)
{
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(csvin_read_file("/nonexistent/x.csv", NULL, last_line_cb,
	    NULL, &err), TALLY_EMISSING);
	assert_non_null(strstr(strbuf_str(&err), "/nonexistent/x.csv: cannot open"));
	strbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_lookup),
		cmocka_unit_test(test_absent_column),
		cmocka_unit_test(test_bom_crlf),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_multiline_first_field),
		cmocka_unit_test(test_blank_lines_and_trim),
		cmocka_unit_test(test_no_final_newline),
		cmocka_unit_test(test_lone_cr),
		cmocka_unit_test(test_header_only_and_empty),
		cmocka_unit_test(test_bad_quote),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_header_checks),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_endless_field),
		cmocka_unit_test(test_encoding),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_delimiter),
		cmocka_unit_test(test_errf_format),
		cmocka_unit_test(test_stream_chunks),
		cmocka_unit_test(test_stream_line_numbers),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
