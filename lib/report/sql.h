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

#endif
