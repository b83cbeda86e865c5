/*
 * xlsx_limit.c - the limit for the report engine's XLSX speed: the same
 * cells the engine writes in bench/report.sh (ROWS rows x 10 columns,
 * generated here instead of read from PostgreSQL), written straight with
 * libxlsxwriter in constant_memory mode, with the same formats, frozen
 * header, autofilter and column widths.  Nothing else: no database, no
 * parsing, no CSV.
 *
 *   xlsx_limit OUT.xlsx ROWS
 */
#include <stdio.h>
#include <stdlib.h>

#include <xlsxwriter.h>

static const char *const models[8] = {
	"qwen-image-edit", "gemini-flash-image", "flux-dev", "flux-schnell",
	"sdxl-turbo", "imagen-3", "dall-e-3", "ideogram-2",
};

static const char *const header[10] = {
	"id", "email", "model", "kind", "started_at", "duration_ms", "credits",
	"cost", "ok", "ratio",
};

static int
check(lxw_error e)
{
	if (e != LXW_NO_ERROR) {
		fprintf(stderr, "xlsx_limit: %s\n", lxw_strerror(e));
		exit(1);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	lxw_workbook_options opt = { .constant_memory = LXW_TRUE,
		.tmpdir = NULL, .use_zip64 = LXW_FALSE };
	lxw_doc_properties props = { .created = 1793491200 };
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *bold, *dt, *money, *pct;
	char email[64];
	long rows;
	/* 2026-11-01 00:00:00 as an Excel serial */
	const double base = 46327.0;

	if (argc != 3 || (rows = strtol(argv[2], NULL, 10)) < 1) {
		fprintf(stderr, "usage: xlsx_limit OUT.xlsx ROWS\n");
		return 64;
	}
	wb = workbook_new_opt(argv[1], &opt);
	if (wb == NULL)
		return 73;
	workbook_set_properties(wb, &props);
	bold = workbook_add_format(wb);
	format_set_bold(bold);
	dt = workbook_add_format(wb);
	format_set_num_format(dt, "yyyy-mm-dd hh:mm:ss");
	money = workbook_add_format(wb);
	format_set_num_format(money, "#,##0.00 \"USD\"");
	pct = workbook_add_format(wb);
	format_set_num_format(pct, "0.0%");
	ws = workbook_add_worksheet(wb, "rows");
	for (int c = 0; c < 10; c++)
		check(worksheet_write_string(ws, 0, (lxw_col_t)c, header[c], bold));
	worksheet_freeze_panes(ws, 1, 0);
	for (long g = 1; g <= rows; g++) {
		lxw_row_t r = (lxw_row_t)g;

		snprintf(email, sizeof(email), "user%ld@example.com", g);
		check(worksheet_write_number(ws, r, 0, (double)g, NULL));
		check(worksheet_write_string(ws, r, 1, email, NULL));
		check(worksheet_write_string(ws, r, 2, models[g % 8], NULL));
		check(worksheet_write_string(ws, r, 3,
		    g % 4 == 0 ? "edit" : "generate", NULL));
		check(worksheet_write_number(ws, r, 4, base + (double)g / 86400.0,
		    dt));
		check(worksheet_write_number(ws, r, 5, (double)((g * 7919) % 60000),
		    NULL));
		check(worksheet_write_number(ws, r, 6, (double)(g % 10), NULL));
		check(worksheet_write_number(ws, r, 7, (double)(g % 1000) / 100.0,
		    money));
		check(worksheet_write_boolean(ws, r, 8, g % 10 != 0, NULL));
		check(worksheet_write_number(ws, r, 9, (double)(g % 997) / 997.0,
		    pct));
	}
	check(worksheet_autofilter(ws, 0, 0, (lxw_row_t)rows, 9));
	for (int c = 0; c < 10; c++)
		check(worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, 16, NULL));
	check(workbook_close(wb));
	return 0;
}
