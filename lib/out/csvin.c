/*
 * csvin.c - streaming CSV reader on libcsv with header-name lookup and line
 * numbers.
 *
 * libcsv reports a field when it ends and a record when its terminator is
 * seen, never where a record began; a quoted field may span lines.  To name
 * the line a record starts on, the input is fed to libcsv one physical line
 * at a time, and before each line we look at the parser's state: when it is
 * between records (ROW_NOT_BEGUN), whatever record comes next starts on this
 * line.  struct csv_parser is public in <csv.h>, and pstate 0 is libcsv's
 * ROW_NOT_BEGUN (libcsv.c), stable across its 3.x releases.
 */
#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/csvin.h"
#include "base/err.h"
#include "base/strbuf.h"

#define CSVIN_ROW_NOT_BEGUN 0	/* libcsv.c: ROW_NOT_BEGUN */
#define CSVIN_CHUNK 65536	/* bytes fed per csv_parse() call at most */

struct csvin_record {
	const char *source;
	char **fields;
	size_t nfields;
	char **header;
	size_t nheader;
	unsigned long line;
	unsigned long index;
};

struct reader {
	struct csv_parser p;
	size_t max_field;
	size_t max_fields;
	const struct csvin_options *opt;
	const char *source;
	csvin_record_fn fn;
	void *arg;
	struct strbuf *err;

	char **fields;		/* the record being assembled */
	size_t nfields;
	char **header;
	size_t nheader;
	bool have_header;

	unsigned long line;	/* physical line being fed, 1-based */
	unsigned long rec_start;	/* line where the current record began */
	unsigned long nrec;	/* records after the header */
	bool at_start;		/* no byte fed yet: a BOM may follow */
	int rc;			/* first failure; stops the reading */
};

static const struct csvin_options default_options;

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
name_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
			return false;
	return *a == *b;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else
			return false;
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

