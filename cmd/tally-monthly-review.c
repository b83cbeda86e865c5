/*
 * tally-monthly-review - the monthly business review (utilisation,
 * retention, trends, forecast, margins).
 * Options, configuration, period, connection and exit status are
 * lib/report/cli.c, the engine lib/report/engine.c; the queries are the files
 * under reports/monthly/, compiled in.
 */
#include "report/cli.h"

static const struct report_cli def = {
	.program = "tally-monthly-review",
	.report = "monthly",
	.summary = "Write the monthly business review (utilisation, retention, "
	    "trends, forecast, margins).",
	.default_period = PERIOD_MONTH,
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
