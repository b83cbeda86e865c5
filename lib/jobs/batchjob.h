/*
 * batchjob.h - the one lifecycle of every batch program: tally-allocate,
 * tally-expire, tally-reconcile, the three reports and tallyctl db backup.
 * A program is a table (struct batchjob) and a run() function; its main()
 * is one call to batchjob_main(), which does, in this order:
 *
 *   1. logging, and the command line: -c/--config FILE, -h/--help,
 *      -V/--version always; --as-of TIME, -n/--dry-run and --tz ZONE
 *      when the table's flags ask for them; the program's own options
 *      (def->opts).  A usage error exits 64 before anything else.
 *   2. the configuration (78 when wrong), the time zone (--tz, else the
 *      configuration's tz / TALLY_TZ, else UTC) and --as-of, parsed with
 *      period_parse_instant_us(): one grammar for every program, to the
 *      microsecond.
 *   3. the connections, as def->role: ctx->db writes (job_runs, cases,
 *      alerts, the work itself) on the primary (TALLY_DATABASE_URL, else
 *      the embedded cluster); ctx->read reads the run's snapshot.  With
 *      BATCHJOB_READ and a read_database_url (TALLY_READ_DATABASE_URL),
 *      ctx->read is that server, a hot standby of the primary, checked
 *      to be one (readdb_check(): 78 when it is not); otherwise ctx->read
 *      is ctx->db.
 *   4. the advisory lock named def->program: when another run holds it,
 *      exit 75 at once ("another NOUN holds the lock").
 *   5. the as-of: --as-of as given, else the read connection's now(),
 *      to the microsecond: whatever committed before the run started is
 *      at or before its as-of.  Reading from a standby, the default is
 *      the instant the standby is complete up to, and an --as-of later
 *      than that waits for its replay up to read_lag_wait seconds, then
 *      exits 75 with the lag (lib/pg/readdb.h); nothing is recorded.
 *   6. def->prepare(ctx), if any: checks that need the as-of or the
 *      database; a failure here leaves no job_runs row.
 *   7. unless a dry run: RUNNING rows of the program that no run owns are
 *      marked FAILED (abandoned), and this run's job_runs row is started.
 *   8. def->run(ctx); then stdout is flushed (a failure is exit 73).
 *   9. the job_runs row finished: status from the result, the counts and
 *      outputs run() added to ctx->jr, the message from ctx->why, else
 *      the failed statement's.
 *  10. with BATCHJOB_ALERTS and a row: the alerts (alert_after_run()).
 *  11. the lock released, and the exit status from tally_exit_code():
 *      run() returns 0, TALLY_EPROBLEMS (exit 1) or a TALLY_E* failure.
 */
#ifndef TALLY_BATCHJOB_H
#define TALLY_BATCHJOB_H

#include <stdbool.h>

#include "base/config.h"
#include "base/period.h"
#include "base/strbuf.h"
#include "pg/db.h"
#include "pg/jobrun.h"

/* struct batchjob.flags */
#define BATCHJOB_AS_OF 0x01u		/* --as-of TIME */
#define BATCHJOB_DRY_RUN 0x02u		/* -n, --dry-run: no row, no alerts */
#define BATCHJOB_TZ 0x04u		/* --tz ZONE over the configuration */
#define BATCHJOB_ALERTS 0x08u		/* alerts after the row is finished */
/* Without --as-of the work takes each of its transactions' now() (a long
 * allocation gives a seat when it gives it): ctx->as_of_sql is NULL, and
 * so are job_runs.as_of and the alerts' as-of. */
#define BATCHJOB_LIVE_NOW 0x10u
/* A job_runs row that cannot be written does not stop the run (a backup
 * matters more than its record). */
#define BATCHJOB_ROW_OPTIONAL 0x20u
/* The run's reads may come from read_database_url (a hot standby): it
 * reads what it describes through ctx->read only, and writes through
 * ctx->db only. */
#define BATCHJOB_READ 0x40u

/* The table's role and flags for a program that does the books' daily
 * work (tally-allocate, tally-expire): it changes the domain as
 * tally_batch, each transaction at its own now() unless --as-of, and the
 * alerts follow. */
#define BATCHJOB_BOOKS \
	.role = "tally_batch", \
	.flags = BATCHJOB_AS_OF | BATCHJOB_DRY_RUN | BATCHJOB_ALERTS | \
	    BATCHJOB_LIVE_NOW

