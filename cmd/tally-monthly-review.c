/*
 * tally-monthly-review - the monthly business review (utilisation,
 * retention, trends, forecast, margins).
 * The lifecycle (options, lock, job_runs, exit status) is
 * lib/jobs/batchjob.c, the report programs' part lib/jobs/reportjob.c,
 * the engine lib/report/engine.c; the queries are the files under
 * reports/monthly/, compiled in.
 */
#include "jobs/reportjob.h"

static const struct reportjob rj = { "monthly", PERIOD_MONTH };

static const struct batchjob def = {
	.program = "tally-monthly-review",
	.summary = "Write the monthly business review (utilisation, retention, "
	    "trends, forecast, margins).\n"
	    "Default period: the last complete month before the as-of "
	    "instant.\n",
	.opts = REPORTJOB_OPTS,
	REPORTJOB_DEF(rj),
};

int
main(int argc, char **argv)
{
	return batchjob_main(&def, argc, argv);
}