static void
fail(struct reader *r, unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
fail(struct reader *r, unsigned long line, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	if (r->rc != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->err != NULL)
		strbuf_addf(r->err, "%s:%lu: %s\n", r->source, line, msg);
	r->rc = TALLY_EDATA;
}

static void
free_fields(struct reader *r)
{
	for (size_t i = 0; i < r->nfields; i++)
		free(r->fields[i]);
	r->nfields = 0;
}

/* The header name of column i, for messages; "column N" past the header. */
static void
column_name(const struct reader *r, size_t i, char *buf, size_t bufsz)
{
	if (r->have_header && i < r->nheader && r->header[i][0] != '\0')
		snprintf(buf, bufsz, "%s", r->header[i]);
	else
		snprintf(buf, bufsz, "column %zu", i + 1);
}

static void
on_field(void *data, size_t len, void *arg)
{
	struct reader *r = arg;
	char col[128];
	char *f;

	if (r->rc != 0)
		return;
	column_name(r, r->nfields, col, sizeof(col));
	if (r->nfields >= r->max_fields) {
		fail(r, r->rec_start, "more than %zu fields", r->max_fields);
		return;
	}
	if (len > r->max_field) {
		fail(r, r->rec_start, "%s: field longer than %zu bytes", col,
		    r->max_field);
		return;
	}
	if (len > 0 && memchr(data, '\0', len) != NULL) {
		fail(r, r->rec_start, "%s: NUL byte in field", col);
		return;
	}
	if (len > 0 && !utf8_valid(data, len)) {
		fail(r, r->rec_start, "%s: not valid UTF-8", col);
		return;
	}
	f = xmalloc(len + 1);
	if (len > 0)
		memcpy(f, data, len);
	f[len] = '\0';
	r->fields[r->nfields++] = f;
}

static bool
in_list(const char *const *list, const char *name)
{
	if (list == NULL)
		return false;
	for (; *list != NULL; list++)
		if (name_eq(*list, name))
			return true;
	return false;
}

static void
take_header(struct reader *r)
{
	const struct csvin_options *o = r->opt;

	r->header = r->fields;
	r->nheader = r->nfields;
	r->fields = xcalloc(r->max_fields, sizeof(char *));
	r->nfields = 0;
	r->have_header = true;

	for (size_t i = 0; i < r->nheader; i++) {
		if (r->header[i][0] == '\0')
			continue;
		for (size_t j = 0; j < i; j++)
			if (name_eq(r->header[i], r->header[j])) {
				fail(r, r->rec_start, "duplicate column \"%s\" in the header",
				    r->header[i]);
				return;
			}
		if (o->allowed != NULL && !in_list(o->required, r->header[i]) &&
		    !in_list(o->allowed, r->header[i])) {
			fail(r, r->rec_start, "unknown column \"%s\" in the header",
			    r->header[i]);
			return;
		}
	}
	for (const char *const *q = o->required; q != NULL && *q != NULL; q++) {
		bool found = false;

		for (size_t i = 0; i < r->nheader && !found; i++)
			found = name_eq(*q, r->header[i]);
		if (!found) {
			fail(r, r->rec_start, "missing column \"%s\" in the header", *q);
			return;
		}
	}
}

static void
on_record(int term, void *arg)
{
	struct reader *r = arg;
	struct csvin_record rec;
	int rc;

	(void)term;
	if (r->rc != 0)
		return;
	if (!r->have_header) {
		take_header(r);
		return;
	}
	if (r->nfields > r->nheader) {
		fail(r, r->rec_start, "%zu fields, the header has %zu", r->nfields,
		    r->nheader);
		return;
	}
	if (r->nfields < r->nheader) {
		if (!r->opt->allow_short) {
			fail(r, r->rec_start, "%zu fields, the header has %zu",
			    r->nfields, r->nheader);
			return;
		}
		while (r->nfields < r->nheader)
			r->fields[r->nfields++] = xstrdup("");
	}
	r->nrec++;
	rec.source = r->source;
	rec.fields = r->fields;
	rec.nfields = r->nfields;
	rec.header = r->header;
	rec.nheader = r->nheader;
	rec.line = r->rec_start;
	rec.index = r->nrec;
	rc = r->fn(&rec, r->arg);
	free_fields(r);
	if (rc != 0)
		r->rc = rc;
	/* a lone CR ends a record mid-line: the next one starts here too */
	r->rec_start = r->line;
}

static void
reader_init(struct reader *r, const char *source,
    const struct csvin_options *opt, csvin_record_fn fn, void *arg,
    struct strbuf *err)
{
	memset(r, 0, sizeof(*r));
	r->opt = opt != NULL ? opt : &default_options;
	r->max_field = r->opt->max_field ? r->opt->max_field : CSVIN_DEFAULT_MAX_FIELD;
	r->max_fields = r->opt->max_fields ? r->opt->max_fields :
	    CSVIN_DEFAULT_MAX_FIELDS;
	r->source = source;
	r->fn = fn;
	r->arg = arg;
	r->err = err;
	r->fields = xcalloc(r->max_fields, sizeof(char *));
	r->line = 1;
	r->rec_start = 1;
	r->at_start = true;
}

static void
reader_release(struct reader *r)
{
	free_fields(r);
	free(r->fields);
	for (size_t i = 0; i < r->nheader; i++)
		free(r->header[i]);
	free(r->header);
}

/* Feed one piece that holds at most one '\n', at its end. */
static void
feed_piece(struct reader *r, const unsigned char *s, size_t n)
{
	size_t used;

	if (r->p.pstate == CSVIN_ROW_NOT_BEGUN)
		r->rec_start = r->line;
	used = csv_parse(&r->p, s, n, on_field, on_record, r);
	if (r->rc != 0)
		return;
	if (used < n || csv_error(&r->p) != CSV_SUCCESS) {
		fail(r, r->line, "malformed quoting (a quote inside an unquoted "
		    "field, or text after a closing quote)");
		return;
	}
	/* The field being read is held whole by libcsv: bound it here, before
	 * it ends, so one endless field cannot take all memory. */
	if (csv_get_buffer_size(&r->p) > r->max_field + 4096) {
		fail(r, r->rec_start, "field longer than %zu bytes", r->max_field);
		return;
	}
	if (s[n - 1] == '\n')
		r->line++;
}

static void
feed(struct reader *r, const unsigned char *s, size_t n)
{
	if (r->at_start && n > 0) {
		r->at_start = false;
		if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
			s += 3;
			n -= 3;
		}
	}
	while (n > 0 && r->rc == 0) {
		const unsigned char *nl = memchr(s, '\n', n);
		size_t k = nl != NULL ? (size_t)(nl - s) + 1 : n;

		feed_piece(r, s, k);
		s += k;
		n -= k;
	}
}

