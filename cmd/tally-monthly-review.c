/*
 * tally-monthly-review - the monthly business review (utilisation,
 * retention, trends, forecast, margins).
 * The lifecycle (options, lock, job_runs, exit status) is
 * lib/jobs/batchjob.c, the report programs' part lib/jobs/reportjob.c,
 * the engine lib/report/engine.c; the queries are the files under
 * reports/monthly/, compiled in.
 */
#include "jobs/reportjob.h"

int
main(int argc, char **argv)
{
	return reportjob_main(argc, argv, "tally-monthly-review", "monthly",
	    PERIOD_MONTH, "the monthly business review (utilisation, "
	    "retention, trends, forecast, margins)");
}
