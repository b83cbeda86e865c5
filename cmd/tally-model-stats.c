/*
 * tally-model-stats - per-model usage, processing times, errors, credits,
 * cost, peak hours and inactive models.
 * Options, configuration, period, connection and exit status are
 * lib/report/cli.c, the engine lib/report/engine.c; the queries are the files
 * under reports/model-stats/, compiled in.
 */
#include "report/cli.h"

static const struct report_cli def = {
	.program = "tally-model-stats",
	.report = "model-stats",
	.summary = "Write per-model usage, processing times, errors, credits, "
	    "cost, peak hours and inactive models.",
	.default_period = PERIOD_DAY,
	.allow_days = true,
	/* reads the domain, writes its job_runs row; the queries themselves
	 * run in a read-only transaction */
	.db_role = "tally_batch",
};

int
main(int argc, char **argv)
{
	return report_cli_main(&def, argc, argv);
}
