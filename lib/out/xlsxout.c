/*
 * xlsxout.c - the workbook, its formats, table sheets and their cells (see
 * xlsxout.h).  Printing and charts are xlsxout_print.c, free pages
 * xlsxout_page.c, serial dates xlsxout_time.c.
 */
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "base/err.h"
#include "base/money.h"
#include "base/strbuf.h"
#include "out/xlsxout.h"
#include "out/xlsxout_int.h"

#define NUMFMT_DATE "yyyy-mm-dd"
#define NUMFMT_DATETIME "yyyy-mm-dd hh:mm:ss"

int
xlsxout_fail(struct xlsxout *x, int code, const char *what, lxw_error e)
{
	strbuf_reset(&x->err);
	if (e != LXW_NO_ERROR)
		strbuf_addf(&x->err, "%s: %s", what, lxw_strerror(e));
	else
		strbuf_addstr(&x->err, what);
	return code;
}

const char *
xlsxout_keep(struct xlsxout *x, char *s)
{
	x->names = xrealloc(x->names, (x->nnames + 1) * sizeof(*x->names));
	x->names[x->nnames++] = s;
	return s;
}

lxw_format *
xlsxout_fmt(struct xlsxout *x, const char *numfmt, unsigned flags)
{
	struct fmt_entry *e;
	lxw_format *f;

	if (numfmt == NULL && flags == 0)
		return NULL;
	for (size_t i = 0; i < x->nfmts; i++) {
		e = &x->fmts[i];
		if (e->flags == flags && (e->numfmt == NULL ? numfmt == NULL :
		    numfmt != NULL && strcmp(e->numfmt, numfmt) == 0))
			return e->f;
	}
	f = workbook_add_format(x->wb);
	if (numfmt != NULL)
		format_set_num_format(f, numfmt);
	if (flags & (F_BOLD | F_TITLE | F_SUBTITLE | F_BANNER | F_HEADING))
		format_set_bold(f);
	if (flags & F_ITALIC)
		format_set_italic(f);
	if (flags & F_TOP)
		format_set_top(f, LXW_BORDER_THIN);
	if (flags & F_HEADING)
		format_set_bottom(f, LXW_BORDER_THIN);
	if (flags & F_TITLE)
		format_set_font_size(f, 16);
	if (flags & F_SUBTITLE)
		format_set_font_size(f, 12);
	if (flags & F_BANNER) {
		format_set_font_color(f, LXW_COLOR_WHITE);
		format_set_bg_color(f, 0xC00000);
	}
	x->fmts = xrealloc(x->fmts, (x->nfmts + 1) * sizeof(*x->fmts));
	e = &x->fmts[x->nfmts++];
	e->numfmt = numfmt != NULL ? xstrdup(numfmt) : NULL;
	e->flags = flags;
	e->f = f;
	return f;
}

const char *
xlsxout_money_numfmt(const char *currency, char buf[64], int *decimals)
{
	char code[4];
	int exp;

	*decimals = -1;
	if (currency == NULL || strlen(currency) != 3)
		return NULL;
	for (size_t i = 0; i < 3; i++) {
		if (!isalpha((unsigned char)currency[i]))
			return NULL;
		code[i] = (char)toupper((unsigned char)currency[i]);
	}
	code[3] = '\0';
	exp = money_exponent(code);
	if (exp < 0)
		return NULL;
	if (exp == 0)
		snprintf(buf, 64, "#,##0 \"%s\"", code);
	else
		snprintf(buf, 64, "#,##0.%.*s \"%s\"", exp, "0000", code);
	*decimals = exp;
	return buf;
}

