/*
 * tally-expire - end the assignments whose plan is over (seats back to the
 * pool) and list those ending soon.  The work is lib/books/expire.c; this file
 * parses options, takes the one-run-at-a-time lock, records the run in
 * job_runs and evaluates the alerts.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "books/alert.h"
#include "base/config.h"
#include "pg/db.h"
#include "base/err.h"
#include "books/expire.h"
#include "pg/jobrun.h"
#include "base/log.h"
#include "out/table.h"
#include "base/version.h"

#define PROGRAM "tally-expire"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: " PROGRAM " [options]\n"
	    "Expire ACTIVE assignments whose ends_at is at or before the as-of\n"
	    "instant (their seats return to the pool; a suspended account stays\n"
	    "suspended), then list on stdout the assignments ending within N\n"
	    "days after it.\n"
	    "  -c, --config FILE  configuration file\n"
	    "      --as-of TIME   the instant to expire at (default: now)\n"
	    "      --days N       ending-soon window in days (default:\n"
	    "                     ending_soon_days, 3; 0: no list)\n"
	    "      --batch N      assignments per transaction (default %d)\n"
	    "      --csv, --json  the list as CSV or JSON (default: a table)\n"
	    "  -n, --dry-run      count what would expire, change nothing\n"
	    "  -h, --help         this text\n"
	    "  -V, --version      the version\n",
	    EXPIRE_BATCH_DEFAULT);
}

struct args {
	const char *config;
	const char *as_of;
	bool dry_run;
	int batch;
	long days;		/* -1: from the configuration */
	int format;
};

static int
number(const char *opt, const char *s, long max, long *out)
{
	char *end;
	long n;

	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || n < 0 || n > max) {
		log_err("%s wants a whole number from 0 to %ld", opt, max);
		return -1;
	}
	*out = n;
	return 0;
}

/* 0 to run, 1 when --help or --version was answered, -1 on a usage error. */
static int
parse(int argc, char **argv, struct args *a)
{
	enum { OPT_AS_OF = 256, OPT_BATCH, OPT_DAYS, OPT_CSV, OPT_JSON };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "as-of", required_argument, NULL, OPT_AS_OF },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "days", required_argument, NULL, OPT_DAYS },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	long n;
	int ch;

	a->days = -1;
	a->format = TABLE_TEXT;
	while ((ch = getopt_long(argc, argv, "c:nhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->config = optarg;
			break;
		case OPT_AS_OF:
			a->as_of = optarg;
			break;
		case OPT_BATCH:
			if (number("--batch", optarg, 100000, &n) != 0)
				return -1;
			if (n == 0) {
				log_err("--batch must be at least 1");
				return -1;
			}
			a->batch = (int)n;
			break;
		case OPT_DAYS:
			if (number("--days", optarg, 3650, &a->days) != 0)
				return -1;
			break;
		case OPT_CSV:
			a->format = TABLE_CSV;
			break;
		case OPT_JSON:
			a->format = TABLE_JSON;
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

int
main(int argc, char **argv)
{
	struct args a;
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	struct expire_opts o;
	struct expire_stats st;
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
	o.ending_soon_days = (int)(a.days >= 0 ? a.days : cfg.ending_soon_days);
	o.list = stdout;
	o.format = a.format;
	rc = expire_run(db, &o, &st);
	log_info("%s%lld assignment(s) expired; %lld ending within %d day(s)",
	    a.dry_run ? "dry run, nothing changed: " : "", st.expired,
	    st.ending_soon, o.ending_soon_days);
	if (jr != NULL) {
		expire_report(&st, jr);
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
