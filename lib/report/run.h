/*
 * run.h - the report engine's private parts, shared by engine.c (the run:
 * sheets, snapshot, queries), cells.c (column types to XLSX cells),
 * summary.c (the Summary sheet, the words for periods and windows, the
 * printed page) and files.c (temporary files, sealing, the manifest,
 * publishing).  Nothing outside lib/report/ includes it.
 */
#ifndef TALLY_REPORT_RUN_H
#define TALLY_REPORT_RUN_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "base/log.h"
#include "base/period.h"
#include "out/csvout.h"
#include "out/xlsxout.h"
#include "pg/db.h"
#include "report/engine.h"
#include "report/sql.h"

/* PostgreSQL type oids (catalog/pg_type.h is server-side only). */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25
#define OID_OID 26
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_DATE 1082
#define OID_TIMESTAMP 1114
#define OID_TIMESTAMPTZ 1184
#define OID_NUMERIC 1700
#define OID_JSONB 3802

#define NFIXED 5		/* $1..$5 */
#define CSV_BUFFER (1 << 20)
#define PROGRESS_EVERY 8192

enum col_kind {
	K_TEXT,
	K_NUMBER,
	K_BOOL,
	K_DATE,
	K_TIMESTAMP,
	K_MONEY,
	K_PERCENT
};

struct col {
	enum col_kind kind;
	bool zoned;		/* timestamptz: shown in the report zone */
	int currency_col;	/* money: the column naming the currency, or -1 */
	const char *currency;	/* money: a fixed code, or NULL */
	int note_col;		/* cellnote: the column with its notes, or -1 */
};

/* Is a wall-clock time ambiguous in the report zone?  Remembered per
 * quarter of an hour (zones change offset on those). */
#define AMB_MEMO 1024
struct amb_memo {
	long long key;		/* instant / 900, + 1 (0: empty) */
	bool ambiguous;
};

/* A line of the Summary, kept until the sheet's rows are all in. */
struct summary_line {
	int section;		/* index into summary.c's sections */
	char *label;
	char *value;		/* PostgreSQL's text, or NULL */
	char *unit;
	char *command;
};

/* A file being written: its temporary and final paths. */
struct out_file {
	char *tmp;
	char *final;
	char *name;		/* final's file name, for results */
};

struct run {
	struct db *db;
	const char *report;
	const struct report_opts *o;
	struct report_result *res;
	const char *dir;
	unsigned formats;
	struct report_sql_sheet *defs;
	size_t ndefs;
	struct report_sql_sheet *shared;	/* the report's "_" file, or NULL */
	const char **values;	/* query parameters */
	Oid *types;
	int nparams;
	char start[PERIOD_ISO_MAX], end[PERIOD_ISO_MAX], as_of[PERIOD_ISO_MAX];
	struct xlsxout *x;
	struct out_file *files;	/* xlsx first (if any), then the CSVs */
	size_t nfiles;
	/* what the pages say (summary.c) */
	char *title;		/* "Weekly report" */
	char *period_words;	/* "Week of 2026-11-16" */
	char *as_of_words;	/* "2026-11-23 08:00 Europe/Berlin (UTC+01:00)" */
	bool partial;		/* the period is not over at the as-of */
	json_t *actions;	/* the Summary's actions, for the manifest */
	struct amb_memo memo[AMB_MEMO];
};

/* What one sheet needs while its rows stream by. */
struct sheet_run {
	const struct report_sql_sheet *def;
	struct report_sheet_result *out;
	struct col *cols;
	int ncols;
	struct xlsxout_sheet *xs;
	FILE *fp;
	struct out_file *csv;
	struct csvout csv_w;
	struct progress prog;
	int *totals;		/* total directives' columns */
	size_t ntotals;
	char *window;		/* the window in words, or NULL */
	int sum_cols[5];	/* Summary: section, label, value, unit, command */
	struct summary_line *lines;
	size_t nlines;
};

int cells_sheet_begin(struct run *r, struct sheet_run *s, const PGresult *res);
int cells_sheet_row(struct run *r, struct sheet_run *s, const PGresult *res);
void cells_sheet_release(struct sheet_run *s);
int cells_column_index(const PGresult *res, const char *name);
int summary_prepare(struct run *r);
void summary_release(struct run *r);
char *summary_window_words(struct run *r, int days);
int summary_begin(struct run *r, struct sheet_run *s, const PGresult *res);
int summary_row(struct run *r, struct sheet_run *s, const PGresult *res);
int summary_finish(struct run *r, struct sheet_run *s);
void summary_lines_free(struct sheet_run *s);
int files_temp(struct run *r, const char *name, int *fd);
void files_discard(struct run *r);
int files_open_csv(struct run *r, struct sheet_run *s);
int files_close_csv(struct run *r, struct sheet_run *s, bool ok);
int files_open_xlsx(struct run *r);
int files_finish(struct run *r);

#endif
