/*
 * report_sql.h - one report sheet's SQL file and what its header says.
 *
 * A sheet is one SELECT.  Comment lines at the top of the file may carry
 * directives, one per line, "-- key: value":
 *
 *   -- sheet: Pool status
 *	the sheet's name (at most 31 characters, none of []:*?/\ and not
 *	starting or ending with ') and, lower-cased with every run of other
 *	characters than a-z 0-9 turned into one '-', its CSV file's stem
 *	("pool-status").  Default: the file name without its "NN_" prefix
 *	and ".sql" ("reports/weekly/10_pool.sql" -> "pool").
 *   -- money: revenue=currency, cost=USD
 *	these columns hold exact major-unit amounts; after '=' the column
 *	that names each row's ISO 4217 currency, or a fixed code.
 *   -- percent: success_rate, error_rate
 *	fractions (0..1) shown as percentages in the XLSX.
 *   -- chart: column; category=week; values=new,expired; title=Per week
 *	a chart (line, column or pie; a pie has one value column); several
 *	chart lines give several charts.  The title cannot hold ';'.
 *   -- heatmap: h00,h01,h02      or      -- heatmap: *numeric*
 *	one colour scale over these columns (or every numeric column).
 *   -- chart: line; category=month; values=peak; dashed=forecast; title=...
 *	dashed= adds series drawn as dashed lines (forecasts; line only).
 *   -- column: seat_days_available | Seat-days available | capacity
 *   --     times the days the account was in the pool
 *	the column's header in the XLSX (the CSV keeps the column's own
 *	name) and, after a second '|', what it means: a note on the header
 *	cell.  The explanation goes on over the following comment lines that
 *	are indented by two or more blanks after the "--".  A column
 *	without one gets its name as a header, '_' read as a blank and the
 *	first letter capitalised.
 *   -- total: sku=All products
 *	a row whose column sku holds "All products" is a total: bold in the
 *	XLSX, under a rule.  Several total lines give several columns.
 *   -- cellnote: gross_margin=margin_note, provider_cost=margin_note
 *	each row's margin_note (when not NULL) becomes a note on its
 *	gross_margin (and provider_cost) cell in the XLSX: why a figure is missing or how it
 *	was made.  The column stays a column of its own too.
 *   -- window: 7 days
 *	the sheet covers the 7 days ending at the period's end, or the
 *	period when it is longer (its query must cut the same window): the
 *	XLSX says so in a title row, in its charts' titles and on the
 *	report's Summary.
 *   A report may share column lines among its sheets: a file of its
 *   directory whose name starts with '_' ("reports/reconcile/_columns.sql")
 *   is no sheet but a header of "column:" lines and nothing else (no
 *   query); a sheet that returns one of those columns and has no
 *   "column:" line of its own for it takes the shared one.
 *   -- summary: Weekly report
 *	this file is the report's Summary, the first sheet of the XLSX and
 *	titled with this text; it is not written as a CSV.  Its query
 *	returns the lines of the summary, each with the columns
 *	section (figure, action, recommendation or note), label, value
 *	(numeric or NULL), unit (NULL, "percent", "days" or an ISO 4217
 *	code) and command (the tallyctl command that acts on an action).
 *
 * The header ends at the first line that is neither blank nor a comment.
 * Other comments are free text, even "-- note: ..."; but a near-miss of a
 * directive (a lower-case key sharing its first four letters with one:
 * "-- charts: ...", "-- sheet_name: ...") is an error rather than silently
 * ignored.  Directives are checked against the result's columns
 * when the query has run (report.c): a name that is not a column is an
 * error, so a typo shows up on the first run.
 */
#ifndef TALLY_REPORT_SQL_H
#define TALLY_REPORT_SQL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"
#include "out/xlsxout.h"

struct report_sql_money {
	char *column;
	char *currency;		/* a column name or a fixed code */
};

struct report_sql_chart {
	enum xlsxout_chart_kind kind;
	char *category;
	char **values;
	size_t nvalues;
	char *title;		/* NULL: none */
	char **dashed;		/* more series, dashed */
	size_t ndashed;
};

struct report_sql_column {
	char *name;		/* the result column */
	char *header;		/* its XLSX header */
	char *note;		/* what it means, or NULL */
};

struct report_sql_total {
	char *column;
	char *value;
};

struct report_sql_cellnote {
	char *column;		/* the cells that get a note */
	char *from;		/* the column holding the note's text */
};

struct report_sql_sheet {
	char *file;		/* where it came from, for messages */
	const char *sql;	/* not owned */
	char *name;		/* sheet name */
	char *slug;		/* CSV file stem */
	struct report_sql_money *money;
	size_t nmoney;
	char **percent;
	size_t npercent;
	struct report_sql_chart *charts;
	size_t ncharts;
	char **heatmap;
	size_t nheatmap;
	bool heatmap_numeric;	/* "*numeric*" */
	struct report_sql_column *columns;
	size_t ncolumns;
	struct report_sql_total *totals;
	size_t ntotals;
	struct report_sql_cellnote *cellnotes;
	size_t ncellnotes;
	int window_days;	/* 0: the period */
	char *summary;		/* the report's title: this is its Summary */
	bool has_query;		/* something follows the header */
	/* the report's shared column lines (its "_" file), or NULL; not
	 * owned */
	const struct report_sql_sheet *shared;
};

/*
 * Parse sql's header into *sh (which keeps a pointer to sql).  file names
 * the source for messages and the default sheet name.  On error the
 * message ("FILE:LINE: ...") is appended to err and TALLY_EINTERNAL
 * returned: a report's SQL is part of the program.  Release *sh either way.
 */
int report_sql_parse(struct report_sql_sheet *sh, const char *file,
    const char *sql, struct strbuf *err);
void report_sql_release(struct report_sql_sheet *sh);

/* The CSV file stem for a sheet name, as described above (caller frees);
 * "sheet" when nothing of the name is left. */
char *report_sql_slug(const char *name);

/* Is file (a path) a report's shared header rather than a sheet? */
bool report_sql_is_shared(const char *file);

/* Check that a shared header holds "column:" lines and nothing else: 0,
 * or TALLY_EINTERNAL with the reason appended to err. */
int report_sql_check_shared(const struct report_sql_sheet *sh,
    struct strbuf *err);

/* The column directive for a result column (the sheet's own, else the
 * shared one), or NULL. */
const struct report_sql_column *report_sql_column(
    const struct report_sql_sheet *sh, const char *name);

/* The XLSX header of a column without a directive: "seat_days" ->
 * "Seat days" (caller frees). */
char *report_sql_header(const char *name);

#endif