enum batchjob_kind {
	BATCHJOB_FLAG,		/* --x: *(bool *)target = true */
	BATCHJOB_SET,		/* --x: *(int *)target = value */
	BATCHJOB_TEXT,		/* --x VALUE: *(const char **)target = VALUE */
	BATCHJOB_INT		/* --x N, min <= N <= max: *(long *)target = N */
};

/* A program's own option; a table of them ends with a NULL name. */
struct batchjob_opt {
	const char *name;	/* the long name, without "--" */
	int letter;		/* the short option, or 0 */
	enum batchjob_kind kind;
	void *target;
	long min, max;		/* BATCHJOB_INT */
	int value;		/* BATCHJOB_SET */
	const char *arg;	/* the value's name in --help: "N", "FILE" */
	const char *help;	/* --help text; '\n' goes on under it */
};

/* A number macro as text, for --help: "(default " BATCHJOB_STR(N) ")" */
#define BATCHJOB_STR_(x) #x
#define BATCHJOB_STR(x) BATCHJOB_STR_(x)

/* The end of a table of options. */
#define BATCHJOB_OPT_END { NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL }

/* A books program's --batch N (into the long var): what one transaction
 * takes (WHAT, "events / orders") and its default (a number macro). */
#define BATCHJOB_OPT_BATCH(var, what, dflt) \
	{ "batch", 0, BATCHJOB_INT, &(var), 1, 100000, 0, "N", \
	  what " per transaction (default " BATCHJOB_STR(dflt) ")" }

/* What every books program's options take from the run (ctx) and its
 * --batch (a long): designated initialisers for its struct of options. */
#define BATCHJOB_BOOKS_RUN(ctx, batch) \
	.as_of = (ctx)->as_of_sql, \
	.dry_run = (ctx)->dry_run, \
	.batch = (int)(batch)

struct batchjob_ctx;

struct batchjob {
	const char *program;	/* job_runs.program, the lock, --version */
	const char *command;	/* as typed, for --help and the log
				 * ("tallyctl db backup"); NULL: program */
	const char *summary;	/* --help: what it does, '\n'-ended lines */
	const char *trailer;	/* --help after the options, or NULL */
	const char *role;	/* db_connect() role; NULL: the login's own */
	const char *noun;	/* "another NOUN holds the lock"; NULL: program */
	unsigned flags;
	const struct batchjob_opt *opts;	/* NULL: none */
	int (*prepare)(struct batchjob_ctx *ctx);	/* NULL: none */
	int (*run)(struct batchjob_ctx *ctx);
	const void *arg;	/* for prepare() and run(): ctx->arg */
};

struct batchjob_ctx {
	const struct batchjob *def;
	const void *arg;
	const struct config *cfg;
	struct db *db;			/* writes, on the primary */
	struct db *read;		/* the run's snapshot: standby, or db */
	bool read_apart;		/* read is not db (a standby) */
	const char *tz;			/* the report zone */
	struct period_instant as_of;	/* --as-of, else the snapshot's now() */
	bool as_of_given;
	char as_of_text[PERIOD_ISO_MAX];	/* as_of in UTC, for SQL */
	const char *as_of_sql;		/* as_of_text; NULL, see LIVE_NOW */
	bool dry_run;
	struct jobrun *jr;		/* the run's row; NULL on a dry run */
	struct strbuf why;		/* run() may say why it failed */
};

/* The whole program: returns its exit status. */
int batchjob_main(const struct batchjob *def, int argc, char **argv);
/* A program that is its table alone: main() is batchjob_main(&def). */
#define BATCHJOB_MAIN(def) \
int \
main(int argc, char **argv) \
{ \
	return batchjob_main(&(def), argc, argv); \
}

/* What batchjob_main() found on the command line and connected. */
struct batchjob_env {
	const struct config *cfg;		/* required */
	struct db *db;				/* required */
	struct db *read;			/* NULL: db; else checked */
	const char *tz;				/* NULL: the configuration's */
	const struct period_instant *as_of;	/* NULL: the snapshot's now() */
	bool dry_run;
	const void *arg;			/* NULL: def->arg */
};

/*
 * Steps 4 to 11 on connections the caller opened (batchjob_main, and
 * tests that drive a library function through the lifecycle).  Returns
 * 0, TALLY_EPROBLEMS or a TALLY_E* code, everything already logged.
 */
int batchjob_exec(const struct batchjob *def, const struct batchjob_env *env);

#endif
