/*
 * tally-model-stats - per-model usage, processing times, errors,
 * credits, cost, peak hours and inactive models.
 * The lifecycle (options, lock, job_runs, exit status) is
 * lib/jobs/batchjob.c, the report programs' part lib/jobs/reportjob.c,
 * the engine lib/report/engine.c; the queries are the files under
 * reports/model-stats/, compiled in.
 */
#include "jobs/reportjob.h"

int
main(int argc, char **argv)
{
	return reportjob_main(argc, argv, "tally-model-stats", "model-stats",
	    PERIOD_DAY, "per-model usage, processing times, errors, credits, "
	    "cost, peak hours and inactive models");
}