static int
finish(struct reader *r)
{
	if (r->rc == 0 && csv_fini(&r->p, on_field, on_record, r) != 0)
		fail(r, r->rec_start, "unterminated quoted field");
	if (r->rc == 0 && !r->have_header)
		fail(r, r->line, "empty file: no header line");
	return r->rc;
}

static int
start(struct reader *r)
{
	unsigned char opts = CSV_STRICT | CSV_STRICT_FINI;

	if (csv_init(&r->p, opts) != 0)
		return TALLY_ENOMEM;
	if (r->opt->delim != 0)
		csv_set_delim(&r->p, r->opt->delim);
	return 0;
}

int
csvin_read_mem(const void *data, size_t len, const char *name,
    const struct csvin_options *opt, csvin_record_fn fn, void *arg,
    struct strbuf *err)
{
	struct reader r;
	const unsigned char *s = data;
	int rc;

	reader_init(&r, name, opt, fn, arg, err);
	if ((rc = start(&r)) != 0) {
		reader_release(&r);
		return rc;
	}
	/* pieces of at most CSVIN_CHUNK keep the field-size bound effective */
	while (len > 0 && r.rc == 0) {
		size_t k = len < CSVIN_CHUNK ? len : CSVIN_CHUNK;

		feed(&r, s, k);
		s += k;
		len -= k;
	}
	rc = finish(&r);
	csv_free(&r.p);
	reader_release(&r);
	return rc;
}

int
csvin_read_stream(FILE *fp, const char *name, const struct csvin_options *opt,
    csvin_record_fn fn, void *arg, struct strbuf *err)
{
	struct reader r;
	unsigned char *buf;
	size_t n;
	int rc;

	reader_init(&r, name, opt, fn, arg, err);
	if ((rc = start(&r)) != 0) {
		reader_release(&r);
		return rc;
	}
	buf = xmalloc(CSVIN_CHUNK);
	while (r.rc == 0 && (n = fread(buf, 1, CSVIN_CHUNK, fp)) > 0)
		feed(&r, buf, n);
	if (r.rc == 0 && ferror(fp)) {
		if (err != NULL)
			strbuf_addf(err, "%s:%lu: read error: %s\n", name, r.line,
			    strerror(errno));
		r.rc = TALLY_EIO;
	}
	rc = finish(&r);
	free(buf);
	csv_free(&r.p);
	reader_release(&r);
	return rc;
}

int
csvin_read_file(const char *path, const struct csvin_options *opt,
    csvin_record_fn fn, void *arg, struct strbuf *err)
{
	FILE *fp;
	int rc;

	if (strcmp(path, "-") == 0)
		return csvin_read_stream(stdin, "-", opt, fn, arg, err);
	fp = fopen(path, "rb");
	if (fp == NULL) {
		if (err != NULL)
			strbuf_addf(err, "%s: cannot open: %s\n", path, strerror(errno));
		return TALLY_EMISSING;
	}
	rc = csvin_read_stream(fp, path, opt, fn, arg, err);
	fclose(fp);
	return rc;
}

const char *
csvin_get(const struct csvin_record *rec, const char *name)
{
	if (name == NULL || name[0] == '\0')
		return NULL;
	for (size_t i = 0; i < rec->nheader; i++)
		if (name_eq(rec->header[i], name))
			return i < rec->nfields ? rec->fields[i] : "";
	return NULL;
}

const char *
csvin_field(const struct csvin_record *rec, size_t i)
{
	return i < rec->nfields ? rec->fields[i] : NULL;
}

size_t
csvin_nfields(const struct csvin_record *rec)
{
	return rec->nfields;
}

const char *
csvin_header(const struct csvin_record *rec, size_t i)
{
	return i < rec->nheader ? rec->header[i] : NULL;
}

unsigned long
csvin_line(const struct csvin_record *rec)
{
	return rec->line;
}

unsigned long
csvin_index(const struct csvin_record *rec)
{
	return rec->index;
}

const char *
csvin_source(const struct csvin_record *rec)
{
	return rec->source;
}

void
csvin_errf(struct strbuf *err, const struct csvin_record *rec,
    const char *field, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (field != NULL)
		strbuf_addf(err, "%s:%lu: %s: %s\n", rec->source, rec->line, field,
		    msg);
	else
		strbuf_addf(err, "%s:%lu: %s\n", rec->source, rec->line, msg);
}
