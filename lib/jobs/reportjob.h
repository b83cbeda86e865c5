/*
 * reportjob.h - the report programs (tally-weekly-report,
 * tally-monthly-review, tally-model-stats) on the batch-job spine: their
 * options, prepare() and run().  The engine (lib/report/engine.h) writes
 * the files; this adds the command line's period, the job_runs counts and
 * outputs, and what goes to stdout.  A report program's main() is one
 * call:
 *
 *   return reportjob_main(argc, argv, "tally-weekly-report", "weekly",
 *       PERIOD_WEEK, "the weekly report (pool, assignments, ...)");
 *
 * Options, besides the spine's -c, --as-of, --tz, -n, -h, -V:
 *   -o, --out DIR        output directory (default: report_dir)
 *       --week 2026-W47 | --month 2026-11 | --from DATE --to DATE
 *       --days N         (a daily report only) N days ending at the as-of
 *       --format F       xlsx, csv or both (default)
 * Default period: the last complete day, ISO week or month before the
 * as-of.  On success the written files are printed on stdout, one path a
 * line (a dry run prints "sheet<TAB>rows" lines).  The queries read
 * ctx->read, in one snapshot.
 */
#ifndef TALLY_REPORTJOB_H
#define TALLY_REPORTJOB_H

#include "base/period.h"
#include "jobs/batchjob.h"
#include "report/engine.h"

struct reportjob {
	const char *report;		/* reports/<report>/ */
	enum period_kind default_period;	/* PERIOD_DAY, _WEEK or _MONTH */
};

/*
 * The whole report program, on batchjob_main(): the options above; its
 * --help says "Write WHAT." and the default period.  Returns the exit
 * status.
 */
int reportjob_main(int argc, char **argv, const char *program,
    const char *report, enum period_kind default_period, const char *what);

/*
 * report_run() inside the lifecycle as program, on a connection the
 * caller has (tests; a caller with its own connections): the lock, a
 * job_runs row (none on a dry run) with the rows per sheet and the files,
 * res->job_id.  Returns what report_run() returned, or the lock's or
 * job_runs' failure.
 */
int reportjob_exec(struct db *db, const char *program, const char *report,
    const struct report_opts *o, struct report_result *res);

#endif
