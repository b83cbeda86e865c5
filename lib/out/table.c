/*
 * table.c - aligned text, CSV and JSON output of rows.
 *
 * One writer per format works on a "view" (cell, name and type accessors),
 * so a PGresult is printed without copying it and a hand-built table goes
 * through the same code.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/csvout.h"
#include "base/err.h"
#include "base/strbuf.h"
#include "out/table.h"

struct table {
	size_t ncols;
	char **names;
	enum table_type *types;
	char **cells;		/* nrows * ncols, row-major; NULL is SQL NULL */
	size_t nrows;
	size_t cap;
};

struct view {
	size_t ncols;
	size_t nrows;
	const struct table *t;
	const PGresult *res;
	int row0;		/* first row of res (table_write_record) */
};

/* PostgreSQL type oids (catalog/pg_type.dat), stable since forever */
enum {
	OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23,
	OID_OID = 26, OID_JSON = 114, OID_FLOAT4 = 700, OID_FLOAT8 = 701,
	OID_NUMERIC = 1700, OID_JSONB = 3802
};

const char *
table_json_type_for_oid(Oid oid)
{
	switch (oid) {
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		return "integer";
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return "decimal";
	case OID_BOOL:
		return "boolean";
	case OID_JSON:
	case OID_JSONB:
		return "json";
	default:
		return "text";
	}
}

enum table_type
table_type_for_oid(Oid oid)
{
	switch (oid) {
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return TABLE_NUMBER;
	case OID_BOOL:
		return TABLE_BOOL;
	case OID_JSON:
	case OID_JSONB:
		return TABLE_JSONV;
	default:
		return TABLE_STRING;
	}
}

struct table *
table_new(size_t ncols)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	t->names = xcalloc(ncols, sizeof(char *));
	t->types = xcalloc(ncols, sizeof(enum table_type));
	for (size_t i = 0; i < ncols; i++)
		t->names[i] = xstrdup("");
	return t;
}

void
table_set_column(struct table *t, size_t col, const char *name,
    enum table_type type)
{
	if (col >= t->ncols)
		return;
	free(t->names[col]);
	t->names[col] = xstrdup(name);
	t->types[col] = type;
}

void
table_add_row(struct table *t, const char *const *cells)
{
	char **row;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof(char *));
	}
	row = t->cells + t->nrows * t->ncols;
	for (size_t i = 0; i < t->ncols; i++)
		row[i] = cells[i] != NULL ? xstrdup(cells[i]) : NULL;
	t->nrows++;
}

size_t
table_rows(const struct table *t)
{
	return t->nrows;
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	for (size_t i = 0; i < t->ncols; i++)
		free(t->names[i]);
	free(t->cells);
	free(t->names);
	free(t->types);
	free(t);
}

static const char *
v_cell(const struct view *v, size_t r, size_t c)
{
	if (v->t != NULL)
		return v->t->cells[((size_t)v->row0 + r) * v->ncols + c];
	if (PQgetisnull(v->res, v->row0 + (int)r, (int)c))
		return NULL;
	return PQgetvalue(v->res, v->row0 + (int)r, (int)c);
}

static const char *
v_name(const struct view *v, size_t c)
{
	return v->t != NULL ? v->t->names[c] : PQfname(v->res, (int)c);
}

static enum table_type
v_type(const struct view *v, size_t c)
{
	return v->t != NULL ? v->t->types[c] :
	    table_type_for_oid(PQftype(v->res, (int)c));
}

/* --- UTF-8 and display width ----------------------------------------- */

