/*
 * reconcile.c - one tally-reconcile run: load, match, find, keep cases,
 * write the report.  The SQL of each category is in reconcile_find.c; the
 * settlement file is lib/books/settlement.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pg/audit.h"
#include "out/csvin.h"
#include "base/err.h"
#include "base/fsutil.h"
#include "pg/jobrun.h"
#include "base/log.h"
#include "base/money.h"
#include "books/reconcile.h"
#include "books/reconcile_find.h"
#include "pg/query.h"
#include "pg/readdb.h"
#include "report/engine.h"
#include "out/table.h"

/* db_transaction's fn returns this to roll a dry run back. */
#define RUN_ROLLBACK 1
/* work_mem for the run's transaction (see run_tx). */
#define RECONCILE_WORK_MEM "64MB"
/* What a run that kept failing to serialize says. */
#define KEPT_CHANGING "the data kept changing under the run; try again"
/* Rows of a balances file sent per INSERT. */
#define BALANCES_BATCH 1000

struct run {
	struct db *db;
	struct db *read;			/* a standby: matching there */
	const struct config *cfg;
	const struct reconcile_opts *o;
	const struct settlement_format *fmt;	/* NULL: no settlement file */
	const char *sha256;			/* of the settlement file */
	long long job_id;			/* 0: none (dry run) */
	struct reconcile_result *r;
	char from[PERIOD_ISO_MAX], to[PERIOD_ISO_MAX], as_of[PERIOD_ISO_MAX];
	const char *tz;
	char num[5][32];			/* rc_params' numbers */
	/* RECONCILE_PARAMS_SQL's parameters */
	const char *params[RECONCILE_NPARAMS];
	struct strbuf err;			/* bad lines of an input file */
};

static const char *
config_tz(const struct config *cfg)
{
	return cfg->tz != NULL && cfg->tz[0] != '\0' ? cfg->tz : "UTC";
}

/* A date n days from s (YYYY-MM-DD), as YYYY-MM-DD in out. */
static int
date_add(const char *s, long n, char out[16])
{
	struct period_date d;

	if (period_parse_date(s, &d) != 0)
		return TALLY_EUSAGE;
	d = period_from_days(period_days(d) + n);
	snprintf(out, 16, "%04d-%02d-%02d", d.year % 10000, d.month, d.day);
	return 0;
}

int
reconcile_period(const struct config *cfg, const struct reconcile_opts *o,
    struct period *p, struct period_instant *as_of, struct strbuf *err)
{
	const char *tz = config_tz(cfg);
	struct period_date today;
	char from[16], last[16], day[16];
	int rc;

	if (!period_tz_valid(tz)) {
		strbuf_addf(err, "unknown time zone \"%s\" (tz, TALLY_TZ)", tz);
		return TALLY_ECONFIG;
	}
	if (o->as_of == NULL) {
		strbuf_addstr(err, "no as-of instant");
		return TALLY_EUSAGE;
	}
	if (period_parse_instant_us(o->as_of, tz, as_of) != 0) {
		strbuf_addf(err, "bad --as-of \"%s\" (want 2026-11-17, "
		    "2026-11-17T10:00 or 2026-11-17T09:00:00.25Z)", o->as_of);
		return TALLY_EUSAGE;
	}
	if ((rc = period_local_date(as_of->sec, tz, &today)) != 0) {
		strbuf_addstr(err, "cannot place the as-of instant in the time zone");
		return rc;
	}
	snprintf(day, sizeof(day), "%04d-%02d-%02d", today.year % 10000,
	    today.month, today.day);
	/* --to is excluded (the day after the last one); without it the
	 * period ends with the as-of day, without --from it is
	 * RECONCILE_DEFAULT_DAYS long */
	if (o->to != NULL) {
		if (date_add(o->to, -1, last) != 0) {
			strbuf_addf(err, "bad --to \"%s\" (want YYYY-MM-DD)", o->to);
			return TALLY_EUSAGE;
		}
	} else {
		memcpy(last, day, sizeof(last));
	}
	if (o->from != NULL) {
		struct period_date d;

		if (period_parse_date(o->from, &d) != 0) {
			strbuf_addf(err, "bad --from \"%s\" (want YYYY-MM-DD)",
			    o->from);
			return TALLY_EUSAGE;
		}
		snprintf(from, sizeof(from), "%04d-%02d-%02d", d.year % 10000,
		    d.month, d.day);
	} else if (date_add(last, -(RECONCILE_DEFAULT_DAYS - 1), from) != 0) {
		return TALLY_EINTERNAL;
	}
	if (period_range(p, from, last, tz) != 0) {
		strbuf_addf(err, "--to must be after --from (the period is "
		    "[%s, %s) )", from, o->to != NULL ? o->to : "as-of day");
		return TALLY_EUSAGE;
	}
	return 0;
}

