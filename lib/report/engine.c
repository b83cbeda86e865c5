/*
 * engine.c - a report run: its sheets (the SQL files of reports/NAME/), one
 * read-only snapshot, each query streamed into its outputs.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>

#include "out/csvout.h"
#include "pg/db.h"
#include "pg/embedded.h"
#include "base/err.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/period.h"
#include "report/engine.h"
#include "report/run.h"
#include "report/sql.h"
#include "base/strbuf.h"
#include "base/version.h"
#include "out/xlsxout.h"


void
report_result_init(struct report_result *res)
{
	memset(res, 0, sizeof(*res));
	strbuf_init(&res->err);
}

void
report_result_release(struct report_result *res)
{
	for (size_t i = 0; i < res->nsheets; i++) {
		free(res->sheets[i].name);
		free(res->sheets[i].csv);
	}
	free(res->sheets);
	for (size_t i = 0; i < res->nfiles; i++)
		free(res->files[i].name);
	free(res->files);
	free(res->manifest);
	free(res->out_dir);
	strbuf_release(&res->err);
	memset(res, 0, sizeof(*res));
}

static bool
report_name_ok(const char *r)
{
	if (r == NULL || r[0] == '\0' || strlen(r) > 64)
		return false;
	for (const char *p = r; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_'))
			return false;
	return true;
}

char **
report_list(size_t *n)
{
	char **names = NULL;
	const char *rest, *slash;
	size_t len;

	*n = 0;
	for (const struct embedded_file *f = embedded_files; f->name != NULL; f++) {
		if (strncmp(f->name, "reports/", 8) != 0)
			continue;
		rest = f->name + 8;
		slash = strchr(rest, '/');
		if (slash == NULL)
			continue;
		len = (size_t)(slash - rest);
		/* sorted by name: a report's files are adjacent */
		if (*n > 0 && strlen(names[*n - 1]) == len &&
		    strncmp(names[*n - 1], rest, len) == 0)
			continue;
		names = xrealloc(names, (*n + 1) * sizeof(*names));
		names[(*n)++] = xstrndup(rest, len);
	}
	return names;
}

void
report_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The settings a report's figures depend on (each a long), by name. */
#define S(field) { #field, offsetof(struct config, field) }
static const struct {
	const char *name;
	size_t offset;
} settings[] = {
	S(inactive_model_days),
	S(fulfil_sla_minutes),
	S(ending_soon_days),
	S(alert_seat_threshold),
	S(alert_suspensions),
	S(amount_tolerance),
	S(settlement_grace_days),
};
#undef S

char *
report_settings_json(const struct config *cfg)
{
	json_t *o = json_object();
	char *s;
	long v;

	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		memcpy(&v, (const unsigned char *)cfg + settings[i].offset,
		    sizeof(v));
		json_object_set_new(o, settings[i].name, json_integer(v));
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		abort();	/* jansson fails only when out of memory */
	return s;
}

/* One file of the report: a sheet, or the header its sheets share. */
static int
add_file(struct run *r, const char *name, const char *sql)
{
	struct report_sql_sheet *sh;
	int rc;

	if (!report_sql_is_shared(name)) {
		r->defs = xrealloc(r->defs, (r->ndefs + 1) * sizeof(*r->defs));
		sh = &r->defs[r->ndefs++];
		return report_sql_parse(sh, name, sql, &r->res->err);
	}
	if (r->shared != NULL) {
		strbuf_addf(&r->res->err, "%s and %s: a report has one shared "
		    "header", r->shared->file, name);
		return TALLY_EINTERNAL;
	}
	r->shared = xcalloc(1, sizeof(*r->shared));
	rc = report_sql_parse(r->shared, name, sql, &r->res->err);
	if (rc == 0)
		rc = report_sql_check_shared(r->shared, &r->res->err);
	return rc;
}

