/*
 * report.h - the report engine: SQL files in, CSV files and one XLSX
 * workbook out.
 *
 * A report named R is every embedded file under reports/R/, in name order,
 * one sheet each (or the sources a caller passes), but a file whose name
 * starts with '_': that one holds the column lines its sheets share
 * (report/sql.h).  Each file is one
 * SELECT with a header of directives (lib/report/sql.h).  All sheets run
 * in ONE read-only REPEATABLE READ transaction, so every sheet describes
 * the same snapshot, with the session's TimeZone set to the report zone so
 * that date_trunc, ::date and timestamptz output are cut in it.
 *
 * Parameters, always passed with explicit types (an unused one is fine):
 *   $1 timestamptz  period start (inclusive)
 *   $2 timestamptz  period end (exclusive)
 *   $3 timestamptz  as-of instant
 *   $4 text         report time zone name
 *   $5 jsonb        settings from the configuration, for example
 *                   {"inactive_model_days": 7, "fulfil_sla_minutes": 5}
 *                   (report_settings_json() builds the standard object)
 *   $6.. text       the caller's extra parameters (opts.extra); cast them
 *
 * Cell types follow the column types: integers, numeric and float are
 * numbers; boolean is a boolean; date, timestamp and timestamptz are real
 * Excel dates (timestamptz as wall-clock time in the report zone); all
 * else is text, written as a string (never a formula).  SQL NULL is an
 * empty cell.  "money" columns get their currency's number format,
 * "percent" columns a percentage format; a value the column's type cannot
 * hold in Excel (a date before 1900, infinity, NaN) is written as text.
 * The CSV holds every value exactly as PostgreSQL printed it (booleans as
 * true/false), quoted and neutralised as lib/out/csvout.h says.
 *
 * What the XLSX adds for people (the CSV has none of it): a report's
 * first file may be its Summary ("summary:" directive, summary.c): a page
 * with the report's title, the period in words, the as-of instant, the
 * zone, the version, the windows of "window:" sheets, and the lines its
 * query returns (headline figures, recommendations, actions with their
 * tallyctl commands); a period not over at the as-of instant is marked
 * PARTIAL there and in every page header.  Headers and their notes come
 * from "column:" lines, total rows from "total:", cell notes from
 * "cellnote:" (report/sql.h); timestamptz headers name the zone, and a
 * wall-clock time that occurs twice in it shows its UTC offset.  Every
 * sheet is ready to print (lib/out/xlsxout.h).
 *
 * Outputs in out_dir, for report R and period label P (lib/base/period.h):
 *   R-P.xlsx                 one sheet per file
 *   R-P-SLUG.csv             one per sheet but the Summary (SLUG:
 *                            report_sql.h)
 *   R-P.manifest.json        report, period, as-of, zone, whether the
 *                            period is partial, the title and period in
 *                            words, the Summary's actions, per-sheet row
 *                            counts, size and sha256 of each file
 * Each is written to a hidden temporary file in out_dir (mode 0640: reports
 * hold customer e-mails), fsync'd, and renamed over the final name only
 * when every file of the run is complete, the manifest last; a failed run
 * leaves the previous files as they were.  The same data at the same as-of
 * gives byte-identical files: the XLSX's created time is the as-of.
 *
 * The engine runs a report and nothing more: a program's lock, job_runs
 * row and exit status are the batch-job spine's (lib/jobs/reportjob.h).
 */
#ifndef TALLY_REPORT_H
#define TALLY_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "base/config.h"
#include "pg/db.h"
#include "base/period.h"
#include "base/strbuf.h"

#define REPORT_XLSX 0x1u
#define REPORT_CSV 0x2u
#define REPORT_DEFAULT_DIR "./reports-out"

/* A sheet's SQL from somewhere else than the embedded reports/R/. */
struct report_source {
	const char *name;	/* a path-like name: its file name gives the
				 * default sheet name ("x/10_pool.sql") */
	const char *sql;
};

struct report_opts {
	const struct period *period;	/* required: $1, $2 and the label */
	time_t as_of;			/* $3, the XLSX created time */
	long as_of_usec;		/* and the fraction of its second */
	const char *tz;			/* $4 and TimeZone; NULL: period->tz */
	const char *settings_json;	/* $5; NULL: {} */
	const char *const *extra;	/* $6..: text parameters */
	size_t nextra;
	const char *out_dir;		/* NULL: REPORT_DEFAULT_DIR */
	unsigned formats;		/* REPORT_XLSX | REPORT_CSV; 0: both */
	bool dry_run;			/* run the queries, write nothing */
	const struct report_source *sources;	/* NULL: embedded reports/R/ */
	size_t nsources;
	unsigned long sheet_rows;	/* rows per XLSX sheet (tests); 0: Excel's */
};

struct report_sheet_result {
	char *name;			/* the sheet's name */
	unsigned long long rows;	/* data rows */
	char *csv;			/* file name in out_dir; NULL if none */
};

struct report_file {
	char *name;			/* file name in out_dir */
	unsigned long long bytes;
	char sha256[65];		/* lower-case hex */
};

struct report_result {
	struct report_sheet_result *sheets;
	size_t nsheets;
	struct report_file *files;	/* what was written, manifest excluded */
	size_t nfiles;
	char *manifest;			/* file name in out_dir; NULL if none */
	char *out_dir;			/* where they are */
	long long job_id;		/* job_runs.id; 0: none (reportjob) */
	struct strbuf err;		/* why it failed, for the user */
};

void report_result_init(struct report_result *res);
void report_result_release(struct report_result *res);

/*
 * Run report R for opts->period.  0 on success; otherwise a TALLY_E* code
 * with res->err saying why: TALLY_ENOTFOUND (no such report),
 * TALLY_EINTERNAL (a report's SQL header or a column it names is wrong),
 * TALLY_EUNAVAIL / TALLY_EDB / TALLY_EDATA (the database), TALLY_EIO
 * (cannot create or write the output), TALLY_EUSAGE (bad options).
 * res is filled as far as the run got; release it either way.
 */
int report_run(struct db *db, const char *report,
    const struct report_opts *opts, struct report_result *res);

/*
 * What report_run() checks before it touches the database or a file: the
 * report's name, the time zone, every sheet's SQL header.  0, or the code
 * report_run() would fail with, res->err saying why.  A program checks
 * before it records a run.
 */
int report_check(const char *report, const struct report_opts *opts,
    struct report_result *res);

/* The names of the embedded reports ("model-stats", "weekly", ...), each
 * once, sorted; free with report_list_free(). */
char **report_list(size_t *n);
void report_list_free(char **names, size_t n);

/* {"sheet name": data rows, ...} of a run, for its job_runs counts. */
json_t *report_rows_json(const struct report_result *res);

/* The standard $5 object from a configuration (caller frees). */
char *report_settings_json(const struct config *cfg);

#endif
