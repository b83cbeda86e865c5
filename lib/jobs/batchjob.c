/*
 * batchjob.c - the batch-job spine (batchjob.h): the command line, the
 * configuration, the connections, the lock, the as-of, job_runs, the
 * alerts and the exit status, once for every batch program.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/argnum.h"
#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "base/version.h"
#include "books/alert.h"
#include "jobs/batchjob.h"
#include "pg/readdb.h"

/* getopt_long values of the long-only options */
enum { OPT_AS_OF = 1000, OPT_TZ, OPT_OWN = 2000 };

/* where --help starts an option's text */
#define HELP_COLUMN 23

struct args {
	const char *config;
	const char *as_of;
	const char *tz;
	bool dry_run;
};

static const char *
command(const struct batchjob *def)
{
	return def->command != NULL ? def->command : def->program;
}

/* "  -x, --name ARG     text", the text's further lines under it. */
static void
help_line(FILE *fp, int letter, const char *name, const char *arg,
    const char *help)
{
	const char *p = help, *nl;
	int n;

	n = fprintf(fp, "  %c%c%c --%s%s%s", letter != 0 ? '-' : ' ',
	    letter != 0 ? letter : ' ', letter != 0 ? ',' : ' ', name,
	    arg != NULL ? " " : "", arg != NULL ? arg : "");
	if (n >= HELP_COLUMN - 1) {
		fputc('\n', fp);
		n = 0;
	}
	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		fprintf(fp, "%*s%.*s\n", HELP_COLUMN - n, "",
		    nl != NULL ? (int)(nl - p) : (int)strlen(p), p);
		n = 0;
		p = nl != NULL ? nl + 1 : NULL;
	}
}

static void
usage(const struct batchjob *def, FILE *fp)
{
	struct strbuf text = STRBUF_INIT;

	fprintf(fp, "usage: %s [options]\n%s\n", command(def), def->summary);
	help_line(fp, 'c', "config", "FILE", "configuration file (default: "
	    "$TALLY_CONFIG,\n/etc/tally/tally.conf, ./tally.conf)");
	if (def->flags & BATCHJOB_AS_OF) {
		strbuf_addstr(&text, def->flags & BATCHJOB_LIVE_NOW ?
		    "the instant taken as now (default: each\n"
		    "transaction's own now())" :
		    "the instant the run describes (default: the\n"
		    "database's now(), to the microsecond)");
		strbuf_addstr(&text, ", e.g. 2026-11-17,\n2026-11-17T10:00, "
		    "2026-11-17 10:00:00.25+01:00\n(no offset: local time in the "
		    "zone)");
		if (def->flags & BATCHJOB_READ)
			strbuf_addstr(&text, ".  Read from a standby\n"
			    "(read_database_url): by default the instant it\n"
			    "has replayed up to; a later --as-of waits up to\n"
			    "read_lag_wait s for it, then exits 75");
		help_line(fp, 0, "as-of", "TIME", text.buf);
		strbuf_release(&text);
	}
	if (def->flags & BATCHJOB_TZ)
		help_line(fp, 0, "tz", "ZONE", "report time zone (default: tz, "
		    "TALLY_TZ, UTC)");
	for (const struct batchjob_opt *o = def->opts; o != NULL &&
	    o->name != NULL; o++)
		help_line(fp, o->letter, o->name, o->kind == BATCHJOB_TEXT ||
		    o->kind == BATCHJOB_INT ? o->arg : NULL, o->help);
	if (def->flags & BATCHJOB_DRY_RUN)
		help_line(fp, 'n', "dry-run", NULL, "do the work, show what it "
		    "would change, keep\nnothing (no job_runs row, no alerts)");
	help_line(fp, 'h', "help", NULL, "this text");
	help_line(fp, 'V', "version", NULL, "the version");
	if (def->trailer != NULL)
		fputs(def->trailer, fp);
}