/* Collect the report's sheets and parse their headers. */
static int
load_sheets(struct run *r)
{
	struct strbuf prefix = STRBUF_INIT;
	int rc = 0;

	if (r->o->sources != NULL) {
		for (size_t i = 0; i < r->o->nsources && rc == 0; i++)
			rc = add_file(r, r->o->sources[i].name,
			    r->o->sources[i].sql);
	} else {
		strbuf_addf(&prefix, "reports/%s/", r->report);
		for (const struct embedded_file *f = embedded_files;
		    f->name != NULL && rc == 0; f++) {
			size_t n = strlen(f->name);

			if (strncmp(f->name, prefix.buf, prefix.len) != 0 ||
			    strchr(f->name + prefix.len, '/') != NULL || n < 5 ||
			    strcmp(f->name + n - 4, ".sql") != 0)
				continue;
			rc = add_file(r, f->name, f->data);
		}
	}
	strbuf_release(&prefix);
	if (rc != 0)
		return rc;
	if (r->ndefs == 0) {
		strbuf_addf(&r->res->err, "no report named \"%s\"", r->report);
		return TALLY_ENOTFOUND;
	}
	for (size_t i = 0; i < r->ndefs; i++)
		r->defs[i].shared = r->shared;
	/* a Summary is the workbook's first sheet */
	for (size_t i = 1; i < r->ndefs; i++)
		if (r->defs[i].summary != NULL) {
			strbuf_addf(&r->res->err, "%s: only a report's first file "
			    "can be its summary", r->defs[i].file);
			return TALLY_EINTERNAL;
		}
	/* the CSV file names must not collide; Excel checks sheet names */
	for (size_t i = 0; i < r->ndefs; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->defs[i].slug, r->defs[j].slug) == 0) {
				strbuf_addf(&r->res->err, "%s and %s: both sheets "
				    "would be written to the CSV stem \"%s\"",
				    r->defs[j].file, r->defs[i].file,
				    r->defs[i].slug);
				return TALLY_EINTERNAL;
			}
	return 0;
}

/* Stop a query whose rows are no longer wanted (a write failed). */
static void
cancel_query(PGconn *conn)
{
	PGcancel *c = PQgetCancel(conn);
	char buf[256];

	if (c != NULL) {
		(void)PQcancel(c, buf, sizeof(buf));
		PQfreeCancel(c);
	}
}

static int
query_error(struct run *r, const struct report_sql_sheet *d,
    const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		strbuf_addf(&r->res->err, "%s: not a query (a sheet is one "
		    "SELECT)", d->file);
		return TALLY_EINTERNAL;
	}
	strbuf_addf(&r->res->err, "%s: %s%s%s%s", d->file,
	    msg != NULL ? msg : PQresultErrorMessage(res),
	    state != NULL ? " (SQLSTATE " : "", state != NULL ? state : "",
	    state != NULL ? ")" : "");
	while (r->res->err.len > 0 &&
	    r->res->err.buf[r->res->err.len - 1] == '\n')
		r->res->err.buf[--r->res->err.len] = '\0';
	return db_classify(state);
}

