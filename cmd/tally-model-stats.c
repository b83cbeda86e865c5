/*
 * tally-model-stats - per-model usage, processing times, errors,
 * credits, cost, peak hours and inactive models.
 * The lifecycle (options, lock, job_runs, exit status) is
 * lib/jobs/batchjob.c, the report programs' part lib/jobs/reportjob.c,
 * the engine lib/report/engine.c; the queries are the files under
 * reports/model-stats/, compiled in.
 */
#include "jobs/reportjob.h"

static const struct reportjob rj = { "model-stats", PERIOD_DAY };

static const struct batchjob def = {
	.program = "tally-model-stats",
	.summary = "Write per-model usage, processing times, errors, credits, "
	    "cost, peak hours and inactive models.\n"
	    "Default period: the last complete day before the as-of "
	    "instant.\n",
	.opts = REPORTJOB_OPTS_DAYS,
	REPORTJOB_DEF(rj),
};

int
main(int argc, char **argv)
{
	return batchjob_main(&def, argc, argv);
}
