/*
 * report_cli.h - the command line every report program shares
 * (tally-weekly-report, tally-monthly-review, tally-model-stats): the
 * options, the configuration, the period, the connection and the exit
 * status, so each cmd/ main is a table and one call, and what is worth
 * testing lives in lib/.
 *
 *   -c, --config FILE    configuration (default: $TALLY_CONFIG, ...)
 *   -o, --out DIR        output directory (default: report_dir)
 *       --as-of TIME     the instant the report describes (default: now)
 *       --week 2026-W47 | --month 2026-11 | --from DATE --to DATE
 *       --days N         (programs that allow it) N days ending at as-of
 *       --tz ZONE        report time zone (default: tz, TALLY_TZ, UTC)
 *       --format F       xlsx, csv or both (default)
 *   -n, --dry-run        run the queries, print row counts, write nothing
 *   -h, --help / -V, --version
 *
 * On success the written files are printed on stdout, one path a line (a
 * dry run prints "sheet<TAB>rows" lines); errors go to stderr.  Exit
 * status from tally_exit_code(): 0, 64 usage, 69 database unavailable,
 * 70 internal, 73 cannot create output, 78 configuration.
 */
#ifndef TALLY_REPORT_CLI_H
#define TALLY_REPORT_CLI_H

#include <stdbool.h>

#include "base/period.h"

struct report_cli {
	const char *program;	/* "tally-model-stats": job_runs, logs */
	const char *report;	/* "model-stats": reports/<report>/ */
	const char *summary;	/* one line for --help */
	enum period_kind default_period;	/* PERIOD_DAY, _WEEK or _MONTH */
	bool allow_days;	/* accept --days N */
	/* the role the program runs as (db_connect): one that may read the
	 * domain and write job_runs, tally_batch until tally_report may */
	const char *db_role;
};

/* Run the program; returns the process exit status. */
int report_cli_main(const struct report_cli *def, int argc, char **argv);

#endif