/* One sheet: its query streamed row by row into its CSV and sheet. */
static int
run_sheet(struct run *r, size_t i)
{
	PGconn *conn = db_conn(r->db);
	struct sheet_run s;
	PGresult *res;
	ExecStatusType st;
	bool begun = false;
	int rc = 0, rc2;

	memset(&s, 0, sizeof(s));
	s.def = &r->defs[i];
	s.out = &r->res->sheets[i];
	s.out->name = xstrdup(s.def->name);
	/* the Summary is a page for people: its facts are in the other
	 * sheets, its actions in the manifest */
	if ((r->formats & REPORT_CSV) && !r->o->dry_run &&
	    s.def->summary == NULL && (rc = files_open_csv(r, &s)) != 0)
		goto done;
	log_debug("report %s: sheet \"%s\" (%s)", r->report, s.def->name,
	    s.def->file);
	if (!PQsendQueryParams(conn, s.def->sql, r->nparams, r->types, r->values,
	    NULL, NULL, 0) || !PQsetSingleRowMode(conn)) {
		strbuf_addf(&r->res->err, "%s: %s", s.def->file,
		    PQerrorMessage(conn));
		rc = PQstatus(conn) == CONNECTION_OK ? TALLY_EDB : TALLY_EUNAVAIL;
		/* a sent query must still be drained */
		while ((res = PQgetResult(conn)) != NULL)
			PQclear(res);
		goto done;
	}
	while ((res = PQgetResult(conn)) != NULL) {
		st = PQresultStatus(res);
		if (rc == 0) {
			if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) {
				if (!begun) {
					begun = true;
					rc = cells_sheet_begin(r, &s, res);
				}
				/* a dry run only counts */
				if (rc == 0 && st == PGRES_SINGLE_TUPLE) {
					if (r->o->dry_run)
						s.out->rows++;
					else
						rc = cells_sheet_row(r, &s, res);
				}
				if (rc != 0 && st == PGRES_SINGLE_TUPLE)
					cancel_query(conn);
			} else
				rc = query_error(r, s.def, res);
		}
		PQclear(res);
	}
	if (rc == 0 && !begun) {
		strbuf_addf(&r->res->err, "%s: %s", s.def->file,
		    PQstatus(conn) == CONNECTION_OK ? "no result" :
		    PQerrorMessage(conn));
		rc = PQstatus(conn) == CONNECTION_OK ? TALLY_EINTERNAL :
		    TALLY_EUNAVAIL;
	}
	if (rc == 0 && PQstatus(conn) != CONNECTION_OK) {
		strbuf_addf(&r->res->err, "%s: connection lost", s.def->file);
		rc = TALLY_EUNAVAIL;
	}
	if (rc == 0 && s.def->summary != NULL && !r->o->dry_run)
		rc = summary_finish(r, &s);
done:
	if (begun) {
		s.prog.done = s.out->rows;
		progress_done(&s.prog);
	}
	rc2 = files_close_csv(r, &s, rc == 0);
	if (rc == 0)
		rc = rc2;
	cells_sheet_release(&s);
	return rc;
}

static int
set_params(struct run *r)
{
	const struct report_opts *o = r->o;
	const char *tz = o->tz != NULL ? o->tz : o->period->tz;

	if (!period_tz_valid(tz)) {
		strbuf_addf(&r->res->err, "unknown time zone \"%s\"", tz);
		return TALLY_EUSAGE;
	}
	period_format_utc_us((struct period_instant){ o->period->start,
	    o->period->start_usec }, r->start);
	period_format_utc_us((struct period_instant){ o->period->end,
	    o->period->end_usec }, r->end);
	period_format_utc_us((struct period_instant){ o->as_of, o->as_of_usec },
	    r->as_of);
	r->nparams = (int)(NFIXED + o->nextra);
	r->values = xcalloc((size_t)r->nparams, sizeof(*r->values));
	r->types = xcalloc((size_t)r->nparams, sizeof(*r->types));
	r->values[0] = r->start;
	r->values[1] = r->end;
	r->values[2] = r->as_of;
	r->values[3] = tz;
	r->values[4] = o->settings_json != NULL ? o->settings_json : "{}";
	r->types[0] = r->types[1] = r->types[2] = OID_TIMESTAMPTZ;
	r->types[3] = OID_TEXT;
	r->types[4] = OID_JSONB;
	for (size_t i = 0; i < o->nextra; i++) {
		r->values[NFIXED + i] = o->extra[i];
		r->types[NFIXED + i] = OID_TEXT;
	}
	return 0;
}

