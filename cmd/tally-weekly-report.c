/*
 * tally-weekly-report - the weekly report (pool, assignments, usage,
 * revenue, issues).
 * The lifecycle (options, lock, job_runs, exit status) is
 * lib/jobs/batchjob.c, the report programs' part lib/jobs/reportjob.c,
 * the engine lib/report/engine.c; the queries are the files under
 * reports/weekly/, compiled in.
 */
#include "jobs/reportjob.h"

int
main(int argc, char **argv)
{
	return reportjob_main(argc, argv, "tally-weekly-report", "weekly",
	    PERIOD_WEEK, "the weekly report (pool, assignments, usage, "
	    "revenue, issues)");
}
