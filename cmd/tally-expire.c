/*
 * tally-expire - end the assignments whose plan is over (seats back to the
 * pool) and list those ending soon.  The work is lib/books/expire.c; the
 * lifecycle (options, lock, job_runs, alerts, exit status) is
 * lib/jobs/batchjob.c.
 */
#include <stdio.h>
#include <string.h>

#include "books/expire.h"
#include "base/log.h"
#include "jobs/batchjob.h"
#include "out/table.h"

static long batch, days = -1;	/* -1: ending_soon_days from the config */
static int format = TABLE_TEXT;

static const struct batchjob_opt opts[] = {
	{ "days", 0, BATCHJOB_INT, &days, 0, 3650, 0, "N",
	  "ending-soon window in days (default:\nending_soon_days, 3; 0: no "
	  "list)" },
	BATCHJOB_OPT_BATCH(batch, "assignments", EXPIRE_BATCH_DEFAULT),
	{ "csv", 0, BATCHJOB_SET, &format, 0, 0, TABLE_CSV, NULL,
	  "the list as CSV" },
	{ "json", 0, BATCHJOB_SET, &format, 0, 0, TABLE_JSON, NULL,
	  "the list as JSON (default: a table)" },
	BATCHJOB_OPT_END
};

static int
run(struct batchjob_ctx *ctx)
{
	const struct expire_opts o = {
		BATCHJOB_BOOKS_RUN(ctx, batch),
		.ending_soon_days = (int)(days >= 0 ? days :
		    ctx->cfg->ending_soon_days),
		.list = stdout,
		.format = format,
	};
	struct expire_stats st = { 0 };
	int rc;

	rc = expire_run(ctx->db, &o, &st);
	log_info("%s%lld assignment(s) expired; %lld ending within %d day(s)",
	    ctx->dry_run ? "dry run, nothing changed: " : "", st.expired,
	    st.ending_soon, o.ending_soon_days);
	expire_report(&st, ctx->jr);
	return rc;
}

static const struct batchjob def = {
	.program = "tally-expire",
	.summary = "Expire ACTIVE assignments whose ends_at is at or before "
	    "the as-of\ninstant (their seats return to the pool; a suspended "
	    "account stays\nsuspended), then list on stdout the assignments "
	    "ending within N\ndays after it.\n",
	BATCHJOB_BOOKS,
	.opts = opts,
	.run = run,
};

BATCHJOB_MAIN(def)