/* The snapshot every sheet reads, cut in the report zone. */
static int
begin_snapshot(struct run *r)
{
	PGresult *res = NULL;
	const char *tz[1] = { r->values[3] };
	int rc;

	if ((rc = db_begin(r->db, DB_REPEATABLE_READ_RO)) != 0) {
		strbuf_addf(&r->res->err, "cannot begin: %s", db_errmsg(r->db));
		return rc;
	}
	/*
	 * SET takes no parameters; set_config(..., true) is SET LOCAL.  The
	 * text forms the engine parses are pinned (ISO dates, shortest exact
	 * floats).  JIT is off: report plans are wide (a subplan per usage
	 * partition) and cheap to run, and their estimated cost is high
	 * enough that JIT compiles them for seconds: a 30 ms query of
	 * model-stats took 17 s with JIT on.
	 */
	rc = db_query(r->db, &res, "select set_config('TimeZone', $1, true), "
	    "set_config('DateStyle', 'ISO, YMD', true), "
	    "set_config('IntervalStyle', 'postgres', true), "
	    "set_config('extra_float_digits', '1', true), "
	    "set_config('jit', 'off', true)", 1, tz);
	PQclear(res);
	if (rc != 0)
		strbuf_addf(&r->res->err, "cannot set the report time zone: %s",
		    db_errmsg(r->db));
	return rc;
}

/* What report_check() checks: the name, the parameters, the sheets. */
static int
load(struct run *r)
{
	int rc;

	if (!report_name_ok(r->report) || r->o->period == NULL) {
		strbuf_addf(&r->res->err, "bad report name or no period");
		return TALLY_EUSAGE;
	}
	if ((rc = set_params(r)) != 0)
		return rc;
	return load_sheets(r);
}

static void
unload(struct run *r)
{
	summary_release(r);
	for (size_t i = 0; i < r->ndefs; i++)
		report_sql_release(&r->defs[i]);
	free(r->defs);
	if (r->shared != NULL)
		report_sql_release(r->shared);
	free(r->shared);
	free(r->values);
	free(r->types);
}

int
report_check(const char *report, const struct report_opts *opts,
    struct report_result *res)
{
	struct run r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.report = report;
	r.o = opts;
	r.res = res;
	rc = load(&r);
	unload(&r);
	return rc;
}

int
report_run(struct db *db, const char *report, const struct report_opts *opts,
    struct report_result *res)
{
	struct run r = {
		.db = db,
		.report = report,
		.o = opts,
		.res = res,
		.formats = opts->formats != 0 ? opts->formats :
		    REPORT_XLSX | REPORT_CSV,
		.dir = opts->out_dir != NULL && opts->out_dir[0] != '\0' ?
		    opts->out_dir : REPORT_DEFAULT_DIR,
	};
	bool in_txn = false;
	int rc;

	res->out_dir = xstrdup(r.dir);

	if ((rc = load(&r)) != 0)
		goto done;
	res->sheets = xcalloc(r.ndefs, sizeof(*res->sheets));
	res->nsheets = r.ndefs;
	if (!opts->dry_run) {
		if (fsutil_mkdir_p(r.dir, 0750) != 0) {
			strbuf_addf(&res->err, "cannot create the output "
			    "directory %s: %s", r.dir, strerror(errno));
			rc = TALLY_EIO;
			goto done;
		}
		if ((r.formats & REPORT_XLSX) && (rc = files_open_xlsx(&r)) != 0)
			goto done;
	}
	if ((rc = summary_prepare(&r)) != 0)
		goto done;
	if ((rc = begin_snapshot(&r)) != 0)
		goto done;
	in_txn = true;
	for (size_t i = 0; i < r.ndefs && rc == 0; i++)
		rc = run_sheet(&r, i);
	if (rc != 0)
		goto done;
	in_txn = false;
	if ((rc = db_commit(db)) != 0) {
		strbuf_addf(&res->err, "commit: %s", db_errmsg(db));
		goto done;
	}
	if (!opts->dry_run)
		rc = files_finish(&r);
done:
	if (in_txn)
		db_rollback(db);
	if (r.x != NULL)
		xlsxout_abandon(r.x);
	files_discard(&r);
	unload(&r);
	return rc;
}