/* Decode one UTF-8 sequence at s; *cp = U+FFFD and 1 byte for bad input. */
static size_t
utf8_next(const unsigned char *s, uint32_t *cp)
{
	size_t k;
	uint32_t c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		k = 1;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 2;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 3;
		c &= 0x07;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	for (size_t i = 1; i <= k; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*cp = c;
	return k + 1;
}

/* Columns a code point takes on a terminal: the usual wide and
 * zero-width ranges, without depending on the process locale. */
static size_t
cp_width(uint32_t c)
{
	if ((c >= 0x0300 && c <= 0x036f) || (c >= 0x200b && c <= 0x200f) ||
	    (c >= 0xfe00 && c <= 0xfe0f))
		return 0;
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

size_t
table_display_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	while (*p != '\0') {
		uint32_t cp;

		p += utf8_next(p, &cp);
		w += cp_width(cp);
	}
	return w;
}

/* A cell as the text table shows it: control characters (C0, DEL, C1)
 * spelled out, so data cannot move the cursor or inject escapes. */
static void
text_cell(struct strbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	strbuf_reset(out);
	if (s == NULL)
		return;
	while (*p != '\0') {
		uint32_t cp;
		size_t n = utf8_next(p, &cp);

		if (cp == '\n')
			strbuf_addstr(out, "\\n");
		else if (cp == '\t')
			strbuf_addstr(out, "\\t");
		else if (cp == '\r')
			strbuf_addstr(out, "\\r");
		else if (cp < 0x20 || cp == 0x7f)
			strbuf_addf(out, "\\x%02x", (unsigned)cp);
		else if (cp >= 0x80 && cp <= 0x9f)
			strbuf_addf(out, "\\u%04x", (unsigned)cp);
		else
			strbuf_add(out, p, n);
		p += n;
	}
}

static void
pad(FILE *fp, size_t n)
{
	while (n-- > 0)
		fputc(' ', fp);
}

static int
finish_write(FILE *fp)
{
	if (fflush(fp) != 0 || ferror(fp))
		return TALLY_EIO;
	return 0;
}

static int
write_text(const struct view *v, FILE *fp)
{
	struct strbuf cell = STRBUF_INIT;
	size_t *w = xcalloc(v->ncols ? v->ncols : 1, sizeof(size_t));

	for (size_t c = 0; c < v->ncols; c++) {
		text_cell(&cell, v_name(v, c));
		w[c] = table_display_width(strbuf_str(&cell));
		for (size_t r = 0; r < v->nrows; r++) {
			size_t cw;

			text_cell(&cell, v_cell(v, r, c));
			cw = table_display_width(strbuf_str(&cell));
			if (cw > w[c])
				w[c] = cw;
		}
	}
	for (size_t c = 0; c < v->ncols; c++) {
		text_cell(&cell, v_name(v, c));
		fputs(strbuf_str(&cell), fp);
		if (c + 1 < v->ncols)
			pad(fp, w[c] - table_display_width(strbuf_str(&cell)) + 2);
	}
	fputc('\n', fp);
	for (size_t c = 0; c < v->ncols; c++) {
		for (size_t i = 0; i < w[c]; i++)
			fputc('-', fp);
		if (c + 1 < v->ncols)
			pad(fp, 2);
	}
	fputc('\n', fp);
	for (size_t r = 0; r < v->nrows; r++) {
		for (size_t c = 0; c < v->ncols; c++) {
			size_t cw;
			bool last = c + 1 == v->ncols;

			text_cell(&cell, v_cell(v, r, c));
			cw = table_display_width(strbuf_str(&cell));
			if (v_type(v, c) == TABLE_NUMBER) {
				pad(fp, w[c] - cw);
				fputs(strbuf_str(&cell), fp);
				if (!last)
					pad(fp, 2);
			} else {
				fputs(strbuf_str(&cell), fp);
				if (!last)
					pad(fp, w[c] - cw + 2);
			}
		}
		fputc('\n', fp);
	}
	fprintf(fp, "(%zu row%s)\n", v->nrows, v->nrows == 1 ? "" : "s");
	strbuf_release(&cell);
	free(w);
	return finish_write(fp);
}

/* --- CSV --------------------------------------------------------------- */

/*
 * Through csvout, so tallyctl's CSV follows the same rules as the reports':
 * text always quoted and neutralised against formulas, numbers and
 * booleans bare, SQL NULL an empty unquoted cell (distinct from "").
 */
static void
csv_value(struct csvout *co, const char *s, enum table_type type)
{
	if (s == NULL)
		csvout_null(co);
	else if (type == TABLE_NUMBER)
		csvout_plain(co, s, strlen(s));
	else if (type == TABLE_BOOL && (strcmp(s, "t") == 0 || strcmp(s, "true") == 0))
		csvout_plain(co, "true", 4);
	else if (type == TABLE_BOOL && (strcmp(s, "f") == 0 || strcmp(s, "false") == 0))
		csvout_plain(co, "false", 5);
	else
		csvout_text(co, s, strlen(s));
}

static int
write_csv(const struct view *v, FILE *fp)
{
	struct csvout co;

	csvout_init(&co, fp);
	for (size_t c = 0; c < v->ncols; c++)
		csvout_text(&co, v_name(v, c), strlen(v_name(v, c)));
	csvout_end_row(&co);
	for (size_t r = 0; r < v->nrows; r++) {
		for (size_t c = 0; c < v->ncols; c++)
			csv_value(&co, v_cell(v, r, c), v_type(v, c));
		csvout_end_row(&co);
	}
	return csvout_finish(&co) != 0 ? TALLY_EIO : 0;
}

/* --- JSON -------------------------------------------------------------- */

static void
jtext_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(fp, "\\u%04x", *p);
			else
				fputc(*p, fp);
		}
	}
	fputc('"', fp);
}

