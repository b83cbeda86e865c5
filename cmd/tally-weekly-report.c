/*
 * tally-weekly-report - the weekly report (pool, assignments, usage,
 * revenue, issues).
 * Options, configuration, period, connection and exit status are
 * lib/report/cli.c, the engine lib/report/engine.c; the queries are the files
 * under reports/weekly/, compiled in.
 */
#include "report/cli.h"

static const struct report_cli def = {
	.program = "tally-weekly-report",
	.report = "weekly",
	.summary = "Write the weekly report (pool, assignments, usage, revenue, "
	    "issues).",
	.default_period = PERIOD_WEEK,
	.allow_days = false,
	/* reads the domain, writes its job_runs row; the queries themselves
	 * run in a read-only transaction */
	.db_role = "tally_batch",
};

int
main(int argc, char **argv)
{
	return report_cli_main(&def, argc, argv);
}
