/*
 * tally-allocate - turn new raw events into orders, payments, usage and
 * credits; fulfil paid orders (a seat or credits); apply refunds and
 * chargebacks.  The work is lib/books/allocate.c; the lifecycle (options,
 * lock, job_runs, alerts, exit status) is lib/jobs/batchjob.c.
 */
#include <stdio.h>
#include <string.h>

#include "books/allocate.h"
#include "base/log.h"
#include "jobs/batchjob.h"

static long batch, jobs;

static const struct batchjob_opt opts[] = {
	BATCHJOB_OPT_BATCH(batch, "events / orders", ALLOCATE_BATCH_DEFAULT),
	{ "jobs", 'j', BATCHJOB_INT, &jobs, 1, 16, 0, "N",
	  "database connections working at once\n(default: one more than "
	  "the CPUs, 2 to 8)" },
	BATCHJOB_OPT_END
};

static int
run(struct batchjob_ctx *ctx)
{
	const struct allocate_opts o = {
		BATCHJOB_BOOKS_RUN(ctx, batch),
		.signup_grant = ctx->cfg->signup_grant,
		.fulfil_sla_minutes = ctx->cfg->fulfil_sla_minutes,
		.jobs = jobs > 0 ? (int)jobs : allocate_default_jobs(),
		.role = ctx->def->role,
		.cfg = ctx->cfg,	/* the Midtrans and Xendit status APIs */
	};
	struct allocate_stats st = { 0 };
	int rc;

	rc = allocate_run(ctx->db, &o, &st);
	log_info("%s%lld event(s): %lld done, %lld failed, %lld ignored; "
	    "fulfilled %lld seat(s), %lld credit package(s); %lld without "
	    "room, %lld blocked; %lld revoked, %lld debited; %lld waiting",
	    ctx->dry_run ? "dry run, nothing kept: " : "", st.ev.events,
	    st.ev.done, st.ev.failed, st.ev.ignored, st.seats, st.credits,
	    st.no_room, st.blocked, st.ev.revoked, st.ev.debited, st.waiting);
	allocate_report(&st, ctx->jr);
	return rc;
}

static const struct batchjob def = {
	.program = "tally-allocate",
	.summary = "Normalise new payment and usage events, fulfil paid orders "
	    "(a seat\nor credits) and apply refunds and chargebacks.\n",
	.trailer = "Exit: 0 done, 1 paid orders remain that cannot be "
	    "fulfilled or are held,\n75 another run holds the lock.\n",
	BATCHJOB_BOOKS,
	.opts = opts,
	.run = run,
};

BATCHJOB_MAIN(def)