static int
set_own(const struct batchjob_opt *o, const char *val)
{
	long long v;

	switch (o->kind) {
	case BATCHJOB_FLAG:
		*(bool *)o->target = true;
		return 0;
	case BATCHJOB_SET:
		*(int *)o->target = o->value;
		return 0;
	case BATCHJOB_TEXT:
		*(const char **)o->target = val;
		return 0;
	case BATCHJOB_INT:
		if (argnum_parse(val, o->min, o->max, &v) != 0) {
			log_err("--%s wants a whole number from %ld to %ld, not "
			    "'%s'", o->name, o->min, o->max, val);
			return TALLY_EUSAGE;
		}
		*(long *)o->target = (long)v;
		return 0;
	}
	return TALLY_EINTERNAL;
}

/* The getopt_long tables of the common options and the program's. */
static void
build_options(const struct batchjob *def, struct option **out,
    struct strbuf *shorts)
{
	size_t n = 0, i = 0;
	struct option *lo;

	while (def->opts != NULL && def->opts[n].name != NULL)
		n++;
	lo = xcalloc(n + 7, sizeof(*lo));
	lo[i++] = (struct option){ "config", required_argument, NULL, 'c' };
	lo[i++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[i++] = (struct option){ "version", no_argument, NULL, 'V' };
	strbuf_addstr(shorts, ":c:hV");
	if (def->flags & BATCHJOB_AS_OF)
		lo[i++] = (struct option){ "as-of", required_argument, NULL,
		    OPT_AS_OF };
	if (def->flags & BATCHJOB_TZ)
		lo[i++] = (struct option){ "tz", required_argument, NULL, OPT_TZ };
	if (def->flags & BATCHJOB_DRY_RUN) {
		lo[i++] = (struct option){ "dry-run", no_argument, NULL, 'n' };
		strbuf_addch(shorts, 'n');
	}
	for (size_t k = 0; k < n; k++) {
		const struct batchjob_opt *o = &def->opts[k];
		int has = o->kind == BATCHJOB_TEXT || o->kind == BATCHJOB_INT;

		lo[i++] = (struct option){ o->name, has ? required_argument :
		    no_argument, NULL, o->letter != 0 ? o->letter :
		    OPT_OWN + (int)k };
		if (o->letter != 0) {
			strbuf_addch(shorts, (char)o->letter);
			if (has)
				strbuf_addch(shorts, ':');
		}
	}
	*out = lo;
}

static const struct batchjob_opt *
find_own(const struct batchjob *def, int ch)
{
	for (size_t k = 0; def->opts != NULL && def->opts[k].name != NULL; k++)
		if (ch == OPT_OWN + (int)k || (def->opts[k].letter != 0 &&
		    ch == def->opts[k].letter))
			return &def->opts[k];
	return NULL;
}

/* 0 to run, 1 when --help or --version was answered, TALLY_EUSAGE. */
static int
parse(const struct batchjob *def, int argc, char **argv, struct args *a)
{
	struct strbuf shorts = STRBUF_INIT;
	struct option *lo = NULL;
	const struct batchjob_opt *o;
	int ch, rc = 0;

	memset(a, 0, sizeof(*a));
	build_options(def, &lo, &shorts);
	opterr = 0;
	optind = 0;		/* GNU: start afresh (tallyctl parsed before) */
	while (rc == 0 && (ch = getopt_long(argc, argv, shorts.buf, lo,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->config = optarg;
			break;
		case 'h':
			usage(def, stdout);
			rc = 1;
			break;
		case 'V':
			printf("%s %s\n", def->program, TALLY_VERSION);
			rc = 1;
			break;
		case 'n':
			a->dry_run = true;
			break;
		case OPT_AS_OF:
			a->as_of = optarg;
			break;
		case OPT_TZ:
			a->tz = optarg;
			break;
		case ':':
			log_err("option %s needs a value", argv[optind - 1]);
			rc = TALLY_EUSAGE;
			break;
		default:
			if ((o = find_own(def, ch)) != NULL) {
				rc = set_own(o, optarg);
				break;
			}
			log_err("unknown option %s (try %s --help)",
			    argv[optind - 1], command(def));
			rc = TALLY_EUSAGE;
			break;
		}
	}
	if (rc == 0 && optind < argc) {
		log_err("unexpected argument \"%s\" (try %s --help)", argv[optind],
		    command(def));
		rc = TALLY_EUSAGE;
	}
	free(lo);
	strbuf_release(&shorts);
	return rc;
}

static const char *
config_zone(const struct config *cfg)
{
	return cfg->tz != NULL && cfg->tz[0] != '\0' ? cfg->tz : "UTC";
}

/* One log record per line of a configuration error. */
static void
log_lines(const char *s)
{
	while (*s != '\0') {
		size_t n = strcspn(s, "\n");

		if (n > 0)
			log_err("%.*s", (int)n, s);
		s += n + (s[n] == '\n');
	}
}

/* The read connection of a program that may read from a standby. */
static int
connect_read(const struct batchjob *def, const struct config *cfg,
    struct db **out)
{
	const char *url = cfg->read_database_url;
	int rc;

	*out = NULL;
	if (!(def->flags & BATCHJOB_READ) || url == NULL || url[0] == '\0')
		return 0;
	/* said here, with the right name: db.c speaks of TALLY_DATABASE_URL */
	if (db_conninfo_check("read_database_url (TALLY_READ_DATABASE_URL)",
	    url, NULL) != 0) {
		log_err("read_database_url (TALLY_READ_DATABASE_URL) is not a "
		    "valid connection string");
		return TALLY_ECONFIG;
	}
	rc = db_connect_url(out, url, def->program, def->role);
	if (rc != 0)
		log_err("cannot connect to the read database "
		    "(read_database_url, TALLY_READ_DATABASE_URL)");
	return rc;
}

int
batchjob_main(const struct batchjob *def, int argc, char **argv)
{
	struct args a;
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	struct batchjob_env env;
	struct period_instant as_of;
	struct db *db = NULL, *read = NULL;
	const char *tz;
	int rc;

	log_init(command(def));
	if ((rc = parse(def, argc, argv, &a)) != 0)
		return rc > 0 ? EX_OK : tally_exit_code(rc);
	if ((rc = config_load(&cfg, a.config, &err)) != 0) {
		log_lines(strbuf_str(&err));
		goto done;
	}
	tz = a.tz != NULL ? a.tz : config_zone(&cfg);
	/* a program that cuts periods in the zone checks it at once; the
	 * others only when an --as-of without an offset needs it */
	if ((a.tz != NULL || (def->flags & BATCHJOB_TZ)) &&
	    !period_tz_valid(tz)) {
		log_err("unknown time zone \"%s\" (%s: an IANA name such as "
		    "Europe/Berlin, or UTC)", tz, a.tz != NULL ? "--tz" :
		    "tz, TALLY_TZ");
		rc = a.tz != NULL ? TALLY_EUSAGE : TALLY_ECONFIG;
		goto done;
	}
	memset(&env, 0, sizeof(env));
	if (a.as_of != NULL) {
		if (period_parse_instant_us(a.as_of, tz, &as_of) != 0) {
			log_err("bad --as-of \"%s\" (want 2026-11-17, "
			    "2026-11-17T10:00, 2026-11-17T09:00:00.25Z or "
			    "2026-11-17 10:00+01:00)", a.as_of);
			rc = TALLY_EUSAGE;
			goto done;
		}
		env.as_of = &as_of;
	}
	if ((rc = db_connect(&db, def->program, def->role)) != 0 ||
	    (rc = connect_read(def, &cfg, &read)) != 0)
		goto done;
	env.cfg = &cfg;
	env.db = db;
	env.read = read;
	env.tz = tz;
	env.dry_run = a.dry_run;
	rc = batchjob_exec(def, &env);
done:
	db_free(read);
	db_free(db);
	config_free(&cfg);
	strbuf_release(&err);
	return tally_exit_code(rc);
}

/* The as-of: as given, or the snapshot's own time to the microsecond. */
static int
take_as_of(struct batchjob_ctx *ctx, const struct period_instant *given)
{
	char *now = NULL;
	int rc = 0;

	if (ctx->read_apart) {
		rc = readdb_as_of(ctx->db, ctx->read, given,
		    ctx->cfg->read_lag_wait, &ctx->as_of, &ctx->why);
		if (rc != 0) {
			log_err("%s", strbuf_str(&ctx->why));
			return rc;
		}
		ctx->as_of_given = given != NULL;
	} else if (given != NULL) {
		ctx->as_of = *given;
		ctx->as_of_given = true;
	} else {
		rc = db_query_value(ctx->read, &now, "SELECT to_char(now()"
		    " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
		    0, NULL);
		if (rc == 0 && (now == NULL ||
		    period_parse_instant_us(now, "UTC", &ctx->as_of) != 0))
			rc = TALLY_EINTERNAL;
		if (rc != 0)
			log_err("%s: cannot read the database's time: %s",
			    ctx->def->program, db_errmsg(ctx->read));
		free(now);
		if (rc != 0)
			return rc;
	}
	period_format_utc_us(ctx->as_of, ctx->as_of_text);
	ctx->as_of_sql = ctx->as_of_given ||
	    !(ctx->def->flags & BATCHJOB_LIVE_NOW) ? ctx->as_of_text : NULL;
	return 0;
}

static int
start_row(struct batchjob_ctx *ctx)
{
	const char *program = ctx->def->program;
	int rc;

	if (ctx->dry_run)
		return 0;
	/* only correct under the lock: no other run of ours is alive */
	rc = jobrun_reap(ctx->db, program, NULL);
	if (rc == 0)
		rc = jobrun_start(ctx->db, program, ctx->as_of_sql, &ctx->jr);
	if (rc != 0 && (ctx->def->flags & BATCHJOB_ROW_OPTIONAL)) {
		log_warning("this run is not recorded in job_runs");
		rc = 0;
	}
	return rc;
}

/* Failures whose cause the last failed statement names. */
static bool
from_database(int rc)
{
	return rc == TALLY_EDB || rc == TALLY_EUNAVAIL || rc == TALLY_ERETRY ||
	    rc == TALLY_ECONFLICT || rc == TALLY_EDATA;
}

/* True when there was a row to finish. */
static bool
finish_row(struct batchjob_ctx *ctx, int rc)
{
	const char *msg = NULL;

	if (ctx->jr == NULL)
		return false;
	if (ctx->why.len > 0)
		msg = ctx->why.buf;
	else if (from_database(rc) && db_errmsg(ctx->db)[0] != '\0')
		msg = db_errmsg(ctx->db);
	(void)jobrun_finish(ctx->jr, rc, msg);
	ctx->jr = NULL;
	return true;
}

int
batchjob_exec(const struct batchjob *def, const struct batchjob_env *env)
{
	struct batchjob_ctx ctx;
	bool locked = false;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.def = def;
	ctx.arg = env->arg != NULL ? env->arg : def->arg;
	ctx.cfg = env->cfg;
	ctx.db = env->db;
	ctx.read = env->read != NULL ? env->read : env->db;
	ctx.read_apart = ctx.read != ctx.db;
	ctx.tz = env->tz != NULL ? env->tz : config_zone(env->cfg);
	ctx.dry_run = env->dry_run;
	strbuf_init(&ctx.why);

	if (ctx.read_apart && (rc = readdb_check(ctx.db, ctx.read,
	    &ctx.why)) != 0) {
		log_err("%s", strbuf_str(&ctx.why));
		goto done;
	}
	if ((rc = db_try_lock(ctx.db, def->program)) != 0) {
		if (rc == TALLY_ELOCKED)
			log_notice("another %s holds the lock; not starting (try "
			    "again later)", def->noun != NULL ? def->noun :
			    def->program);
		else
			log_err("%s: cannot take the run lock: %s", def->program,
			    db_errmsg(ctx.db));
		goto done;
	}
	locked = true;
	if ((rc = take_as_of(&ctx, env->as_of)) != 0 ||
	    (def->prepare != NULL && (rc = def->prepare(&ctx)) != 0) ||
	    (rc = start_row(&ctx)) != 0)
		goto done;
	rc = def->run(&ctx);
	if (fflush(stdout) != 0 && (rc == 0 || rc == TALLY_EPROBLEMS)) {
		log_err("cannot write to standard output");
		rc = TALLY_EIO;
	}
	if (finish_row(&ctx, rc) && (def->flags & BATCHJOB_ALERTS))
		alert_after_run(ctx.db, ctx.cfg, def->program, ctx.as_of_sql);
done:
	/* released explicitly: the server drops a closed session's locks
	 * only when its backend has finished exiting, and the next run may
	 * already be knocking */
	if (locked)
		(void)db_unlock(ctx.db, def->program);
	strbuf_release(&ctx.why);
	return rc;
}
