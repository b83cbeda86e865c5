/*
 * xlsxout_print.c - every sheet ready to print, and its charts under its
 * table.
 *
 * The page: A4 landscape, scaled to one page wide (as many pages tall as
 * it takes; a free page such as the Summary to one page), the title and
 * header rows repeated on every page, the workbook's header and footer,
 * page numbers starting at 1 on every sheet.
 *
 * Charts go under the table, one column of them, each CHART_ROWS rows
 * tall and as wide as the table (within CHART_MIN_WIDTH and
 * CHART_MAX_WIDTH pixels, so a chart never widens the page).  Where a chart would not fit on the
 * rest of the page, a manual page break puts it on the next one, so no
 * chart is ever cut in two.  The arithmetic assumes PAGE_ROWS rows of
 * the default height (15 points) per printed page: A4 landscape is 8.27
 * inches tall; less the 0.75-inch top and bottom margins that leaves
 * 6.77 inches, 487 points, 32.5 rows at full size.  Scaling to one page
 * wide only ever shrinks a sheet, so a page holds at least PAGE_ROWS rows,
 * and a stretch between two breaks that fits in PAGE_ROWS rows is never
 * broken again by the spreadsheet program.  A table longer than a page
 * breaks where the program decides; its charts then start on a page of
 * their own.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "base/err.h"
#include "base/strbuf.h"
#include "out/xlsxout.h"
#include "out/xlsxout_int.h"

#define PAPER_A4 9
#define MARGIN_SIDE 0.5		/* inches */
#define MARGIN_TOP 0.75
#define MARGIN_HEADER 0.3	/* header and footer from the paper's edge */
#define PAGE_ROWS 32		/* rows of 15 pt per page at full size */
#define ROW_PIXELS 20		/* a 15 pt row */
#define CHART_ROWS 15		/* a chart's height in rows */
#define CHART_GAP 1		/* blank rows after a table or a chart */
#define CHART_MIN_WIDTH 640	/* pixels; a chart is as wide as its table */
#define CHART_MAX_WIDTH 1000	/* within a landscape page at full size */
#define MAX_BREAKS (XLSXOUT_MAX_CHARTS + 1)

int
xlsxout_print_setup(struct xlsxout_sheet *s, lxw_worksheet *ws)
{
	struct xlsxout *x = s->x;
	lxw_header_footer_options hf;
	lxw_error e;

	worksheet_set_landscape(ws);
	worksheet_set_paper(ws, PAPER_A4);
	worksheet_set_margins(ws, MARGIN_SIDE, MARGIN_SIDE, MARGIN_TOP,
	    MARGIN_TOP);
	/* a table as long as it takes; the Summary on one page */
	worksheet_fit_to_pages(ws, 1, s->page ? 1 : 0);
	/* page numbers count from 1 on every sheet, in every program */
	worksheet_set_start_page(ws, 1);
	if (!s->page && s->head > 0) {
		e = worksheet_repeat_rows(ws, 0, s->head - 1);
		if (e != LXW_NO_ERROR)
			return xlsxout_fail(x, TALLY_EIO, "repeating the header rows",
			    e);
	}
	memset(&hf, 0, sizeof(hf));
	hf.margin = MARGIN_HEADER;
	if (x->print_header != NULL &&
	    (e = worksheet_set_header_opt(ws, x->print_header, &hf)) !=
	    LXW_NO_ERROR)
		return xlsxout_fail(x, TALLY_EIO, "setting the page header", e);
	if (x->print_footer != NULL &&
	    (e = worksheet_set_footer_opt(ws, x->print_footer, &hf)) !=
	    LXW_NO_ERROR)
		return xlsxout_fail(x, TALLY_EIO, "setting the page footer", e);
	return 0;
}