static int
sql_error(struct run *x, int rc, const char *what)
{
	if (rc != TALLY_ERETRY)
		log_err("reconcile: %s: %s", what, db_errmsg(x->db));
	return rc;
}

/* ---- the balances file ---- */

struct balances {
	struct db *db;
	struct strbuf ext, bal, line;
	size_t n;
	unsigned long nerrors;
	struct strbuf *err;
	int rc;
};

static void
array_text(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, sb->len == 0 ? '{' : ',');
	strbuf_addch(sb, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '"');
}

static int
balances_flush(struct balances *b)
{
	const char *params[3];
	int rc;

	if (b->n == 0)
		return 0;
	strbuf_addch(&b->ext, '}');
	strbuf_addch(&b->bal, '}');
	strbuf_addch(&b->line, '}');
	params[0] = b->ext.buf;
	params[1] = b->bal.buf;
	params[2] = b->line.buf;
	rc = db_command(b->db, NULL,
	    query_sql("reconcile/balances_add"),
	    3, params);
	strbuf_reset(&b->ext);
	strbuf_reset(&b->bal);
	strbuf_reset(&b->line);
	b->n = 0;
	return rc;
}

static int
balance_record(const struct csvin_record *rec, void *arg)
{
	struct balances *b = arg;
	const char *user = csvin_get(rec, "user");
	const char *bal = csvin_get(rec, "balance");
	int64_t v;
	char num[32];

	if (user == NULL || user[0] == '\0' || strlen(user) > 255) {
		if (++b->nerrors <= SETTLEMENT_MAX_ERRORS)
			csvin_errf(b->err, rec, "user", "empty or longer than 255 "
			    "bytes");
		return 0;
	}
	if (bal == NULL || money_parse_minor(bal, &v) != 0) {
		if (++b->nerrors <= SETTLEMENT_MAX_ERRORS)
			csvin_errf(b->err, rec, "balance", "'%.40s' is not a whole "
			    "number of credits", bal != NULL ? bal : "");
		return 0;
	}
	if (b->nerrors > 0)
		return 0;
	array_text(&b->ext, user);
	snprintf(num, sizeof(num), "%lld", (long long)v);
	array_text(&b->bal, num);
	snprintf(num, sizeof(num), "%lu", csvin_line(rec));
	array_text(&b->line, num);
	if (++b->n >= BALANCES_BATCH)
		return balances_flush(b);
	return 0;
}