int
xlsxout_open(struct xlsxout **out, const char *path, const char *tmpdir,
    time_t created)
{
	struct xlsxout *x;
	lxw_workbook_options opt;
	lxw_doc_properties props;

	*out = NULL;
	x = xcalloc(1, sizeof(*x));
	strbuf_init(&x->err);
	strbuf_init(&x->cut);
	x->sheet_rows = EXCEL_MAX_ROWS;
	memset(&opt, 0, sizeof(opt));
	/* always: flat memory for any row count; rows arrive in order */
	opt.constant_memory = LXW_TRUE;
	opt.tmpdir = (char *)(uintptr_t)tmpdir;
	/* no zip64: older Excel complains, and 4 GiB of XML per sheet is far
	 * beyond a million rows of report columns */
	opt.use_zip64 = LXW_FALSE;
	x->wb = workbook_new_opt(path, &opt);
	if (x->wb == NULL) {
		strbuf_release(&x->err);
		strbuf_release(&x->cut);
		free(x);
		return TALLY_EIO;
	}
	memset(&props, 0, sizeof(props));
	props.created = created;
	if (workbook_set_properties(x->wb, &props) != LXW_NO_ERROR) {
		xlsxout_abandon(x);
		return TALLY_ENOMEM;
	}
	*out = x;
	return 0;
}

void
xlsxout_set_sheet_rows(struct xlsxout *x, unsigned long rows)
{
	if (rows < 2 || rows > EXCEL_MAX_ROWS)
		rows = EXCEL_MAX_ROWS;
	x->sheet_rows = rows;
}

int
xlsxout_set_print(struct xlsxout *x, const struct xlsxout_print *p)
{
	/* Excel's limit for a header or footer, codes included */
	if ((p->header != NULL && strlen(p->header) > LXW_HEADER_FOOTER_MAX) ||
	    (p->footer != NULL && strlen(p->footer) > LXW_HEADER_FOOTER_MAX))
		return xlsxout_fail(x, TALLY_EDATA, "a page header or footer is "
		    "longer than 255 characters", LXW_NO_ERROR);
	free(x->print_header);
	free(x->print_footer);
	free(x->empty_text);
	x->print_header = p->header != NULL ? xstrdup(p->header) : NULL;
	x->print_footer = p->footer != NULL ? xstrdup(p->footer) : NULL;
	x->empty_text = p->empty != NULL ? xstrdup(p->empty) : NULL;
	return 0;
}

const char *
xlsxout_errmsg(const struct xlsxout *x)
{
	return strbuf_str(&x->err);
}

unsigned long long
xlsxout_truncated(const struct xlsxout *x)
{
	return x->truncated;
}

