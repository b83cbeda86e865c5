#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "base/err.h"
#include "base/money.h"
#include "base/period.h"
#include "base/strbuf.h"
#include "out/xlsxout.h"

#define EXCEL_MAX_ROWS 1048576UL
#define EXCEL_MAX_TEXT 32767	/* characters in one cell */
#define CHART_ROWS 16		/* rows one chart covers, for stacking */

struct money_format {
	char code[4];
	lxw_format *fmt;
	int decimals;
};

struct chart_spec {
	enum xlsxout_chart_kind kind;
	size_t category;
	size_t *values;
	size_t nvalues;
	char *title;
};

/* Per column: what is needed to size it once the data has gone by. */
struct col_state {
	char *name;
	enum xlsxout_type type;
	unsigned width;		/* characters: text, header */
	double maxabs;		/* numbers: largest magnitude */
	bool negative;
	bool fraction;
	int decimals;		/* money: most decimals seen */
	bool coded;		/* money: a currency code is shown */
};

struct xlsxout_sheet {
	struct xlsxout *x;
	char *name;		/* the first part's name: charts refer to it */
	lxw_worksheet *ws;	/* the part being written */
	lxw_worksheet *first;
	unsigned part;
	size_t ncols;
	struct col_state *cols;
	lxw_row_t row;		/* current row in the current part */
	bool need_part;		/* the current part is full */
	unsigned long long rows;	/* data rows, all parts */
	lxw_row_t first_rows;	/* data rows of the first part, once known */
	bool first_done;
	struct chart_spec charts[XLSXOUT_MAX_CHARTS];
	size_t ncharts;
	size_t *heat;
	size_t nheat;
	struct xlsxout_sheet *next;	/* the workbook's list */
};

struct xlsxout {
	lxw_workbook *wb;
	struct strbuf err;
	unsigned long sheet_rows;
	lxw_format *header;
	lxw_format *date;
	lxw_format *datetime;
	lxw_format *percent;
	struct money_format *money;
	size_t nmoney;
	struct xlsxout_sheet *sheets;	/* every sheet, freed on close */
	struct xlsxout_sheet *open;
	struct strbuf cut;	/* truncated text being written */
	unsigned long long truncated;
	char **names;		/* strings libxlsxwriter may point to (sheet
				 * names, heatmap ranges): kept until close */
	size_t nnames;
};

