/*
 * tally-reconcile - payments, orders and fulfilments against the provider's
 * settlement and the image service's balances; typed, aged exception cases
 * kept from run to run (lib/books/reconcile.h).  The lifecycle (options,
 * lock, job_runs, exit status) is lib/jobs/batchjob.c.
 */
#include "books/reconcile.h"
#include "jobs/batchjob.h"

static struct reconcile_opts o;

static const struct batchjob_opt opts[] = {
	{ "from", 0, BATCHJOB_TEXT, &o.from, 0, 0, 0, "DATE",
	  "first day of the period (YYYY-MM-DD, in tz)" },
	{ "to", 0, BATCHJOB_TEXT, &o.to, 0, 0, 0, "DATE",
	  "the day after the last one (excluded); default:\nthe "
	  BATCHJOB_STR(RECONCILE_DEFAULT_DAYS) " days up to the as-of day" },
	{ "settlement", 0, BATCHJOB_TEXT, &o.settlement, 0, 0, 0, "FILE",
	  "a settlement export to load (CSV, columns by name;\na file, not a "
	  "pipe: it is checksummed, then loaded)" },
	{ "format", 0, BATCHJOB_TEXT, &o.format, 0, 0, 0, "F",
	  "stripe (default) or a [settlement NAME] section" },
	{ "balances", 0, BATCHJOB_TEXT, &o.balances, 0, 0, 0, "FILE",
	  "the image service's balances, CSV user,balance" },
	{ "out", 'o', BATCHJOB_TEXT, &o.out_dir, 0, 0, 0, "DIR",
	  "output directory (default: report_dir)" },
	BATCHJOB_OPT_END
};

static int
prepare(struct batchjob_ctx *ctx)
{
	o.as_of = ctx->as_of_text;
	o.dry_run = ctx->dry_run;
	return reconcile_check(ctx->cfg, &o);
}

static int
run(struct batchjob_ctx *ctx)
{
	return reconcile_run_on(ctx->db, ctx->read, ctx->cfg, &o, ctx->jr,
	    NULL);
}

static const struct batchjob def = {
	.program = RECONCILE_PROGRAM,
	.summary = "Compare payments, orders, fulfilments, seat counters and "
	    "credit ledgers\nwith each other, with a provider's settlement file "
	    "and with the image\nservice's balances; keep every problem as a "
	    "case (tallyctl case list).\nA dry run finds and shows what would "
	    "change and records nothing.\n",
	.trailer = "Exit: 0 nothing open at or above reconcile_severity, 1 "
	    "something is,\n64 usage, 65 bad settlement or balances file "
	    "(nothing recorded),\n69 database unavailable, 73 cannot write "
	    "output, 75 another run holds\nthe lock, 78 configuration.\n",
	.role = "tally_batch",
	.flags = BATCHJOB_AS_OF | BATCHJOB_DRY_RUN | BATCHJOB_READ,
	.opts = opts,
	.prepare = prepare,
	.run = run,
};

BATCHJOB_MAIN(def)