/* The image service's balances as of as-of, from a user,balance CSV. */
static int
load_balances(struct run *x)
{
	static const char *const required[] = { "user", "balance", NULL };
	struct csvin_options opt;
	struct balances b;
	PGresult *res = NULL;
	int rc;

	memset(&b, 0, sizeof(b));
	b.db = x->db;
	b.err = &x->err;
	memset(&opt, 0, sizeof(opt));
	opt.max_field = 1024;
	opt.required = required;
	rc = csvin_read_file(x->o->balances, &opt, balance_record, &b, &x->err);
	if (rc == 0 && b.nerrors > 0)
		rc = TALLY_EDATA;
	if (b.nerrors > SETTLEMENT_MAX_ERRORS)
		strbuf_addf(&x->err, "%s: %lu more bad rows not shown\n",
		    x->o->balances, b.nerrors - SETTLEMENT_MAX_ERRORS);
	if (rc == 0)
		rc = balances_flush(&b);
	strbuf_release(&b.ext);
	strbuf_release(&b.bal);
	strbuf_release(&b.line);
	if (rc != 0)
		return rc;
	rc = db_query(x->db, &res,
	    query_sql("reconcile/balances_twice"), 0, NULL);
	if (rc != 0)
		return sql_error(x, rc, "checking the balances file");
	for (int i = 0; i < PQntuples(res); i++)
		strbuf_addf(&x->err, "%s:%s: user: '%s' is already on line %s\n",
		    x->o->balances, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		    PQgetvalue(res, i, 2));
	rc = PQntuples(res) > 0 ? TALLY_EDATA : 0;
	PQclear(res);
	return rc;
}

/* ---- the run ---- */

static int
start_run(struct run *x, long long *run_id)
{
	char job[32];
	const char *params[9];
	char *id = NULL;
	int rc;

	snprintf(job, sizeof(job), "%lld", x->job_id);
	params[0] = x->job_id > 0 ? job : NULL;
	params[1] = x->as_of;
	params[2] = x->from;
	params[3] = x->to;
	params[4] = x->tz;
	params[5] = x->fmt != NULL ? x->o->settlement : NULL;
	params[6] = x->fmt != NULL ? x->fmt->name : NULL;
	params[7] = x->fmt != NULL ? x->sha256 : NULL;
	/* a run in two transactions is RUNNING between them (sql/080) */
	params[8] = x->read != NULL ? "RUNNING" : "OK";
	rc = db_query_value(x->db, &id,
	    query_sql("reconcile/run_start"), 9, params);
	if (rc != 0)
		return sql_error(x, rc, "recording the run");
	*run_id = strtoll(id, NULL, 10);
	free(id);
	return 0;
}

static int
make_temp_tables(struct run *x, long long run_id)
{
	int rc;

	snprintf(x->num[0], sizeof(x->num[0]), "%ld", x->cfg->amount_tolerance);
	snprintf(x->num[1], sizeof(x->num[1]), "%ld",
	    x->cfg->settlement_grace_days);
	snprintf(x->num[2], sizeof(x->num[2]), "%ld",
	    x->cfg->fulfil_sla_minutes);
	snprintf(x->num[3], sizeof(x->num[3]), "%d", RECONCILE_STUCK_MINUTES);
	snprintf(x->num[4], sizeof(x->num[4]), "%lld", run_id);
	x->params[0] = x->from;
	x->params[1] = x->to;
	x->params[2] = x->as_of;
	x->params[3] = x->num[0];
	x->params[4] = x->num[1];
	x->params[5] = x->num[2];
	x->params[6] = x->num[3];
	x->params[7] = x->tz;
	x->params[8] = x->num[4];
	rc = db_command(x->db, NULL,
	    "CREATE TEMP TABLE rc_params ON COMMIT DROP AS "
	    RECONCILE_PARAMS_SQL, RECONCILE_NPARAMS, x->params);
	if (rc == 0)
		rc = db_simple(x->db,
		    query_sql("reconcile/tables"));
	if (rc == 0)
		rc = settlement_prepare(x->db, x->cfg);
	if (rc != 0)
		return sql_error(x, rc, "preparing the run");
	return 0;
}

/*
 * Accepted cases whose date has passed are open again, whether or not
 * this run finds them (one it does not find is then closed below), each
 * with an audit row: the change is the system's, on the admin's terms.
 */
