/*
 * tally-weekly-report - the weekly report (pool, assignments, usage,
 * revenue, issues).
 * The lifecycle (options, lock, job_runs, exit status) is
 * lib/jobs/batchjob.c, the report programs' part lib/jobs/reportjob.c,
 * the engine lib/report/engine.c; the queries are the files under
 * reports/weekly/, compiled in.
 */
#include "jobs/reportjob.h"

static const struct reportjob rj = { "weekly", PERIOD_WEEK };

static const struct batchjob def = {
	.program = "tally-weekly-report",
	.summary = "Write the weekly report (pool, assignments, usage, revenue, "
	    "issues).\n"
	    "Default period: the last complete ISO week before the as-of "
	    "instant.\n",
	.opts = REPORTJOB_OPTS,
	REPORTJOB_DEF(rj),
};

int
main(int argc, char **argv)
{
	return batchjob_main(&def, argc, argv);
}
