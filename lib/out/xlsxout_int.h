/*
 * xlsxout_int.h - what xlsxout.c (workbook, sheets, cells),
 * xlsxout_page.c (free pages) and xlsxout_print.c (page setup, charts,
 * page breaks) share.  Nothing outside lib/out/xlsxout*.c includes it.
 */
#ifndef TALLY_XLSXOUT_INT_H
#define TALLY_XLSXOUT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <xlsxwriter.h>

#include "base/strbuf.h"
#include "out/xlsxout.h"

#define EXCEL_MAX_ROWS 1048576UL
#define NUMFMT_PERCENT "0.0%"
#define EXCEL_MAX_TEXT 32767	/* characters in one cell */

/* Cell format flags (fmt_get): combined with a number format. */
#define F_BOLD 0x01u
#define F_TOP 0x02u		/* a thin top border: total rows */
#define F_TITLE 0x04u		/* 16 pt bold */
#define F_SUBTITLE 0x08u	/* 12 pt bold */
#define F_BANNER 0x10u		/* bold white on red */
#define F_HEADING 0x20u		/* bold with a bottom border */
#define F_ITALIC 0x40u

struct fmt_entry {
	char *numfmt;		/* NULL: General */
	unsigned flags;
	lxw_format *f;
};

struct chart_spec {
	enum xlsxout_chart_kind kind;
	size_t category;
	size_t *values;
	size_t nvalues;
	size_t *dashed;		/* more series, drawn dashed (forecasts) */
	size_t ndashed;
	char *title;
};

/* Per column: what is needed to size it once the data has gone by. */
struct col_state {
	char *name;
	char *note;
	enum xlsxout_type type;
	unsigned width;		/* characters: text, header */
	double maxabs;		/* numbers: largest magnitude */
	bool negative;
	bool fraction;
	int decimals;		/* money: most decimals seen */
	bool coded;		/* money: a currency code is shown */
	bool offset;		/* datetime: a UTC offset is shown somewhere */
};

struct xlsxout_sheet {
	struct xlsxout *x;
	char *name;		/* the first part's name: charts refer to it */
	char *title;		/* a title row above the header, or NULL */
	bool page;		/* a free page (xlsxout_page_add), not a table */
	lxw_worksheet *ws;	/* the part being written */
	lxw_worksheet *first;
	unsigned part;
	size_t ncols;
	struct col_state *cols;
	lxw_row_t head;		/* rows above the data: title and header */
	lxw_row_t row;		/* current row in the current part */
	bool need_part;		/* the current part is full */
	bool total;		/* the current row is a total row */
	unsigned char *written;	/* total rows: columns written so far */
	unsigned long long rows;	/* data rows, all parts */
	lxw_row_t first_rows;	/* data rows of the first part, once known */
	lxw_row_t first_used;	/* rows the first part's table takes */
	unsigned table_px;	/* the first part's width in pixels */
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
	struct fmt_entry *fmts;
	size_t nfmts;
	char *print_header;	/* xlsxout_set_print(), copied */
	char *print_footer;
	char *empty_text;
	struct xlsxout_sheet *sheets;	/* every sheet, freed on close */
	struct xlsxout_sheet *open;
	struct strbuf cut;	/* truncated text being written */
	unsigned long long truncated;
	char **names;		/* strings libxlsxwriter may point to (sheet
				 * names, heatmap ranges, breaks): kept until
				 * close */
	size_t nnames;
};

int xlsxout_fail(struct xlsxout *x, int code, const char *what, lxw_error e);
/* The format for a number format and flags, made once per workbook; NULL
 * for General without flags (libxlsxwriter's default). */
lxw_format *xlsxout_fmt(struct xlsxout *x, const char *numfmt, unsigned flags);
/* The number format of a currency ("#,##0.00 \"USD\""), its decimals in
 * *decimals; NULL (General, *decimals -1) for NULL or a malformed code. */
const char *xlsxout_money_numfmt(const char *currency, char buf[64],
    int *decimals);
/* Keep s until the workbook closes (libxlsxwriter may point to it). */
const char *xlsxout_keep(struct xlsxout *x, char *s);
/* Characters in a UTF-8 string, counting no further than cap. */
unsigned xlsxout_utf8_width(const char *s, unsigned cap);

/* A new sheet in the workbook's list (the previous one ended), before
 * its first row; columns zeroed. */
int xlsxout_new_sheet(struct xlsxout *x, struct xlsxout_sheet **out,
    const char *name, size_t ncols);
/* Checks before a cell of column col (of type t1 or t2 on a table). */
int xlsxout_cell(struct xlsxout_sheet *s, size_t col, enum xlsxout_type t1,
    enum xlsxout_type t2);
/* A text cell with format f, cut at Excel's limit. */
int xlsxout_put_text(struct xlsxout_sheet *s, size_t col, const char *text,
    lxw_format *f);
/* 0, or TALLY_EIO with the message for a failed write. */
int xlsxout_written(struct xlsxout_sheet *s, lxw_error e);

/* xlsxout_print.c: page setup of a new worksheet (part), and the charts
 * of a sheet, placed under its table, when it ends. */
int xlsxout_print_setup(struct xlsxout_sheet *s, lxw_worksheet *ws);
int xlsxout_place_charts(struct xlsxout_sheet *s);

#endif