static int
reopen_expired(struct run *x)
{
	PGresult *res = NULL;
	int rc;

	rc = db_query(x->db, &res,
	    query_sql("reconcile/reopen"), 0, NULL);
	if (rc != 0)
		return sql_error(x, rc, "reopening accepted cases");
	for (int i = 0; rc == 0 && i < PQntuples(res); i++)
		rc = audit_record(x->db, RECONCILE_PROGRAM, "case.reopen",
		    "reconcile_case", PQgetvalue(res, i, 0), PQgetvalue(res, i, 3),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
	x->r->reopened = PQntuples(res);
	PQclear(res);
	if (rc != 0)
		return sql_error(x, rc, "auditing reopened cases");
	return 0;
}

/* queries/reconcile/: the finders' findings kept as cases, in order */
static const char *const case_queries[] = {
	"reconcile/cases_one", "reconcile/cases_again", "reconcile/cases_new",
	"reconcile/cases_closed"
};

static int
keep_cases(struct run *x)
{
	PGresult *res = NULL;
	const char *params[1] = { x->cfg->reconcile_severity };
	int rc;

	if ((rc = reopen_expired(x)) != 0)
		return rc;
	for (size_t i = 0; i < sizeof(case_queries) / sizeof(case_queries[0]);
	    i++)
		if ((rc = db_command(x->db, NULL, query_sql(case_queries[i]), 0,
		    NULL)) != 0)
			return sql_error(x, rc, "keeping cases");
	rc = db_query(x->db, &res,
	    query_sql("reconcile/cases_count"),
	    1, params);
	if (rc != 0)
		return sql_error(x, rc, "counting cases");
	x->r->found = db_value_ll(res, 0, 0, 0);
	x->r->opened = db_value_ll(res, 0, 1, 0);
	x->r->closed = db_value_ll(res, 0, 2, 0);
	x->r->open_total = db_value_ll(res, 0, 3, 0);
	x->r->open_alerting = db_value_ll(res, 0, 4, 0);
	PQclear(res);
	return 0;
}

static int
finish_run(struct run *x)
{
	char v[7][32];
	const char *params[7];
	int rc;

	snprintf(v[0], sizeof(v[0]), "%lld", x->r->run_id);
	snprintf(v[1], sizeof(v[1]), "%lu", x->r->settlement.rows);
	snprintf(v[2], sizeof(v[2]), "%lld", x->r->found);
	snprintf(v[3], sizeof(v[3]), "%lld", x->r->opened);
	snprintf(v[4], sizeof(v[4]), "%lld", x->r->closed);
	snprintf(v[5], sizeof(v[5]), "%lld", x->r->reopened);
	snprintf(v[6], sizeof(v[6]), "%lld", x->r->open_total);
	for (int i = 0; i < 7; i++)
		params[i] = v[i];
	rc = db_command(x->db, NULL,
	    query_sql("reconcile/run_finish"), 7, params);
	if (rc != 0)
		return sql_error(x, rc, "recording the run");
	return 0;
}

/* What a dry run would have done, on stdout: one line per case touched. */
static int
print_changes(struct run *x)
{
	PGresult *res = NULL;
	int rc;

	rc = db_query(x->db, &res,
	    query_sql("reconcile/changes"), 0, NULL);
	if (rc != 0)
		return sql_error(x, rc, "listing the changes");
	rc = table_write_result(res, stdout, TABLE_TEXT);
	PQclear(res);
	return rc;
}

/* One log line per category this run found something in. */
static int
log_categories(struct run *x)
{
	PGresult *res = NULL;
	int rc;

	rc = db_query(x->db, &res,
	    query_sql("reconcile/categories"), 0, NULL);
	if (rc != 0)
		return sql_error(x, rc, "summing up");
	for (int i = 0; i < PQntuples(res); i++)
		log_info("%s: %s open, %s accepted, %s new", PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    PQgetvalue(res, i, 3));
	PQclear(res);
	return 0;
}

static void
log_file_errors(struct run *x)
{
	const char *s = strbuf_str(&x->err);

	while (*s != '\0') {
		size_t n = strcspn(s, "\n");

		log_err("%.*s", (int)n, s);
		s += n;
		if (*s == '\n')
			s++;
	}
	strbuf_reset(&x->err);
}

/* The server's memory per hash or sort, for this transaction only:
 * matching a million settlement rows against a million payments is a
 * handful of hash joins that spill to disk in batches at the 4 MB
 * default.  One run at a time (the lock), so this is bounded. */
static int
set_work_mem(struct run *x)
{
	int rc;

	rc = db_simple(x->db, "SET LOCAL work_mem = '" RECONCILE_WORK_MEM "'");
	if (rc != 0)
		return sql_error(x, rc, "setting work_mem");
	return 0;
}

static int
load_settlement(struct run *x, long long run_id)
{
	int rc;

	rc = settlement_load(x->db, x->o->settlement, x->fmt, run_id,
	    &x->r->settlement, &x->err);
	if (rc != 0) {
		if (rc == TALLY_EDATA || rc == TALLY_EMISSING ||
		    rc == TALLY_EIO)
			log_file_errors(x);
		else if (rc != TALLY_ERETRY)
			log_err("reconcile: loading %s: %s", x->o->settlement,
			    strbuf_str(&x->err));
		return rc;
	}
	log_info("%s: %lu rows: %lld new, %lld changed, %lld loaded before; "
	    "%lld of the new and changed matched a payment by its reference",
	    x->o->settlement, x->r->settlement.rows, x->r->settlement.inserted,
	    x->r->settlement.updated, (long long)x->r->settlement.rows -
	    x->r->settlement.inserted - x->r->settlement.updated,
	    x->r->settlement.matched);
	return 0;
}

static int
load_balances_file(struct run *x)
{
	int rc = 0;

	strbuf_reset(&x->err);
	if (x->o->balances != NULL && (rc = load_balances(x)) != 0)
		log_file_errors(x);
	return rc;
}

/* Steps 1 and 2: what the run writes before it looks. */
static int
load_all(struct run *x)
{
	long long run_id = 0, matched = 0;
	int rc;

	memset(&x->r->settlement, 0, sizeof(x->r->settlement));
	strbuf_reset(&x->err);
	if ((rc = set_work_mem(x)) != 0 || (rc = start_run(x, &run_id)) != 0 ||
	    (rc = make_temp_tables(x, run_id)) != 0)
		return rc;
	x->r->run_id = run_id;
	if (x->fmt != NULL && (rc = load_settlement(x, run_id)) != 0)
		return rc;
	if ((rc = load_balances_file(x)) != 0)
		return rc;
	if ((rc = settlement_rematch(x->db, &matched)) != 0)
		return sql_error(x, rc, "matching earlier settlement rows");
	if (matched > 0)
		log_info("%lld earlier settlement rows matched a payment now",
		    matched);
	return 0;
}

/* Steps 4 and 5, and what a dry run shows. */
static int
keep_all(struct run *x)
{
	int rc;

	if ((rc = keep_cases(x)) != 0 || (rc = finish_run(x)) != 0 ||
	    (rc = log_categories(x)) != 0)
		return rc;
	if (x->o->dry_run) {
		if ((rc = print_changes(x)) != 0)
			return rc;
		return RUN_ROLLBACK;
	}
	return 0;
}

/* Without a standby: the whole run in one transaction. */
static int
run_tx(struct db *db, void *arg)
{
	struct run *x = arg;
	int rc;

	(void)db;
	if ((rc = load_all(x)) != 0 || (rc = reconcile_find_here(x->db)) != 0)
		return rc;
	return keep_all(x);
}

/* With a standby, first: the loads and matches, committed so the
 * standby can replay them before the run looks there. */
static int
load_tx(struct db *db, void *arg)
{
	(void)db;
	return load_all(arg);
}

/* Then: the standby's findings into rc_found, the cases kept here.  The
 * balances file is read again: its temporary table went with the first
 * transaction. */
static int
find_tx(struct db *db, void *arg)
{
	struct run *x = arg;
	int rc;

	(void)db;
	if ((rc = set_work_mem(x)) != 0 ||
	    (rc = make_temp_tables(x, x->r->run_id)) != 0 ||
	    (rc = load_balances_file(x)) != 0 ||
	    (rc = reconcile_find_there(x->db, x->read, x->params)) != 0)
		return rc;
	return keep_all(x);
}

/* A run whose second transaction failed says so. */
static void
mark_failed(struct run *x)
{
	char id[32];
	const char *params[1] = { id };

	snprintf(id, sizeof(id), "%lld", x->r->run_id);
	(void)db_command(x->db, NULL,
	    query_sql("reconcile/run_failed"), 1, params);
}

/*
 * Matching on a standby: loads and matches committed on the primary,
 * replayed by the standby (waiting up to read_lag_wait), then every
 * category read there in one snapshot and the cases kept here.
 */
static int
run_split(struct run *x)
{
	struct strbuf why = STRBUF_INIT;
	int rc;

	rc = db_transaction(x->db, DB_REPEATABLE_READ, 3, load_tx, x);
	if (rc != 0) {
		if (rc == TALLY_ERETRY)
			log_err("reconcile: " KEPT_CHANGING);
		return rc;
	}
	rc = readdb_catch_up(x->db, x->read, x->cfg->read_lag_wait, &why);
	if (rc != 0) {
		log_err("reconcile: %s", strbuf_str(&why));
	} else {
		rc = db_transaction(x->db, DB_REPEATABLE_READ, 3, find_tx, x);
		if (rc == TALLY_ERETRY)
			log_err("reconcile: " KEPT_CHANGING);
	}
	if (rc != 0)
		mark_failed(x);
	strbuf_release(&why);
	return rc;
}

static int
write_report(struct run *x, struct jobrun *jr)
{
	struct report_opts ro;
	struct report_result res;
	char run[32];
	const char *extra[1] = { run };
	char *settings;
	int rc;

	snprintf(run, sizeof(run), "%lld", x->r->run_id);
	settings = report_settings_json(x->cfg);
	memset(&ro, 0, sizeof(ro));
	ro.period = &x->r->period;
	ro.as_of = x->r->as_of.sec;
	ro.as_of_usec = x->r->as_of.usec;
	ro.tz = x->tz;
	ro.settings_json = settings;
	ro.extra = extra;
	ro.nextra = 1;
	ro.out_dir = x->o->out_dir != NULL ? x->o->out_dir : x->cfg->report_dir;
	ro.formats = REPORT_XLSX | REPORT_CSV;
	report_result_init(&res);
	rc = report_run(x->db, "reconcile", &ro, &res);
	if (rc != 0) {
		log_err("reconcile: writing the report: %s", strbuf_str(&res.err));
	} else {
		for (size_t i = 0; i < res.nfiles; i++) {
			struct strbuf path = STRBUF_INIT;

			strbuf_addf(&path, "%s/%s", res.out_dir, res.files[i].name);
			if (!x->o->quiet)
				puts(path.buf);
			if (jr != NULL)
				jobrun_output(jr, path.buf);
			strbuf_release(&path);
		}
		if (res.manifest != NULL && !x->o->quiet)
			printf("%s/%s\n", res.out_dir, res.manifest);
	}
	report_result_release(&res);
	free(settings);
	return rc;
}

static void
count_all(struct jobrun *jr, const struct reconcile_result *r)
{
	if (jr == NULL)
		return;
	jobrun_count(jr, "settlement_rows", (long long)r->settlement.rows);
	jobrun_count(jr, "found", r->found);
	jobrun_count(jr, "opened", r->opened);
	jobrun_count(jr, "closed", r->closed);
	jobrun_count(jr, "reopened", r->reopened);
	jobrun_count(jr, "open", r->open_total);
	jobrun_count(jr, "open_alerting", r->open_alerting);
}

/* The settlement format to read the file with, or none. */
static int
settlement_of(const struct config *cfg, const struct reconcile_opts *o,
    struct settlement_format *fmt, struct strbuf *err)
{
	if (o->settlement == NULL) {
		if (o->format == NULL)
			return 0;
		strbuf_addstr(err, "--format needs --settlement FILE");
		return TALLY_EUSAGE;
	}
	return settlement_format_get(cfg, o->format != NULL ? o->format :
	    "stripe", fmt, err);
}

int
reconcile_check(const struct config *cfg, const struct reconcile_opts *o)
{
	struct strbuf err = STRBUF_INIT;
	struct settlement_format fmt;
	struct period p;
	struct period_instant as_of;
	const char *files[2] = { o->settlement, o->balances };
	int rc;

	if ((rc = reconcile_period(cfg, o, &p, &as_of, &err)) == 0)
		rc = settlement_of(cfg, o, &fmt, &err);
	if (rc != 0)
		log_err("%s", strbuf_str(&err));
	for (int i = 0; i < 2 && rc == 0; i++)
		if (files[i] != NULL && access(files[i], R_OK) != 0) {
			log_err("%s: cannot read: %s", files[i], strerror(errno));
			rc = TALLY_EDATA;
		}
	strbuf_release(&err);
	return rc;
}

int
reconcile_run(struct db *db, const struct config *cfg,
    const struct reconcile_opts *o, struct jobrun *jr,
    struct reconcile_result *out)
{
	return reconcile_run_on(db, NULL, cfg, o, jr, out);
}

int
reconcile_run_on(struct db *db, struct db *read, const struct config *cfg,
    const struct reconcile_opts *o, struct jobrun *jr,
    struct reconcile_result *out)
{
	struct reconcile_result local;
	struct reconcile_result *r = out != NULL ? out : &local;
	struct settlement_format fmt;
	struct run x;
	char sha[65] = "";
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&x, 0, sizeof(x));
	strbuf_init(&x.err);
	x.db = db;
	x.read = read != db ? read : NULL;
	x.cfg = cfg;
	x.o = o;
	x.r = r;
	x.tz = config_tz(cfg);
	x.job_id = jobrun_id(jr);

	if ((rc = reconcile_period(cfg, o, &r->period, &r->as_of, &x.err)) != 0 ||
	    (rc = settlement_of(cfg, o, &fmt, &x.err)) != 0) {
		log_err("%s", strbuf_str(&x.err));
		goto done;
	}
	period_format_utc(r->period.start, x.from);
	period_format_utc(r->period.end, x.to);
	period_format_utc_us(r->as_of, x.as_of);
	if (o->settlement != NULL) {
		if (fsutil_sha256_file(o->settlement, false, sha, NULL) != 0) {
			log_err("%s: cannot read: %s", o->settlement,
			    strerror(errno));
			rc = TALLY_EDATA;
			goto done;
		}
		x.fmt = &fmt;
		x.sha256 = sha;
	}
	log_info("reconciling %s (as of %s, %s)", r->period.label, x.as_of, x.tz);
	if (x.read != NULL && o->dry_run) {
		/* what a dry run loads and matches is never committed */
		log_info("a dry run matches on the primary: a standby cannot "
		    "see what it loads");
		x.read = NULL;
	}
	if (x.read != NULL) {
		rc = run_split(&x);
	} else {
		rc = db_transaction(db, DB_REPEATABLE_READ, 3, run_tx, &x);
		if (rc == TALLY_ERETRY)
			log_err("reconcile: " KEPT_CHANGING);
	}
	if (rc == RUN_ROLLBACK) {
		fprintf(stderr, "dry run: nothing was recorded\n");
		rc = 0;
		r->run_id = 0;
	}
	if (rc == 0 && !o->dry_run)
		rc = write_report(&x, jr);
	if (rc == 0) {
		log_info("%lld problems found: %lld new cases, %lld closed, "
		    "%lld reopened; %lld open", r->found, r->opened, r->closed,
		    r->reopened, r->open_total);
		if (r->open_alerting > 0) {
			log_warning("%lld open case%s at or above severity %s",
			    r->open_alerting, r->open_alerting == 1 ? "" : "s",
			    cfg->reconcile_severity);
			rc = TALLY_EPROBLEMS;
		}
	}
	count_all(jr, r);
done:
	strbuf_release(&x.err);
	return rc;
}
