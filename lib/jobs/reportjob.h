/*
 * reportjob.h - the report programs (tally-weekly-report,
 * tally-monthly-review, tally-model-stats) on the batch-job spine: their
 * options, prepare() and run().  The engine (lib/report/engine.h) writes
 * the files; this adds the command line's period, the job_runs counts and
 * outputs, and what goes to stdout.  A report program is a table:
 *
 *   static const struct reportjob rj = { "weekly", PERIOD_WEEK };
 *   static const struct batchjob def = {
 *	.program = "tally-weekly-report", .summary = "...",
 *	.opts = REPORTJOB_OPTS, REPORTJOB_DEF(rj) };
 *
 * Options, besides the spine's -c, --as-of, --tz, -n, -h, -V:
 *   -o, --out DIR        output directory (default: report_dir)
 *       --week 2026-W47 | --month 2026-11 | --from DATE --to DATE
 *       --days N         (REPORTJOB_OPTS_DAYS) N days ending at the as-of
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

/* The rest of a report program's table.  It reads the domain and writes
 * its job_runs row (tally_batch); the queries themselves run in a
 * read-only snapshot, on the standby when read_database_url names one. */
#define REPORTJOB_DEF(rj) \
	.role = "tally_batch", \
	.flags = BATCHJOB_AS_OF | BATCHJOB_DRY_RUN | BATCHJOB_TZ | \
	    BATCHJOB_READ, \
	.prepare = reportjob_prepare, \
	.run = reportjob_run, \
	.arg = &(rj)

/* [0] is --days: the programs that take it start at 0, the others at 1 */
extern const struct batchjob_opt reportjob_options[];
#define REPORTJOB_OPTS_DAYS (reportjob_options)
#define REPORTJOB_OPTS (reportjob_options + 1)

/* The period and the format, checked before the job_runs row. */
int reportjob_prepare(struct batchjob_ctx *ctx);
/* The report, its job_runs counts and outputs, the paths on stdout. */
int reportjob_run(struct batchjob_ctx *ctx);

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