/* One chart of the sheet, its series from the first part's data. */
static int
make_chart(struct xlsxout_sheet *s, const struct chart_spec *c,
    lxw_chart **out)
{
	static const uint8_t kinds[] = {
		[XLSXOUT_CHART_LINE] = LXW_CHART_LINE,
		[XLSXOUT_CHART_COLUMN] = LXW_CHART_COLUMN,
		[XLSXOUT_CHART_PIE] = LXW_CHART_PIE,
	};
	struct xlsxout *x = s->x;
	lxw_row_t r0 = s->head, r1 = s->head + s->first_rows - 1;
	lxw_chart_series *series;
	lxw_chart_line dash;
	lxw_chart *chart;
	size_t n = c->nvalues + c->ndashed;

	*out = chart = workbook_add_chart(x->wb, kinds[c->kind]);
	if (chart == NULL)
		return xlsxout_fail(x, TALLY_ENOMEM, "adding a chart", LXW_NO_ERROR);
	for (size_t v = 0; v < n; v++) {
		size_t col = v < c->nvalues ? c->values[v] :
		    c->dashed[v - c->nvalues];

		series = chart_add_series(chart, NULL, NULL);
		if (series == NULL)
			return xlsxout_fail(x, TALLY_ENOMEM, "adding a series",
			    LXW_NO_ERROR);
		chart_series_set_categories(series, s->name, r0,
		    (lxw_col_t)c->category, r1, (lxw_col_t)c->category);
		chart_series_set_values(series, s->name, r0, (lxw_col_t)col, r1,
		    (lxw_col_t)col);
		chart_series_set_name_range(series, s->name, s->head - 1,
		    (lxw_col_t)col);
		if (v >= c->nvalues) {
			/* a forecast is not a measurement: it looks different */
			memset(&dash, 0, sizeof(dash));
			dash.dash_type = LXW_CHART_LINE_DASH_DASH;
			dash.width = 2.25;
			chart_series_set_line(series, &dash);
		}
	}
	if (c->title != NULL)
		chart_title_set_name(chart, c->title);
	if (c->kind != XLSXOUT_CHART_PIE) {
		chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
		if (s->cols[c->category].type == XLSXOUT_DATE)
			chart_axis_set_num_format(chart->x_axis, "yyyy-mm-dd");
		else if (s->cols[c->category].type == XLSXOUT_DATETIME)
			chart_axis_set_num_format(chart->x_axis,
			    "yyyy-mm-dd hh:mm");
	}
	/* the forecast's month has no actual value: leave a gap, do not
	 * draw a drop to zero */
	chart_show_blanks_as(chart, LXW_CHART_BLANKS_AS_GAP);
	return 0;
}

int
xlsxout_place_charts(struct xlsxout_sheet *s)
{
	struct xlsxout *x = s->x;
	lxw_row_t breaks[MAX_BREAKS + 1], *kept;
	lxw_chart_options opt;
	size_t nbreaks = 0;
	lxw_row_t pos, used;
	unsigned width;
	lxw_chart *chart;
	lxw_error e;
	int rc;

	if (s->first_rows == 0 || s->ncharts == 0)
		return 0;
	width = s->table_px < CHART_MIN_WIDTH ? CHART_MIN_WIDTH :
	    s->table_px > CHART_MAX_WIDTH ? CHART_MAX_WIDTH : s->table_px;
	pos = s->first_used + CHART_GAP;
	used = pos;
	if (s->first_used > PAGE_ROWS) {
		/* where the table's last page ends is the program's choice:
		 * the charts start on a page of their own */
		breaks[nbreaks++] = pos;
		used = s->head;
	}
	for (size_t i = 0; i < s->ncharts; i++) {
		if (used + CHART_ROWS > PAGE_ROWS) {
			breaks[nbreaks++] = pos;
			used = s->head;	/* repeated on the new page */
		}
		if ((rc = make_chart(s, &s->charts[i], &chart)) != 0)
			return rc;
		memset(&opt, 0, sizeof(opt));
		opt.x_scale = (double)width / 480.0;
		opt.y_scale = (double)(CHART_ROWS * ROW_PIXELS) / 288.0;
		opt.object_position = LXW_OBJECT_DONT_MOVE_DONT_SIZE;
		e = worksheet_insert_chart_opt(s->first, pos, 0, chart, &opt);
		if (e != LXW_NO_ERROR)
			return xlsxout_fail(x, TALLY_EIO, "placing a chart", e);
		pos += CHART_ROWS + CHART_GAP;
		used += CHART_ROWS + CHART_GAP;
	}
	if (nbreaks == 0)
		return 0;
	breaks[nbreaks] = 0;
	/* libxlsxwriter may keep the array: it lives as long as the book */
	kept = xmalloc((nbreaks + 1) * sizeof(*kept));
	memcpy(kept, breaks, (nbreaks + 1) * sizeof(*kept));
	xlsxout_keep(x, (char *)kept);
	e = worksheet_set_h_pagebreaks(s->first, kept);
	if (e != LXW_NO_ERROR)
		return xlsxout_fail(x, TALLY_EIO, "setting page breaks", e);
	return 0;
}