static int
fail(struct xlsxout *x, int code, const char *what, lxw_error e)
{
	strbuf_reset(&x->err);
	if (e != LXW_NO_ERROR)
		strbuf_addf(&x->err, "%s: %s", what, lxw_strerror(e));
	else
		strbuf_addstr(&x->err, what);
	return code;
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
	x->header = workbook_add_format(x->wb);
	format_set_bold(x->header);
	x->date = workbook_add_format(x->wb);
	format_set_num_format(x->date, "yyyy-mm-dd");
	x->datetime = workbook_add_format(x->wb);
	format_set_num_format(x->datetime, "yyyy-mm-dd hh:mm:ss");
	x->percent = workbook_add_format(x->wb);
	format_set_num_format(x->percent, "0.0%");
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

/* Characters in a UTF-8 string, counting no further than cap. */
static unsigned
utf8_width(const char *s, unsigned cap)
{
	unsigned n = 0;

	for (; *s != '\0' && n < cap; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static int
write_header(struct xlsxout_sheet *s)
{
	lxw_error e;

	for (size_t c = 0; c < s->ncols; c++) {
		e = worksheet_write_string(s->ws, 0, (lxw_col_t)c,
		    s->cols[c].name, s->x->header);
		if (e != LXW_NO_ERROR)
			return fail(s->x, TALLY_EIO, "writing a header cell", e);
	}
	worksheet_freeze_panes(s->ws, 1, 0);
	s->row = 1;
	return 0;
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
		return 19;
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
		w = utf8_width(s->cols[c].name, XLSXOUT_MAX_WIDTH) + 3;
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
			return fail(s->x, TALLY_EIO, "setting a column width", e);
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
	lxw_error e;

	if (s->nheat == 0 || last < 1)
		return 0;
	qsort(s->heat, s->nheat, sizeof(s->heat[0]), cmp_size);
	while (i < s->nheat) {
		j = i;
		while (j + 1 < s->nheat && s->heat[j + 1] <= s->heat[j] + 1)
			j++;
		lxw_rowcol_to_range(range, 1, (lxw_col_t)s->heat[i], last,
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
	s->x->names = xrealloc(s->x->names, (s->x->nnames + 1) *
	    sizeof(*s->x->names));
	s->x->names[s->x->nnames] = strbuf_detach(&r, NULL);
	if (strchr(s->x->names[s->x->nnames], ' ') != NULL)
		cf.multi_range = s->x->names[s->x->nnames];
	s->x->nnames++;
	e = worksheet_conditional_format_range(ws, 1, (lxw_col_t)first_lo, last,
	    (lxw_col_t)first_hi, &cf);
	if (e != LXW_NO_ERROR)
		return fail(s->x, TALLY_EIO, "adding the heatmap", e);
	return 0;
}

/* Autofilter, widths and heatmap of the part being written. */
static int
end_part(struct xlsxout_sheet *s)
{
	lxw_row_t last = s->row - 1;	/* last written row; 0 = header only */
	lxw_error e;
	int rc;

	e = worksheet_autofilter(s->ws, 0, 0, last, (lxw_col_t)(s->ncols - 1));
	if (e != LXW_NO_ERROR)
		return fail(s->x, TALLY_EIO, "adding the autofilter", e);
	if ((rc = set_widths(s, s->ws)) != 0)
		return rc;
	if ((rc = apply_heatmap(s, s->ws, last)) != 0)
		return rc;
	if (!s->first_done) {
		s->first_rows = last;
		s->first_done = true;
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
	x->names = xrealloc(x->names, (x->nnames + 1) * sizeof(*x->names));
	x->names[x->nnames++] = strbuf_detach(&name, NULL);
	if (workbook_validate_sheet_name(x->wb, x->names[x->nnames - 1]) !=
	    LXW_NO_ERROR)
		return fail(x, TALLY_EDATA, "continuation sheet name is taken",
		    LXW_NO_ERROR);
	s->ws = workbook_add_worksheet(x->wb, x->names[x->nnames - 1]);
	if (s->ws == NULL)
		return fail(x, TALLY_EIO, "adding a continuation sheet",
		    LXW_NO_ERROR);
	s->need_part = false;
	return write_header(s);
}

static int
end_sheet(struct xlsxout_sheet *s)
{
	struct xlsxout *x = s->x;
	lxw_chart *chart;
	lxw_chart_series *series;
	static const uint8_t kinds[] = {
		[XLSXOUT_CHART_LINE] = LXW_CHART_LINE,
		[XLSXOUT_CHART_COLUMN] = LXW_CHART_COLUMN,
		[XLSXOUT_CHART_PIE] = LXW_CHART_PIE,
	};
	lxw_error e;
	int rc;

	if ((rc = end_part(s)) != 0)
		return rc;
	x->open = NULL;
	if (s->first_rows == 0)
		return 0;
	for (size_t i = 0; i < s->ncharts; i++) {
		struct chart_spec *c = &s->charts[i];

		chart = workbook_add_chart(x->wb, kinds[c->kind]);
		if (chart == NULL)
			return fail(x, TALLY_ENOMEM, "adding a chart", LXW_NO_ERROR);
		for (size_t v = 0; v < c->nvalues; v++) {
			series = chart_add_series(chart, NULL, NULL);
			if (series == NULL)
				return fail(x, TALLY_ENOMEM, "adding a series",
				    LXW_NO_ERROR);
			chart_series_set_categories(series, s->name, 1,
			    (lxw_col_t)c->category, s->first_rows,
			    (lxw_col_t)c->category);
			chart_series_set_values(series, s->name, 1,
			    (lxw_col_t)c->values[v], s->first_rows,
			    (lxw_col_t)c->values[v]);
			chart_series_set_name_range(series, s->name, 0,
			    (lxw_col_t)c->values[v]);
		}
		if (c->title != NULL)
			chart_title_set_name(chart, c->title);
		if (c->kind != XLSXOUT_CHART_PIE) {
			chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
			if (s->cols[c->category].type == XLSXOUT_DATE)
				chart_axis_set_num_format(chart->x_axis,
				    "yyyy-mm-dd");
			else if (s->cols[c->category].type == XLSXOUT_DATETIME)
				chart_axis_set_num_format(chart->x_axis,
				    "yyyy-mm-dd hh:mm");
		}
		e = worksheet_insert_chart(s->first, (lxw_row_t)(1 + CHART_ROWS * i),
		    (lxw_col_t)(s->ncols + 1), chart);
		if (e != LXW_NO_ERROR)
			return fail(x, TALLY_EIO, "placing a chart", e);
	}
	return 0;
}

int
xlsxout_sheet_add(struct xlsxout *x, struct xlsxout_sheet **out,
    const char *name, const struct xlsxout_column *cols, size_t ncols)
{
	struct xlsxout_sheet *s;
	lxw_error e;
	int rc;

	*out = NULL;
	if (ncols == 0 || ncols > 16384)
		return fail(x, TALLY_EDATA, "a sheet has 1 to 16384 columns",
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
	for (size_t c = 0; c < ncols; c++) {
		s->cols[c].name = xstrdup(cols[c].name);
		s->cols[c].type = cols[c].type;
	}
	s->next = x->sheets;
	x->sheets = s;
	s->part = 1;
	s->ws = workbook_add_worksheet(x->wb, s->name);
	if (s->ws == NULL)
		return fail(x, TALLY_EIO, "adding a sheet", LXW_NO_ERROR);
	s->first = s->ws;
	x->open = s;
	if ((rc = write_header(s)) != 0)
		return rc;
	*out = s;
	return 0;
}

/* Common checks before a cell: the column exists, has this type, and a
 * full part is continued on the next sheet. */
static int
cell(struct xlsxout_sheet *s, size_t col, enum xlsxout_type t1,
    enum xlsxout_type t2)
{
	if (s->x->open != s)
		return fail(s->x, TALLY_EINTERNAL, "write to a sheet that ended",
		    LXW_NO_ERROR);
	if (col >= s->ncols || (s->cols[col].type != t1 &&
	    s->cols[col].type != t2))
		return fail(s->x, TALLY_EINTERNAL, "cell of the wrong type or column",
		    LXW_NO_ERROR);
	if (s->need_part)
		return start_part(s);
	return 0;
}

static int
written(struct xlsxout_sheet *s, lxw_error e)
{
	if (e != LXW_NO_ERROR)
		return fail(s->x, TALLY_EIO, "writing a cell", e);
	return 0;
}

int
xlsxout_text(struct xlsxout_sheet *s, size_t col, const char *text)
{
	struct xlsxout *x = s->x;
	struct col_state *c;
	const char *p;
	size_t n, chars;
	int rc;

	/* any column: text is also how a value its type cannot hold in
	 * Excel (NaN, a date before 1900) is shown */
	if ((rc = cell(s, col, s->cols[col < s->ncols ? col : 0].type,
	    XLSXOUT_TEXT)) != 0)
		return rc;
	c = &s->cols[col];
	if (c->width < XLSXOUT_MAX_WIDTH) {
		unsigned w = utf8_width(text, XLSXOUT_MAX_WIDTH);

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
			return written(s, worksheet_write_string(s->ws, s->row,
			    (lxw_col_t)col, strbuf_str(&x->cut), NULL));
		}
	}
	return written(s, worksheet_write_string(s->ws, s->row, (lxw_col_t)col,
	    text, NULL));
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

	if ((rc = cell(s, col, XLSXOUT_NUMBER, XLSXOUT_PERCENT)) != 0)
		return rc;
	if (!isfinite(v))
		return fail(s->x, TALLY_EDATA, "a number that is not finite",
		    LXW_NO_ERROR);
	track_number(&s->cols[col], v);
	return written(s, worksheet_write_number(s->ws, s->row, (lxw_col_t)col,
	    v, s->cols[col].type == XLSXOUT_PERCENT ? s->x->percent : NULL));
}

/* The cell format for a currency, made once per code and workbook. */
static lxw_format *
money_format_for(struct xlsxout *x, const char *currency, int *decimals)
{
	char code[4];
	char fmt[64];
	int exp;
	size_t i;

	*decimals = -1;
	if (currency == NULL || strlen(currency) != 3)
		return NULL;
	for (i = 0; i < 3; i++) {
		if (!isalpha((unsigned char)currency[i]))
			return NULL;
		code[i] = (char)toupper((unsigned char)currency[i]);
	}
	code[3] = '\0';
	for (i = 0; i < x->nmoney; i++)
		if (memcmp(x->money[i].code, code, 4) == 0) {
			*decimals = x->money[i].decimals;
			return x->money[i].fmt;
		}
	exp = money_exponent(code);
	if (exp < 0)
		return NULL;
	if (exp == 0)
		snprintf(fmt, sizeof(fmt), "#,##0 \"%s\"", code);
	else
		snprintf(fmt, sizeof(fmt), "#,##0.%.*s \"%s\"", exp, "0000",
		    code);
	x->money = xrealloc(x->money, (x->nmoney + 1) * sizeof(*x->money));
	memcpy(x->money[x->nmoney].code, code, 4);
	x->money[x->nmoney].decimals = exp;
	x->money[x->nmoney].fmt = workbook_add_format(x->wb);
	format_set_num_format(x->money[x->nmoney].fmt, fmt);
	*decimals = exp;
	return x->money[x->nmoney++].fmt;
}

int
xlsxout_money(struct xlsxout_sheet *s, size_t col, double v,
    const char *currency)
{
	struct col_state *c;
	lxw_format *fmt;
	int dec, rc;

	if ((rc = cell(s, col, XLSXOUT_MONEY, XLSXOUT_MONEY)) != 0)
		return rc;
	if (!isfinite(v))
		return fail(s->x, TALLY_EDATA, "an amount that is not finite",
		    LXW_NO_ERROR);
	c = &s->cols[col];
	track_number(c, v);
	fmt = money_format_for(s->x, currency, &dec);
	if (fmt != NULL) {
		c->coded = true;
		if (dec > c->decimals)
			c->decimals = dec;
	} else if (c->fraction && c->decimals < 4)
		c->decimals = 4;
	return written(s, worksheet_write_number(s->ws, s->row, (lxw_col_t)col,
	    v, fmt));
}

int
xlsxout_bool(struct xlsxout_sheet *s, size_t col, bool v)
{
	int rc;

	if ((rc = cell(s, col, XLSXOUT_BOOL, XLSXOUT_BOOL)) != 0)
		return rc;
	return written(s, worksheet_write_boolean(s->ws, s->row, (lxw_col_t)col,
	    v ? 1 : 0, NULL));
}

int
xlsxout_serial(struct xlsxout_sheet *s, size_t col, double serial)
{
	int rc;

	if ((rc = cell(s, col, XLSXOUT_DATE, XLSXOUT_DATETIME)) != 0)
		return rc;
	return written(s, worksheet_write_number(s->ws, s->row, (lxw_col_t)col,
	    serial, s->cols[col].type == XLSXOUT_DATE ? s->x->date :
	    s->x->datetime));
}

int
xlsxout_end_row(struct xlsxout_sheet *s)
{
	if (s->x->open != s)
		return fail(s->x, TALLY_EINTERNAL, "row end on a sheet that ended",
		    LXW_NO_ERROR);
	if (s->need_part) {
		/* a row with no cells at all still needs its place */
		int rc = start_part(s);

		if (rc != 0)
			return rc;
	}
	s->rows++;
	s->row++;
	if (s->row >= s->x->sheet_rows)
		s->need_part = true;
	return 0;
}

int
xlsxout_chart(struct xlsxout_sheet *s, enum xlsxout_chart_kind kind,
    size_t category, const size_t *values, size_t nvalues, const char *title)
{
	struct chart_spec *c;

	if (s->ncharts >= XLSXOUT_MAX_CHARTS)
		return fail(s->x, TALLY_EDATA, "too many charts on one sheet",
		    LXW_NO_ERROR);
	if (nvalues == 0 || (kind == XLSXOUT_CHART_PIE && nvalues != 1))
		return fail(s->x, TALLY_EDATA,
		    "a chart needs value columns (a pie exactly one)",
		    LXW_NO_ERROR);
	if (category >= s->ncols)
		return fail(s->x, TALLY_EDATA, "chart category column out of range",
		    LXW_NO_ERROR);
	for (size_t i = 0; i < nvalues; i++)
		if (values[i] >= s->ncols)
			return fail(s->x, TALLY_EDATA,
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
xlsxout_heatmap(struct xlsxout_sheet *s, const size_t *cols, size_t ncols)
{
	for (size_t i = 0; i < ncols; i++)
		if (cols[i] >= s->ncols)
			return fail(s->x, TALLY_EDATA, "heatmap column out of range",
			    LXW_NO_ERROR);
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
		for (size_t c = 0; c < s->ncols; c++)
			free(s->cols[c].name);
		free(s->cols);
		for (size_t i = 0; i < s->ncharts; i++) {
			free(s->charts[i].values);
			free(s->charts[i].title);
		}
		free(s->heat);
		free(s->name);
		free(s);
	}
	for (size_t i = 0; i < x->nnames; i++)
		free(x->names[i]);
	free(x->names);
	free(x->money);
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

static bool
ndigits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

static const unsigned char mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	31, 30, 31 };

/* "YYYY-MM-DD" at s: days since Excel's epoch 1899-12-30. */
static int
parse_ymd(const char *s, long *serial_days)
{
	static const struct period_date epoch = { 1899, 12, 30 };
	struct period_date date;
	int y, m, d;

	if (!ndigits(s, 4, &y) || s[4] != '-' || !ndigits(s + 5, 2, &m) ||
	    s[7] != '-' || !ndigits(s + 8, 2, &d))
		return TALLY_EDATA;
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return TALLY_EDATA;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return TALLY_EDATA;
	/* Excel's serials before 1900-03-01 carry its 1900 leap-year bug */
	if (y < 1900 || (y == 1900 && m < 3))
		return TALLY_EDATA;
	date.year = y;
	date.month = m;
	date.day = d;
	*serial_days = period_days(date) - period_days(epoch);
	return 0;
}

int
xlsxout_parse_date(const char *s, double *serial)
{
	long days;

	if (strlen(s) != 10 || parse_ymd(s, &days) != 0)
		return TALLY_EDATA;
	*serial = (double)days;
	return 0;
}

int
xlsxout_parse_timestamp(const char *s, double *serial)
{
	long days;
	int h, mi, sec, v;
	double frac = 0.0, scale = 0.1;
	const char *p;

	if (strlen(s) < 19 || parse_ymd(s, &days) != 0 || s[10] != ' ' ||
	    !ndigits(s + 11, 2, &h) || s[13] != ':' || !ndigits(s + 14, 2, &mi) ||
	    s[16] != ':' || !ndigits(s + 17, 2, &sec))
		return TALLY_EDATA;
	if (h > 23 || mi > 59 || sec > 60)
		return TALLY_EDATA;
	p = s + 19;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10.0;
		}
	}
	/* an offset: +HH, +HH:MM, +HH:MM:SS; nothing else may follow */
	if (*p == '+' || *p == '-') {
		if (!ndigits(p + 1, 2, &v))
			return TALLY_EDATA;
		p += 3;
		while (*p == ':' && ndigits(p + 1, 2, &v))
			p += 3;
	}
	if (*p != '\0')
		return TALLY_EDATA;
	*serial = (double)days + ((double)h * 3600.0 + mi * 60.0 + sec + frac) /
	    86400.0;
	return 0;
}
