/*
 * xlsxout.h - XLSX workbooks for people, over libxlsxwriter.
 *
 * One workbook, one or more sheets written one after the other, each a
 * typed table: a bold header row that stays frozen (optionally under a
 * title row), notes on its header cells, an autofilter over the whole
 * table, column widths from the content (capped at XLSXOUT_MAX_WIDTH
 * characters), total rows in bold under a rule, and optionally charts and
 * a colour-scale heatmap; or a free page of labelled lines (a report's
 * Summary, xlsxout_page_add).
 *
 * Every sheet is ready to print: landscape A4, scaled to one page wide,
 * the title and header rows repeated on every page, the workbook's page
 * header and footer (xlsxout_set_print), and its charts placed under the
 * table at a size that fits a page, with manual page breaks so that no
 * chart is cut by a page (see xlsxout_print.c for the arithmetic).  A
 * sheet without data rows says so (xlsxout_print.empty) under its header.
 *
 * The workbook is always written in libxlsxwriter's
 * constant_memory mode: memory stays flat whatever the row count, at the
 * price of writing each sheet's rows in order, which is how a query result
 * arrives anyway.
 *
 * Safety: text cells are written with worksheet_write_string and nothing
 * else, so a value that begins with '=' is text, never a formula.
 *
 * Reproducibility: the document's created time is the caller's (a report's
 * as-of instant) and libxlsxwriter stamps zip entries with a fixed date, so
 * the same data gives a byte-identical file.
 *
 * A sheet that outgrows Excel's 1,048,576 rows continues on a new sheet
 * "NAME (2)", "NAME (3)", ... each with its own title and header rows.
 * Charts and the heatmap apply to the first part only (charts) or to every
 * part (heatmap).
 *
 * Errors: 0 or a negative TALLY_E* code; xlsxout_errmsg() says what failed.
 */
#ifndef TALLY_XLSXOUT_H
#define TALLY_XLSXOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define XLSXOUT_MAX_WIDTH 60	/* characters: wider columns wrap nothing */
#define XLSXOUT_MAX_CHARTS 16	/* per sheet */

enum xlsxout_type {
	XLSXOUT_TEXT,		/* worksheet_write_string, always */
	XLSXOUT_NUMBER,		/* General number format */
	XLSXOUT_BOOL,
	XLSXOUT_DATE,		/* Excel serial, yyyy-mm-dd */
	XLSXOUT_DATETIME,	/* Excel serial, yyyy-mm-dd hh:mm:ss (and a
				 * UTC offset where one is given) */
	XLSXOUT_MONEY,		/* number with the row's currency format */
	XLSXOUT_PERCENT		/* a fraction shown as 0.0% */
};

enum xlsxout_chart_kind {
	XLSXOUT_CHART_LINE,
	XLSXOUT_CHART_COLUMN,
	XLSXOUT_CHART_PIE	/* one value column */
};

struct xlsxout_column {
	const char *name;	/* header text */
	enum xlsxout_type type;
	const char *note;	/* a note (comment) on the header cell; NULL:
				 * none */
};

/* How every sheet added afterwards prints. */
struct xlsxout_print {
	const char *header;	/* page header and footer in Excel's codes:
				 * &L &C &R sections, &A the sheet's name,
				 * &P its page, &N its pages; a literal &
				 * is &&; at most 255 characters; NULL: none */
	const char *footer;
	const char *empty;	/* written under the header of a table with
				 * no data rows; NULL: nothing */
};

struct xlsxout_sheet_opts {
	const char *title;	/* a bold row above the header, repeated on
				 * every printed page; NULL: none */
};

struct xlsxout;
struct xlsxout_sheet;

/*
 * Start a workbook that will be written to path when xlsxout_close() is
 * called.  tmpdir (NULL: the system's) holds constant_memory's row files;
 * created is the document's creation time.  *out is freed by
 * xlsxout_close() or xlsxout_abandon().
 */
int xlsxout_open(struct xlsxout **out, const char *path, const char *tmpdir,
    time_t created);
/* Rows per sheet before a continuation sheet starts, header row included
 * (default and maximum: Excel's 1,048,576).  Lets tests reach the limit. */
void xlsxout_set_sheet_rows(struct xlsxout *x, unsigned long rows);
const char *xlsxout_errmsg(const struct xlsxout *x);
/* Text cells cut at Excel's 32,767 characters so far (the CSV keeps them
 * whole). */
unsigned long long xlsxout_truncated(const struct xlsxout *x);

/* Set how the sheets added from now on print (strings are copied);
 * TALLY_EDATA when a header or footer is longer than Excel allows. */
int xlsxout_set_print(struct xlsxout *x, const struct xlsxout_print *p);

/*
 * Add a sheet and write its header row.  name must be a valid, unused
 * sheet name (at most 31 characters, none of []:*?/\).  The columns are
 * copied.  Only one sheet is open at a time: a new one ends the previous.
 * The sheet belongs to the workbook.
 */
int xlsxout_sheet_add(struct xlsxout *x, struct xlsxout_sheet **out,
    const char *name, const struct xlsxout_column *cols, size_t ncols);