/* RFC 8259 number grammar: PostgreSQL's NaN and Infinity are not numbers. */
static bool
jtext_number_ok(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return false;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

static void
jtext_value(FILE *fp, const char *s, enum table_type type)
{
	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	switch (type) {
	case TABLE_NUMBER:
		if (jtext_number_ok(s))
			fputs(s, fp);
		else
			jtext_string(fp, s);
		return;
	case TABLE_BOOL:
		if (strcmp(s, "t") == 0 || strcmp(s, "true") == 0)
			fputs("true", fp);
		else if (strcmp(s, "f") == 0 || strcmp(s, "false") == 0)
			fputs("false", fp);
		else
			jtext_string(fp, s);
		return;
	case TABLE_JSONV:
		fputs(s, fp);
		return;
	case TABLE_STRING:
		jtext_string(fp, s);
		return;
	}
}

static void
jtext_object(const struct view *v, size_t r, FILE *fp)
{
	fputc('{', fp);
	for (size_t c = 0; c < v->ncols; c++) {
		if (c > 0)
			fputc(',', fp);
		jtext_string(fp, v_name(v, c));
		fputc(':', fp);
		jtext_value(fp, v_cell(v, r, c), v_type(v, c));
	}
	fputc('}', fp);
}

static int
jtext_write(const struct view *v, FILE *fp)
{
	fputc('[', fp);
	for (size_t r = 0; r < v->nrows; r++) {
		fputs(r == 0 ? "\n" : ",\n", fp);
		jtext_object(v, r, fp);
	}
	fputs(v->nrows > 0 ? "\n]\n" : "]\n", fp);
	return finish_write(fp);
}

static int
write_view(const struct view *v, FILE *fp, enum table_format fmt)
{
	switch (fmt) {
	case TABLE_TEXT:
		return write_text(v, fp);
	case TABLE_CSV:
		return write_csv(v, fp);
	case TABLE_JSON:
		return jtext_write(v, fp);
	}
	return TALLY_EINTERNAL;
}

int
table_write(const struct table *t, FILE *fp, enum table_format fmt)
{
	struct view v = { t->ncols, t->nrows, t, NULL, 0 };

	return write_view(&v, fp, fmt);
}

static size_t
clamp_cols(const PGresult *res, int ncols)
{
	int n = PQnfields(res);

	return (size_t)(ncols > 0 && ncols < n ? ncols : n);
}

int
table_write_result(const PGresult *res, FILE *fp, enum table_format fmt)
{
	return table_write_columns(res, 0, fp, fmt);
}

int
table_write_columns(const PGresult *res, int ncols, FILE *fp,
    enum table_format fmt)
{
	struct view v = { clamp_cols(res, ncols), (size_t)PQntuples(res), NULL,
	    res, 0 };

	return write_view(&v, fp, fmt);
}

/* One record (row v->row0) vertically; see table_write_record(). */
static int
write_record(const struct view *v, FILE *fp, enum table_format fmt)
{
	struct strbuf cell = STRBUF_INIT;
	size_t w = 0;

	if (fmt == TABLE_CSV)
		return write_csv(v, fp);
	if (fmt == TABLE_JSON) {
		jtext_object(v, 0, fp);
		fputc('\n', fp);
		return finish_write(fp);
	}
	for (size_t c = 0; c < v->ncols; c++) {
		size_t nw;

		text_cell(&cell, v_name(v, c));
		nw = table_display_width(strbuf_str(&cell));
		if (nw > w)
			w = nw;
	}
	for (size_t c = 0; c < v->ncols; c++) {
		text_cell(&cell, v_name(v, c));
		fputs(strbuf_str(&cell), fp);
		pad(fp, w - table_display_width(strbuf_str(&cell)) + 2);
		text_cell(&cell, v_cell(v, 0, c));
		fputs(strbuf_str(&cell), fp);
		fputc('\n', fp);
	}
	strbuf_release(&cell);
	return finish_write(fp);
}

int
table_write_record(const PGresult *res, int row, int ncols, FILE *fp,
    enum table_format fmt)
{
	struct view v = { clamp_cols(res, ncols), 1, NULL, res, row };

	if (row < 0 || row >= PQntuples(res))
		return TALLY_EINTERNAL;
	return write_record(&v, fp, fmt);
}

int
table_write_row(const struct table *t, size_t row, FILE *fp,
    enum table_format fmt)
{
	struct view v = { t->ncols, 1, t, NULL, (int)row };

	if (row >= t->nrows)
		return TALLY_EINTERNAL;
	return write_record(&v, fp, fmt);
}

int
table_format_parse(const char *s, enum table_format *fmt)
{
	if (strcmp(s, "text") == 0)
		*fmt = TABLE_TEXT;
	else if (strcmp(s, "csv") == 0)
		*fmt = TABLE_CSV;
	else if (strcmp(s, "json") == 0)
		*fmt = TABLE_JSON;
	else
		return TALLY_EUSAGE;
	return 0;
}
