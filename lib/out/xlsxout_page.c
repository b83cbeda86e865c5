/*
 * xlsxout_page.c - free pages (see xlsxout_page_add() in xlsxout.h): no
 * table, no header row, lines of labelled text and numbers in a few
 * columns of fixed widths.  A report's Summary is one.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include <xlsxwriter.h>

#include "base/err.h"
#include "out/xlsxout.h"
#include "out/xlsxout_int.h"

int
xlsxout_page_add(struct xlsxout *x, struct xlsxout_sheet **out,
    const char *name, const unsigned *widths, size_t ncols)
{
	struct xlsxout_sheet *s;
	lxw_error e;
	int rc;

	*out = NULL;
	if ((rc = xlsxout_new_sheet(x, &s, name, ncols)) != 0)
		return rc;
	s->page = true;
	for (size_t c = 0; c < ncols; c++) {
		s->cols[c].name = xstrdup("");
		s->cols[c].type = XLSXOUT_TEXT;
		e = worksheet_set_column(s->ws, (lxw_col_t)c, (lxw_col_t)c,
		    widths[c], NULL);
		if (e != LXW_NO_ERROR)
			return xlsxout_fail(x, TALLY_EIO, "setting a column width",
			    e);
	}
	if ((rc = xlsxout_print_setup(s, s->ws)) != 0)
		return rc;
	*out = s;
	return 0;
}

int
xlsxout_page_text(struct xlsxout_sheet *s, size_t col, const char *text,
    enum xlsxout_style style)
{
	static const unsigned flags[] = {
		[XLSXOUT_PLAIN] = 0, [XLSXOUT_TITLE] = F_TITLE,
		[XLSXOUT_SUBTITLE] = F_SUBTITLE, [XLSXOUT_BANNER] = F_BANNER,
		[XLSXOUT_HEADING] = F_HEADING, [XLSXOUT_LABEL] = F_BOLD,
		[XLSXOUT_QUIET] = F_ITALIC,
	};
	int rc;

	if (!s->page)
		return xlsxout_fail(s->x, TALLY_EINTERNAL,
		    "page text on a table sheet", LXW_NO_ERROR);
	if ((rc = xlsxout_cell(s, col, XLSXOUT_TEXT, XLSXOUT_TEXT)) != 0)
		return rc;
	return xlsxout_put_text(s, col, text, xlsxout_fmt(s->x, NULL, flags[style]));
}

int
xlsxout_page_number(struct xlsxout_sheet *s, size_t col, double v,
    const char *unit)
{
	char buf[64];
	const char *numfmt = NULL;
	int dec, rc;

	if (!s->page)
		return xlsxout_fail(s->x, TALLY_EINTERNAL,
		    "page number on a table sheet", LXW_NO_ERROR);
	if ((rc = xlsxout_cell(s, col, XLSXOUT_TEXT, XLSXOUT_TEXT)) != 0)
		return rc;
	if (!isfinite(v))
		return xlsxout_fail(s->x, TALLY_EDATA,
		    "a number that is not finite", LXW_NO_ERROR);
	if (unit != NULL && strcmp(unit, "percent") == 0)
		numfmt = NUMFMT_PERCENT;
	else if (unit != NULL)
		numfmt = xlsxout_money_numfmt(unit, buf, &dec);
	return xlsxout_written(s, worksheet_write_number(s->ws, s->row, (lxw_col_t)col,
	    v, xlsxout_fmt(s->x, numfmt, 0)));
}