/* The same with options (NULL: none). */
int xlsxout_sheet_add_opts(struct xlsxout *x, struct xlsxout_sheet **out,
    const char *name, const struct xlsxout_column *cols, size_t ncols,
    const struct xlsxout_sheet_opts *opts);

/*
 * Cells of the current row, any order within the row; a column not
 * written is an empty cell (SQL NULL).  Each checks the column's type,
 * except xlsxout_text, which any column takes: it is how a value that
 * the column's type cannot hold in Excel (NaN, a date before 1900) is
 * shown.
 */
int xlsxout_text(struct xlsxout_sheet *s, size_t col, const char *text);
/* XLSXOUT_NUMBER or XLSXOUT_PERCENT */
int xlsxout_number(struct xlsxout_sheet *s, size_t col, double v);
/* XLSXOUT_MONEY: currency is an ISO 4217 code giving the decimals and the
 * code shown after the amount (money_exponent(): a well-formed code it
 * does not list has 2); NULL or not three letters: General format. */
int xlsxout_money(struct xlsxout_sheet *s, size_t col, double v,
    const char *currency);
int xlsxout_bool(struct xlsxout_sheet *s, size_t col, bool v);
/* XLSXOUT_DATE or XLSXOUT_DATETIME: an Excel serial (see below) */
int xlsxout_serial(struct xlsxout_sheet *s, size_t col, double serial);
/* XLSXOUT_DATETIME with its UTC offset shown after it ("+01:00"), for a
 * wall-clock time that occurs twice in the zone (the hour repeated when
 * summer time ends). */
int xlsxout_serial_offset(struct xlsxout_sheet *s, size_t col, double serial,
    const char *offset);
/* A note (comment) on the current row's cell of column col. */
int xlsxout_note(struct xlsxout_sheet *s, size_t col, const char *text);
/* Make the current row a total row (bold, a rule above): call before its
 * first cell. */
int xlsxout_row_total(struct xlsxout_sheet *s);
/* Finish the current row and move to the next one. */
int xlsxout_end_row(struct xlsxout_sheet *s);

/*
 * Declare a chart drawn from this sheet's data when the sheet ends: the
 * category column and one or more value columns (one for a pie), each
 * series named after its header.  Placed under the table.  A sheet
 * with no data rows gets no chart (an empty range is not a chart).
 */
int xlsxout_chart(struct xlsxout_sheet *s, enum xlsxout_chart_kind kind,
    size_t category, const size_t *values, size_t nvalues, const char *title);
/* More series for the chart declared last, drawn as dashed lines: values
 * that are not of the same kind as the others (a forecast).  Line charts
 * only. */
int xlsxout_chart_dashed(struct xlsxout_sheet *s, const size_t *values,
    size_t nvalues);
/* A white-to-red colour scale over these columns' data cells, as one
 * scale (one heatmap), applied when the sheet ends. */
int xlsxout_heatmap(struct xlsxout_sheet *s, const size_t *cols, size_t ncols);

/*
 * A free page (a report's Summary): no header row, no autofilter, columns
 * of the given widths (characters).  Lines are written with the
 * xlsxout_page_* cells and xlsxout_end_row().
 */
enum xlsxout_style {
	XLSXOUT_PLAIN,
	XLSXOUT_TITLE,		/* large and bold */
	XLSXOUT_SUBTITLE,	/* bold, a little larger */
	XLSXOUT_BANNER,		/* bold white on red: a warning */
	XLSXOUT_HEADING,	/* bold with a rule under it */
	XLSXOUT_LABEL,		/* bold */
	XLSXOUT_QUIET		/* italic */
};
int xlsxout_page_add(struct xlsxout *x, struct xlsxout_sheet **out,
    const char *name, const unsigned *widths, size_t ncols);
int xlsxout_page_text(struct xlsxout_sheet *s, size_t col, const char *text,
    enum xlsxout_style style);
/* unit: NULL a plain number, "percent" a fraction shown as a percentage,
 * else an ISO 4217 code (an amount in major units). */
int xlsxout_page_number(struct xlsxout_sheet *s, size_t col, double v,
    const char *unit);

/* Data rows written to the sheet so far (all parts). */
unsigned long long xlsxout_sheet_rows(const struct xlsxout_sheet *s);

/* End the open sheet (if any), write the file, free x.  0 or TALLY_EIO. */
int xlsxout_close(struct xlsxout *x);
/* Free x without writing a file (error paths). */
void xlsxout_abandon(struct xlsxout *x);

/*
 * Excel serial dates (days since 1899-12-30, the fraction is the time of
 * day) from PostgreSQL's ISO text output: "2026-11-16" and
 * "2026-11-16 10:30:00[.ffffff][+01[:00]]".  A UTC offset is ignored: the
 * session's TimeZone already put the wall-clock time in the report zone.
 * Dates Excel cannot show (before 1900-03-01, after 9999, BC, infinity)
 * are TALLY_EDATA: write those as text.
 */
int xlsxout_parse_date(const char *s, double *serial);
int xlsxout_parse_timestamp(const char *s, double *serial);

#endif
