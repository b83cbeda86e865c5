/*
 * tally-allocate - turn new raw events into orders, payments, usage and
 * credits; fulfil paid orders (a seat or credits); apply refunds and
 * chargebacks.  The work is lib/books/allocate.c; this file parses options,
 * takes the one-run-at-a-time lock, records the run in job_runs and
 * evaluates the alerts.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "books/alert.h"
#include "books/allocate.h"
#include "base/config.h"
#include "pg/db.h"
#include "base/err.h"
#include "pg/jobrun.h"
#include "base/log.h"
#include "base/version.h"

#define PROGRAM "tally-allocate"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: " PROGRAM " [options]\n"
	    "Normalise new payment and usage events, fulfil paid orders (a seat\n"
	    "or credits) and apply refunds and chargebacks.  Exits 0 when done,\n"
	    "1 when paid orders remain that cannot be fulfilled, 75 when another\n"
	    "run holds the lock.\n"
	    "  -c, --config FILE  configuration file\n"
	    "      --as-of TIME   the instant taken as now for plan starts and\n"
	    "                     alerts (default: now)\n"
	    "      --batch N      events / orders per transaction (default %d)\n"
	    "  -j, --jobs N       database connections working at once\n"
	    "                     (default %d: one more than the CPUs)\n"
	    "  -n, --dry-run      do the work in a transaction, report, roll back\n"
	    "  -h, --help         this text\n"
	    "  -V, --version      the version\n",
	    ALLOCATE_BATCH_DEFAULT, allocate_default_jobs());
}

struct args {
	const char *config;
	const char *as_of;
	bool dry_run;
	int batch;
	int jobs;
};

/* 0 to run, 1 when --help or --version was answered, -1 on a usage error. */
static int
parse(int argc, char **argv, struct args *a)
{
	enum { OPT_AS_OF = 256, OPT_BATCH };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "as-of", required_argument, NULL, OPT_AS_OF },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "jobs", required_argument, NULL, 'j' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	long n;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:j:nhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->config = optarg;
			break;
		case OPT_AS_OF:
			a->as_of = optarg;
			break;
		case OPT_BATCH:
			n = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || n < 1 || n > 100000) {
				log_err("--batch wants a number from 1 to 100000");
				return -1;
			}
			a->batch = (int)n;
			break;
		case 'j':
			n = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || n < 1 || n > 16) {
				log_err("--jobs wants a number from 1 to 16");
				return -1;
			}
			a->jobs = (int)n;
			break;
		case 'n':
			a->dry_run = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf(PROGRAM " %s\n", TALLY_VERSION);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		log_err("unexpected argument %s", argv[optind]);
		return -1;
	}
	return 0;
}

static void
summary(const struct allocate_stats *st, bool dry_run)
{
	log_info("%s%lld event(s): %lld done, %lld failed, %lld ignored; "
	    "fulfilled %lld seat(s), %lld credit package(s); %lld without "
	    "room, %lld blocked; %lld revoked, %lld debited; %lld waiting",
	    dry_run ? "dry run, nothing kept: " : "", st->ev.events,
	    st->ev.done, st->ev.failed, st->ev.ignored, st->seats, st->credits,
	    st->no_room, st->blocked, st->ev.revoked, st->ev.debited,
	    st->waiting);
}

int
main(int argc, char **argv)
{
	struct args a;
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	struct allocate_opts o;
	struct allocate_stats st;
	struct jobrun *jr = NULL;
	struct db *db = NULL;
	char *as_of = NULL;
	bool locked = false;
	int rc;

	log_init(PROGRAM);
	memset(&a, 0, sizeof(a));
	memset(&st, 0, sizeof(st));
	if ((rc = parse(argc, argv, &a)) != 0)
		return rc > 0 ? EX_OK : EX_USAGE;
	if ((rc = config_load(&cfg, a.config, &err)) != 0) {
		fputs(strbuf_str(&err), stderr);
		goto out;
	}
	if ((rc = db_connect(&db, PROGRAM, "tally_batch")) != 0)
		goto out;
	if ((rc = db_try_lock(db, PROGRAM)) != 0) {
		if (rc == TALLY_ELOCKED)
			log_notice("another " PROGRAM " is running; not starting");
		else
			log_err("cannot take the run lock: %s", db_errmsg(db));
		goto out;
	}
	locked = true;
	if ((rc = jobrun_as_of(db, a.as_of, &as_of)) != 0)
		goto out;
	if (!a.dry_run && ((rc = jobrun_reap(db, PROGRAM, NULL)) != 0 ||
	    (rc = jobrun_start(db, PROGRAM, as_of, &jr)) != 0))
		goto out;

	memset(&o, 0, sizeof(o));
	o.as_of = as_of;
	o.dry_run = a.dry_run;
	o.batch = a.batch;
	o.signup_grant = cfg.signup_grant;
	o.fulfil_sla_minutes = cfg.fulfil_sla_minutes;
	o.jobs = a.jobs > 0 ? a.jobs : allocate_default_jobs();
	o.role = "tally_batch";
	o.cfg = &cfg;
	rc = allocate_run(db, &o, &st);
	summary(&st, a.dry_run);
	if (jr != NULL) {
		allocate_report(&st, jr);
		/* the failed statement's message, when a statement failed */
		jobrun_finish(jr, rc, rc != 0 && rc != TALLY_EPROBLEMS &&
		    db_errmsg(db)[0] != '\0' ? db_errmsg(db) : NULL);
		jr = NULL;
		alert_after_run(db, &cfg, PROGRAM, as_of);
	}
out:
	/* released explicitly: the server drops a closed session's locks
	 * only when its backend has finished exiting, and the next run may
	 * already be knocking */
	if (locked)
		(void)db_unlock(db, PROGRAM);
	jobrun_free(jr);
	free(as_of);
	db_free(db);
	config_free(&cfg);
	strbuf_release(&err);
	return tally_exit_code(rc);
}