unsigned
xlsxout_utf8_width(const char *s, unsigned cap)
{
	unsigned n = 0;

	for (; *s != '\0' && n < cap; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* The title row (if any) and the header row, with their notes. */
static int
write_header(struct xlsxout_sheet *s)
{
	lxw_format *head = xlsxout_fmt(s->x, NULL, F_HEADING);
	lxw_row_t r = 0;
	lxw_error e;

	if (s->title != NULL) {
		e = worksheet_write_string(s->ws, 0, 0, s->title,
		    xlsxout_fmt(s->x, NULL, F_SUBTITLE));
		if (e != LXW_NO_ERROR)
			return xlsxout_fail(s->x, TALLY_EIO, "writing the title", e);
		r = 1;
	}
	for (size_t c = 0; c < s->ncols; c++) {
		e = worksheet_write_string(s->ws, r, (lxw_col_t)c,
		    s->cols[c].name, head);
		if (e == LXW_NO_ERROR && s->cols[c].note != NULL)
			e = worksheet_write_comment(s->ws, r, (lxw_col_t)c,
			    s->cols[c].note);
		if (e != LXW_NO_ERROR)
			return xlsxout_fail(s->x, TALLY_EIO, "writing a header cell",
			    e);
	}
	s->head = r + 1;
	worksheet_freeze_panes(s->ws, s->head, 0);
	s->row = s->head;
	return xlsxout_print_setup(s, s->ws);
}

static unsigned
digits(double v)
{
	unsigned n = 1;

	while (v >= 10.0 && n < 30) {
		v /= 10.0;
		n++;
	}
	return n;
}

/* How wide a column's typed content is, in characters. */
static unsigned
type_width(const struct col_state *c)
{
	unsigned d, w;

	switch (c->type) {
	case XLSXOUT_NUMBER:
		d = digits(c->maxabs);
		w = d + (c->negative ? 1 : 0) + (c->fraction ? 4 : 0);
		return w > 12 ? 12 : w;	/* General shows about 11 digits */
	case XLSXOUT_PERCENT:
		return digits(c->maxabs * 100.0) + 3 + (c->negative ? 1 : 0);
	case XLSXOUT_MONEY:
		d = digits(c->maxabs);
		return d + (d - 1) / 3 + (c->negative ? 1 : 0) +
		    (c->decimals > 0 ? (unsigned)c->decimals + 1 : 0) +
		    (c->coded ? 4 : 0);
	case XLSXOUT_DATE:
		return 10;
	case XLSXOUT_DATETIME:
		return c->offset ? 30 : 19;
	case XLSXOUT_BOOL:
		return 5;
	case XLSXOUT_TEXT:
		break;
	}
	return c->width;
}

static int
set_widths(struct xlsxout_sheet *s, lxw_worksheet *ws)
{
	unsigned w, cw;
	lxw_error e;

	for (size_t c = 0; c < s->ncols; c++) {
		/* the header also carries the autofilter's drop-down button */
		w = xlsxout_utf8_width(s->cols[c].name, XLSXOUT_MAX_WIDTH) + 3;
		cw = type_width(&s->cols[c]);
		if (s->cols[c].width > cw)	/* text in any column */
			cw = s->cols[c].width;
		if (cw > w)
			w = cw;
		w += 1;
		if (w > XLSXOUT_MAX_WIDTH)
			w = XLSXOUT_MAX_WIDTH;
		e = worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, w, NULL);
		if (e != LXW_NO_ERROR)
			return xlsxout_fail(s->x, TALLY_EIO, "setting a column width",
			    e);
		/* Excel's pixels for a width of w characters */
		if (!s->first_done)
			s->table_px += w * 7 + 5;
	}
	return 0;
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The heatmap: one colour scale over all its columns' data cells, so the
 * hottest cell of the sheet is the reddest.  Adjacent columns merge into
 * one range; the rest go into libxlsxwriter's multi_range.
 */
static int
apply_heatmap(struct xlsxout_sheet *s, lxw_worksheet *ws, lxw_row_t last)
{
	lxw_conditional_format cf;
	struct strbuf r = STRBUF_INIT;
	char range[64];
	size_t i = 0, j, first_lo = 0, first_hi = 0;
	const char *kept;
	lxw_error e;

	if (s->nheat == 0 || last < s->head)
		return 0;
	qsort(s->heat, s->nheat, sizeof(s->heat[0]), cmp_size);
	while (i < s->nheat) {
		j = i;
		while (j + 1 < s->nheat && s->heat[j + 1] <= s->heat[j] + 1)
			j++;
		lxw_rowcol_to_range(range, s->head, (lxw_col_t)s->heat[i], last,
		    (lxw_col_t)s->heat[j]);
		if (r.len == 0) {
			first_lo = s->heat[i];
			first_hi = s->heat[j];
		} else
			strbuf_addch(&r, ' ');
		strbuf_addstr(&r, range);
		i = j + 1;
	}
	memset(&cf, 0, sizeof(cf));
	cf.type = LXW_CONDITIONAL_2_COLOR_SCALE;
	cf.min_color = 0xFFFFFF;
	cf.max_color = 0xF8696B;
	/* kept until the workbook closes: whether libxlsxwriter copies
	 * multi_range or keeps the pointer, it stays valid */
	kept = xlsxout_keep(s->x, strbuf_detach(&r, NULL));
	if (strchr(kept, ' ') != NULL)
		cf.multi_range = (char *)(uintptr_t)kept;
	e = worksheet_conditional_format_range(ws, s->head, (lxw_col_t)first_lo,
	    last, (lxw_col_t)first_hi, &cf);
	if (e != LXW_NO_ERROR)
		return xlsxout_fail(s->x, TALLY_EIO, "adding the heatmap", e);
	return 0;
}

/* Autofilter, widths and heatmap of the part being written; the "nothing
 * here" line of a table without rows. */
static int
end_part(struct xlsxout_sheet *s)
{
	lxw_row_t last = s->row - 1;	/* last written row; head - 1: none */
	lxw_error e;
	int rc;

	e = worksheet_autofilter(s->ws, s->head - 1, 0, last,
	    (lxw_col_t)(s->ncols - 1));
	if (e != LXW_NO_ERROR)
		return xlsxout_fail(s->x, TALLY_EIO, "adding the autofilter", e);
	if ((rc = set_widths(s, s->ws)) != 0)
		return rc;
	if ((rc = apply_heatmap(s, s->ws, last)) != 0)
		return rc;
	if (!s->first_done) {
		s->first_rows = last + 1 - s->head;
		s->first_used = s->row;
		s->first_done = true;
		if (s->first_rows == 0 && s->x->empty_text != NULL) {
			e = worksheet_write_string(s->ws, s->row, 0,
			    s->x->empty_text, xlsxout_fmt(s->x, NULL, F_ITALIC));
			if (e != LXW_NO_ERROR)
				return xlsxout_fail(s->x, TALLY_EIO,
				    "writing the empty sheet's line", e);
			s->first_used = s->row + 1;
		}
	}
	return 0;
}

/* Bytes of the first max characters of a UTF-8 string. */
static size_t
prefix_chars(const char *s, size_t max)
{
	size_t i = 0, n = 0;

	while (s[i] != '\0') {
		if (((unsigned char)s[i] & 0xC0) != 0x80 && n++ == max)
			break;
		i++;
	}
	return i;
}

/* Another part once the current one is full: "NAME (2)", "NAME (3)"... */
static int
start_part(struct xlsxout_sheet *s)
{
	struct xlsxout *x = s->x;
	struct strbuf name = STRBUF_INIT;
	const char *kept;
	char suffix[24];
	size_t keep;
	int rc;

	if ((rc = end_part(s)) != 0)
		return rc;
	s->part++;
	snprintf(suffix, sizeof(suffix), " (%u)", s->part);
	/* cut the base name at a character boundary so the whole fits */
	keep = prefix_chars(s->name, LXW_SHEETNAME_MAX - strlen(suffix));
	while (keep > 0 && s->name[keep - 1] == ' ')
		keep--;
	strbuf_add(&name, s->name, keep);
	strbuf_addstr(&name, suffix);
	kept = xlsxout_keep(x, strbuf_detach(&name, NULL));
	if (workbook_validate_sheet_name(x->wb, kept) != LXW_NO_ERROR)
		return xlsxout_fail(x, TALLY_EDATA,
		    "continuation sheet name is taken", LXW_NO_ERROR);
	s->ws = workbook_add_worksheet(x->wb, kept);
	if (s->ws == NULL)
		return xlsxout_fail(x, TALLY_EIO, "adding a continuation sheet",
		    LXW_NO_ERROR);
	s->need_part = false;
	return write_header(s);
}

static int
end_sheet(struct xlsxout_sheet *s)
{
	int rc;

	s->x->open = NULL;
	if (s->page)
		return 0;
	if ((rc = end_part(s)) != 0)
		return rc;
	return xlsxout_place_charts(s);
}

/* A sheet of the workbook's list, before its first row. */
int
xlsxout_new_sheet(struct xlsxout *x, struct xlsxout_sheet **out, const char *name,
    size_t ncols)
{
	struct xlsxout_sheet *s;
	lxw_error e;
	int rc;

	*out = NULL;
	if (ncols == 0 || ncols > 16384)
		return xlsxout_fail(x, TALLY_EDATA, "a sheet has 1 to 16384 columns",
		    LXW_NO_ERROR);
	if (x->open != NULL && (rc = end_sheet(x->open)) != 0)
		return rc;
	e = workbook_validate_sheet_name(x->wb, name);
	if (e != LXW_NO_ERROR) {
		strbuf_reset(&x->err);
		strbuf_addf(&x->err, "sheet name \"%s\": %s", name,
		    lxw_strerror(e));
		return TALLY_EDATA;
	}
	s = xcalloc(1, sizeof(*s));
	s->x = x;
	s->name = xstrdup(name);
	s->ncols = ncols;
	s->cols = xcalloc(ncols, sizeof(*s->cols));
	s->next = x->sheets;
	x->sheets = s;
	s->part = 1;
	s->ws = workbook_add_worksheet(x->wb, s->name);
	if (s->ws == NULL)
		return xlsxout_fail(x, TALLY_EIO, "adding a sheet", LXW_NO_ERROR);
	s->first = s->ws;
	x->open = s;
	*out = s;
	return 0;
}

int
xlsxout_sheet_add_opts(struct xlsxout *x, struct xlsxout_sheet **out,
    const char *name, const struct xlsxout_column *cols, size_t ncols,
    const struct xlsxout_sheet_opts *opts)
{
	struct xlsxout_sheet *s;
	int rc;

	*out = NULL;
	if ((rc = xlsxout_new_sheet(x, &s, name, ncols)) != 0)
		return rc;
	for (size_t c = 0; c < ncols; c++) {
		s->cols[c].name = xstrdup(cols[c].name);
		s->cols[c].type = cols[c].type;
		if (cols[c].note != NULL && cols[c].note[0] != '\0')
			s->cols[c].note = xstrdup(cols[c].note);
	}
	s->written = xcalloc(ncols, 1);
	if (opts != NULL && opts->title != NULL)
		s->title = xstrdup(opts->title);
	if ((rc = write_header(s)) != 0)
		return rc;
	*out = s;
	return 0;
}

int
xlsxout_sheet_add(struct xlsxout *x, struct xlsxout_sheet **out,
    const char *name, const struct xlsxout_column *cols, size_t ncols)
{
	return xlsxout_sheet_add_opts(x, out, name, cols, ncols, NULL);
}

/* Common checks before a cell: the column exists, has this type, and a
 * full part is continued on the next sheet. */
int
xlsxout_cell(struct xlsxout_sheet *s, size_t col, enum xlsxout_type t1,
    enum xlsxout_type t2)
{
	if (s->x->open != s)
		return xlsxout_fail(s->x, TALLY_EINTERNAL,
		    "write to a sheet that ended", LXW_NO_ERROR);
	if (col >= s->ncols || (!s->page && s->cols[col].type != t1 &&
	    s->cols[col].type != t2))
		return xlsxout_fail(s->x, TALLY_EINTERNAL,
		    "cell of the wrong type or column", LXW_NO_ERROR);
	if (s->need_part)
		return start_part(s);
	return 0;
}

/* The format of a data cell: its number format, bold under a rule in a
 * total row (and the column marked as written there). */
static lxw_format *
cell_fmt(struct xlsxout_sheet *s, size_t col, const char *numfmt)
{
	if (!s->total)
		return xlsxout_fmt(s->x, numfmt, 0);
	s->written[col] = 1;
	return xlsxout_fmt(s->x, numfmt, F_BOLD | F_TOP);
}

int
xlsxout_written(struct xlsxout_sheet *s, lxw_error e)
{
	if (e != LXW_NO_ERROR)
		return xlsxout_fail(s->x, TALLY_EIO, "writing a cell", e);
	return 0;
}

/* A text cell with the given format, cut at Excel's limit. */
int
xlsxout_put_text(struct xlsxout_sheet *s, size_t col, const char *text,
    lxw_format *f)
{
	struct xlsxout *x = s->x;
	struct col_state *c = &s->cols[col];
	const char *p;
	size_t n, chars;

	if (c->width < XLSXOUT_MAX_WIDTH) {
		unsigned w = xlsxout_utf8_width(text, XLSXOUT_MAX_WIDTH);

		if (w > c->width)
			c->width = w;
	}
	n = strlen(text);
	if (n > EXCEL_MAX_TEXT) {
		/* bytes exceed the limit: count characters, cut at one */
		for (p = text, chars = 0; *p != '\0'; p++) {
			if (((unsigned char)*p & 0xC0) != 0x80 &&
			    ++chars > EXCEL_MAX_TEXT)
				break;
		}
		if (*p != '\0') {
			strbuf_reset(&x->cut);
			strbuf_add(&x->cut, text, (size_t)(p - text));
			x->truncated++;
			return xlsxout_written(s, worksheet_write_string(s->ws, s->row,
			    (lxw_col_t)col, strbuf_str(&x->cut), f));
		}
	}
	return xlsxout_written(s, worksheet_write_string(s->ws, s->row, (lxw_col_t)col,
	    text, f));
}

/* Any column takes text: text is also how a value its type cannot hold
 * in Excel (NaN, a date before 1900) is shown, and any cell takes a
 * note. */
static int
text_cell(struct xlsxout_sheet *s, size_t col)
{
	return xlsxout_cell(s, col, s->cols[col < s->ncols ? col : 0].type,
	    XLSXOUT_TEXT);
}

int
xlsxout_text(struct xlsxout_sheet *s, size_t col, const char *text)
{
	int rc;

	if ((rc = text_cell(s, col)) != 0)
		return rc;
	return xlsxout_put_text(s, col, text, cell_fmt(s, col, NULL));
}

/* A number cell in the number format numfmt (NULL: General). */
static int
put_number(struct xlsxout_sheet *s, size_t col, double v, const char *numfmt)
{
	return xlsxout_written(s, worksheet_write_number(s->ws, s->row,
	    (lxw_col_t)col, v, cell_fmt(s, col, numfmt)));
}

static void
track_number(struct col_state *c, double v)
{
	double a = fabs(v);

	if (a > c->maxabs && isfinite(a))
		c->maxabs = a;
	if (v < 0)
		c->negative = true;
	if (!c->fraction && a != floor(a))
		c->fraction = true;
}

int
xlsxout_number(struct xlsxout_sheet *s, size_t col, double v)
{
	int rc;

	if ((rc = xlsxout_cell(s, col, XLSXOUT_NUMBER, XLSXOUT_PERCENT)) != 0)
		return rc;
	if (!isfinite(v))
		return xlsxout_fail(s->x, TALLY_EDATA,
		    "a number that is not finite", LXW_NO_ERROR);
	track_number(&s->cols[col], v);
	return put_number(s, col, v, s->cols[col].type == XLSXOUT_PERCENT ?
	    NUMFMT_PERCENT : NULL);
}

int
xlsxout_money(struct xlsxout_sheet *s, size_t col, double v,
    const char *currency)
{
	struct col_state *c;
	const char *numfmt;
	char buf[64];
	int dec, rc;

	if ((rc = xlsxout_cell(s, col, XLSXOUT_MONEY, XLSXOUT_MONEY)) != 0)
		return rc;
	if (!isfinite(v))
		return xlsxout_fail(s->x, TALLY_EDATA,
		    "an amount that is not finite", LXW_NO_ERROR);
	c = &s->cols[col];
	track_number(c, v);
	numfmt = xlsxout_money_numfmt(currency, buf, &dec);
	if (numfmt != NULL) {
		c->coded = true;
		if (dec > c->decimals)
			c->decimals = dec;
	} else if (c->fraction && c->decimals < 4)
		c->decimals = 4;
	return put_number(s, col, v, numfmt);
}

int
xlsxout_bool(struct xlsxout_sheet *s, size_t col, bool v)
{
	int rc;

	if ((rc = xlsxout_cell(s, col, XLSXOUT_BOOL, XLSXOUT_BOOL)) != 0)
		return rc;
	return xlsxout_written(s, worksheet_write_boolean(s->ws, s->row, (lxw_col_t)col,
	    v ? 1 : 0, cell_fmt(s, col, NULL)));
}

int
xlsxout_serial(struct xlsxout_sheet *s, size_t col, double serial)
{
	int rc;

	if ((rc = xlsxout_cell(s, col, XLSXOUT_DATE, XLSXOUT_DATETIME)) != 0)
		return rc;
	return put_number(s, col, serial, s->cols[col].type == XLSXOUT_DATE ?
	    NUMFMT_DATE : NUMFMT_DATETIME);
}

int
xlsxout_serial_offset(struct xlsxout_sheet *s, size_t col, double serial,
    const char *offset)
{
	char numfmt[64];
	int rc;

	if ((rc = xlsxout_cell(s, col, XLSXOUT_DATETIME, XLSXOUT_DATETIME)) != 0)
		return rc;
	if (strlen(offset) > 9 || strpbrk(offset, "\"\\") != NULL)
		return xlsxout_fail(s->x, TALLY_EDATA, "a malformed UTC offset",
		    LXW_NO_ERROR);
	snprintf(numfmt, sizeof(numfmt), NUMFMT_DATETIME " \"UTC%s\"", offset);
	s->cols[col].offset = true;
	return put_number(s, col, serial, numfmt);
}

int
xlsxout_note(struct xlsxout_sheet *s, size_t col, const char *text)
{
	int rc;

	if ((rc = text_cell(s, col)) != 0)
		return rc;
	return xlsxout_written(s, worksheet_write_comment(s->ws, s->row, (lxw_col_t)col,
	    text));
}

int
xlsxout_row_total(struct xlsxout_sheet *s)
{
	if (s->x->open != s || s->page)
		return xlsxout_fail(s->x, TALLY_EINTERNAL,
		    "a total row outside an open table", LXW_NO_ERROR);
	s->total = true;
	memset(s->written, 0, s->ncols);
	return 0;
}

int
xlsxout_end_row(struct xlsxout_sheet *s)
{
	lxw_format *f;
	int rc;

	if (s->x->open != s)
		return xlsxout_fail(s->x, TALLY_EINTERNAL,
		    "row end on a sheet that ended", LXW_NO_ERROR);
	if (s->need_part) {
		/* a row with no cells at all still needs its place */
		if ((rc = start_part(s)) != 0)
			return rc;
	}
	if (s->total) {
		/* the rule runs under the whole row, empty cells too */
		f = xlsxout_fmt(s->x, NULL, F_BOLD | F_TOP);
		for (size_t c = 0; c < s->ncols; c++)
			if (!s->written[c] && (rc = xlsxout_written(s,
			    worksheet_write_blank(s->ws, s->row, (lxw_col_t)c,
			    f))) != 0)
				return rc;
		s->total = false;
	}
	if (!s->page)
		s->rows++;
	s->row++;
	if (!s->page && s->row >= s->x->sheet_rows)
		s->need_part = true;
	return 0;
}

int
xlsxout_chart(struct xlsxout_sheet *s, enum xlsxout_chart_kind kind,
    size_t category, const size_t *values, size_t nvalues, const char *title)
{
	struct chart_spec *c;

	if (s->ncharts >= XLSXOUT_MAX_CHARTS)
		return xlsxout_fail(s->x, TALLY_EDATA,
		    "too many charts on one sheet", LXW_NO_ERROR);
	if (nvalues == 0 || (kind == XLSXOUT_CHART_PIE && nvalues != 1))
		return xlsxout_fail(s->x, TALLY_EDATA,
		    "a chart needs value columns (a pie exactly one)",
		    LXW_NO_ERROR);
	if (category >= s->ncols)
		return xlsxout_fail(s->x, TALLY_EDATA,
		    "chart category column out of range", LXW_NO_ERROR);
	for (size_t i = 0; i < nvalues; i++)
		if (values[i] >= s->ncols)
			return xlsxout_fail(s->x, TALLY_EDATA,
			    "chart value column out of range", LXW_NO_ERROR);
	c = &s->charts[s->ncharts++];
	c->kind = kind;
	c->category = category;
	c->values = xmalloc(nvalues * sizeof(*values));
	memcpy(c->values, values, nvalues * sizeof(*values));
	c->nvalues = nvalues;
	c->title = title != NULL ? xstrdup(title) : NULL;
	return 0;
}

int
xlsxout_chart_dashed(struct xlsxout_sheet *s, const size_t *values,
    size_t nvalues)
{
	struct chart_spec *c;

	if (s->ncharts == 0 ||
	    s->charts[s->ncharts - 1].kind != XLSXOUT_CHART_LINE)
		return xlsxout_fail(s->x, TALLY_EDATA,
		    "dashed series belong to a line chart", LXW_NO_ERROR);
	c = &s->charts[s->ncharts - 1];
	for (size_t i = 0; i < nvalues; i++)
		if (values[i] >= s->ncols)
			return xlsxout_fail(s->x, TALLY_EDATA,
			    "chart value column out of range", LXW_NO_ERROR);
	c->dashed = xrealloc(c->dashed, (c->ndashed + nvalues) *
	    sizeof(*values));
	memcpy(c->dashed + c->ndashed, values, nvalues * sizeof(*values));
	c->ndashed += nvalues;
	return 0;
}

int
xlsxout_heatmap(struct xlsxout_sheet *s, const size_t *cols, size_t ncols)
{
	for (size_t i = 0; i < ncols; i++)
		if (cols[i] >= s->ncols)
			return xlsxout_fail(s->x, TALLY_EDATA,
			    "heatmap column out of range", LXW_NO_ERROR);
	s->heat = xrealloc(s->heat, (s->nheat + ncols) * sizeof(*s->heat));
	memcpy(s->heat + s->nheat, cols, ncols * sizeof(*cols));
	s->nheat += ncols;
	return 0;
}

unsigned long long
xlsxout_sheet_rows(const struct xlsxout_sheet *s)
{
	return s->rows;
}

static void
free_all(struct xlsxout *x)
{
	struct xlsxout_sheet *s, *next;

	for (s = x->sheets; s != NULL; s = next) {
		next = s->next;
		for (size_t c = 0; c < s->ncols; c++) {
			free(s->cols[c].name);
			free(s->cols[c].note);
		}
		free(s->cols);
		for (size_t i = 0; i < s->ncharts; i++) {
			free(s->charts[i].values);
			free(s->charts[i].dashed);
			free(s->charts[i].title);
		}
		free(s->written);
		free(s->heat);
		free(s->name);
		free(s->title);
		free(s);
	}
	for (size_t i = 0; i < x->nnames; i++)
		free(x->names[i]);
	free(x->names);
	for (size_t i = 0; i < x->nfmts; i++)
		free(x->fmts[i].numfmt);
	free(x->fmts);
	free(x->print_header);
	free(x->print_footer);
	free(x->empty_text);
	strbuf_release(&x->err);
	strbuf_release(&x->cut);
	free(x);
}

int
xlsxout_close(struct xlsxout *x)
{
	lxw_error e;
	int rc = 0;

	if (x->open != NULL && (rc = end_sheet(x->open)) != 0) {
		xlsxout_abandon(x);
		return rc;
	}
	/* a workbook needs a sheet; an empty report still opens */
	if (x->sheets == NULL && workbook_add_worksheet(x->wb, NULL) == NULL)
		rc = TALLY_EIO;
	e = workbook_close(x->wb);
	if (e != LXW_NO_ERROR)
		rc = TALLY_EIO;
	free_all(x);
	return rc;
}

void
xlsxout_abandon(struct xlsxout *x)
{
	if (x == NULL)
		return;
	lxw_workbook_free(x->wb);
	free_all(x);
}
