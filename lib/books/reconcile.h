/*
 * reconcile.h - tally-reconcile: payments, orders and fulfilments against
 * the provider's settlement and the image service's balances, with every
 * problem kept as a typed case (sql/030_reconcile.sql) from run to run.
 *
 * The program's lifecycle (lock, job_runs row, exit status) is the
 * batch-job spine's (lib/jobs/batchjob.h); reconcile_check() is its
 * prepare step and reconcile_run_on() its work.  One run, in one
 * REPEATABLE READ transaction (so every category sees the same snapshot,
 * and a failed run records nothing):
 *   1. load the settlement file, if any (lib/books/settlement.h: the whole file
 *      is checked first; a bad line fails the run with TALLY_EDATA);
 *   2. match earlier settlement rows that have no payment yet;
 *   3. find every category's problems (lib/books/reconcile_find.c);
 *   4. cases: reopen accepted ones whose date has passed, count again the
 *      ones found again, open new ones, close the ones in the run's scope
 *      that were not found;
 *   5. record the run (reconcile_runs).
 * Then, after the commit, the workbook and CSVs (reports/reconcile/), and
 * the counts and outputs on the run's job_runs row.  A dry run does 1-4,
 * prints what would change, and rolls everything back.
 *
 * Matching on a hot standby (a read connection, lib/pg/readdb.h), the
 * run takes two transactions on the primary: 1-2 with the run RUNNING in
 * reconcile_runs, committed; then, once the standby has replayed that
 * commit (waiting up to read_lag_wait), 3 read on the standby in one
 * read-only snapshot and streamed to the primary, and 4-5 there.  A bad
 * file still records nothing (1 fails); a later failure leaves the run
 * FAILED and the settlement rows loaded (loading them again changes
 * nothing).  The exception report reads the cases just kept, on the
 * primary.  A dry run matches on the primary: what it loads is never
 * committed, so no standby could see it.
 *
 * Scope: a case of a category about dated things (a payment, a settlement
 * row) is closed only by a run whose period contains its date; a case
 * about state (a counter, a balance, an open dispute) by any run.
 */
#ifndef TALLY_RECONCILE_H
#define TALLY_RECONCILE_H

#include <stdbool.h>
#include <time.h>

#include "base/config.h"
#include "pg/db.h"
#include "base/period.h"
#include "books/settlement.h"
#include "base/strbuf.h"
#include "pg/jobrun.h"

/* The period when neither --from nor --to is given: this many days
 * ending at the as-of instant (long enough for the >30-day aging bucket). */
#define RECONCILE_DEFAULT_DAYS 90
/* ACTIVE assignments past ends_at by this much: tally-expire is stuck. */
#define RECONCILE_STUCK_MINUTES 60
/* The program: its lock, job_runs.program, the audit actor. */
#define RECONCILE_PROGRAM "tally-reconcile"

struct reconcile_opts {
	const char *from;	/* YYYY-MM-DD, included; NULL: see above */
	const char *to;		/* YYYY-MM-DD, excluded */
	const char *as_of;	/* an instant (lib/base/period.h): the run's */
	const char *settlement;	/* a settlement file, or NULL */
	const char *format;	/* "stripe" (NULL) or a [settlement NAME] */
	const char *balances;	/* a CSV of user,balance, or NULL */
	const char *out_dir;	/* NULL: the config's report_dir */
	bool dry_run;
	bool quiet;		/* tests: no paths on stdout */
};

struct reconcile_result {
	long long run_id;	/* reconcile_runs.id; 0 on a dry run */
	long long found;	/* problems found by this run */
	long long opened;	/* of which new cases */
	long long closed;	/* cases this run closed */
	long long reopened;	/* accepted cases whose date had passed */
	long long open_total;	/* OPEN cases after the run */
	long long open_alerting;	/* of which at or above the severity */
	struct settlement_stats settlement;
	struct period period;
	struct period_instant as_of;
};

/*
 * Resolve the period and as-of instant from opts in the config's zone.
 * TALLY_EUSAGE (message in err) for bad dates or --to not after --from.
 */
int reconcile_period(const struct config *cfg, const struct reconcile_opts *o,
    struct period *p, struct period_instant *as_of, struct strbuf *err);

/*
 * What can be checked before a run is recorded: the period, the
 * settlement format, that the files can be read.  0, or TALLY_EUSAGE,
 * TALLY_ECONFIG, TALLY_EDATA (logged).
 */
int reconcile_check(const struct config *cfg, const struct reconcile_opts *o);

/*
 * One run on db (connected as tally_batch, holding the program's lock).
 * jr is the run's job_runs row (NULL: none, as on a dry run): its id goes
 * into reconcile_runs, the counts and the report's files onto it.
 * Returns 0 when no OPEN case is at or above cfg->reconcile_severity,
 * TALLY_EPROBLEMS when one is, or a failure: TALLY_EDATA (bad settlement
 * or balances file: nothing recorded), TALLY_ECONFIG, TALLY_EUSAGE,
 * TALLY_EIO (output), database errors.  Everything the user should read
 * is logged.  r may be NULL.
 */
int reconcile_run(struct db *db, const struct config *cfg,
    const struct reconcile_opts *o, struct jobrun *jr,
    struct reconcile_result *r);
/* The same, matching on read: a hot standby of db, or another connection
 * to it (NULL or db: as reconcile_run()). */
int reconcile_run_on(struct db *db, struct db *read, const struct config *cfg,
    const struct reconcile_opts *o, struct jobrun *jr,
    struct reconcile_result *r);

#endif
