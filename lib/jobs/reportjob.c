/*
 * reportjob.c - the report programs' part of the batch-job spine: the
 * period from the command line, the engine's run on the read connection,
 * its job_runs counts and outputs, and the paths on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "jobs/reportjob.h"

/* One report program runs once per process: its options live here. */
static struct {
	const char *out, *format;
	long days;
	struct period_request rq;
	struct period period;
	unsigned formats;
} a;

/* [0] is --days, for a daily report only */
static const struct batchjob_opt options[] = {
	{ "days", 0, BATCHJOB_INT, &a.days, 1, 3660, 0, "N",
	  "the N days ending at the as-of instant" },
	{ "out", 'o', BATCHJOB_TEXT, &a.out, 0, 0, 0, "DIR",
	  "output directory (default: report_dir,\n" REPORT_DEFAULT_DIR ")" },
	{ "week", 0, BATCHJOB_TEXT, &a.rq.week, 0, 0, 0, "W",
	  "an ISO week, 2026-W47" },
	{ "month", 0, BATCHJOB_TEXT, &a.rq.month, 0, 0, 0, "M",
	  "a month, 2026-11" },
	{ "from", 0, BATCHJOB_TEXT, &a.rq.from, 0, 0, 0, "D",
	  "with --to D: a range of days, both included" },
	{ "to", 0, BATCHJOB_TEXT, &a.rq.to, 0, 0, 0, "D", "see --from" },
	{ "format", 0, BATCHJOB_TEXT, &a.format, 0, 0, 0, "F",
	  "xlsx, csv or both (default both)" },
	{ NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL }
};

static int
parse_format(const char *f, unsigned *out)
{
	if (f == NULL || strcmp(f, "both") == 0)
		*out = REPORT_XLSX | REPORT_CSV;
	else if (strcmp(f, "xlsx") == 0)
		*out = REPORT_XLSX;
	else if (strcmp(f, "csv") == 0)
		*out = REPORT_CSV;
	else
		return TALLY_EUSAGE;
	return 0;
}

/* The engine's options from the command line and the configuration. */
static void
engine_opts(const struct batchjob_ctx *ctx, struct report_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->period = &a.period;
	o->as_of = ctx->as_of.sec;
	o->as_of_usec = ctx->as_of.usec;
	o->tz = ctx->tz;
	o->out_dir = a.out != NULL ? a.out : ctx->cfg->report_dir;
	o->formats = a.formats;
	o->dry_run = ctx->dry_run;
}

/* A report whose sheets cannot even be read leaves no job_runs row. */
static int
check(const char *report, const struct report_opts *o)
{
	struct report_result res;
	int rc;

	report_result_init(&res);
	if ((rc = report_check(report, o, &res)) != 0)
		log_err("%s: %s", report, strbuf_str(&res.err));
	report_result_release(&res);
	return rc;
}

/* The period and the format, checked before the job_runs row. */
static int
prepare(struct batchjob_ctx *ctx)
{
	const struct reportjob *rj = ctx->arg;
	struct strbuf err = STRBUF_INIT;
	struct report_opts o;
	int rc;

	if (parse_format(a.format, &a.formats) != 0) {
		log_err("--format is xlsx, csv or both");
		return TALLY_EUSAGE;
	}
	a.rq.days = (int)a.days;
	rc = period_resolve_us(&a.period, &a.rq, rj->default_period, ctx->as_of,
	    ctx->tz, &err);
	if (rc != 0)
		log_err("%s", strbuf_str(&err));
	else if (a.period.end > ctx->as_of.sec || (a.period.end ==
	    ctx->as_of.sec && a.period.end_usec > ctx->as_of.usec))
		log_warning("period %s is not over at the as-of instant: its "
		    "figures are partial", a.period.label);
	strbuf_release(&err);
	if (rc != 0)
		return rc;
	engine_opts(ctx, &o);
	return check(rj->report, &o);
}

/* The run's figures and files on its job_runs row; the why of a failure. */
static void
record(struct batchjob_ctx *ctx, const struct report_opts *o,
    struct report_result *res, int rc)
{
	struct strbuf path = STRBUF_INIT;
	json_t *f;

	if (rc != 0)
		strbuf_addstr(&ctx->why, strbuf_str(&res->err));
	if (ctx->jr == NULL)
		return;
	res->job_id = jobrun_id(ctx->jr);
	jobrun_count_json(ctx->jr, "period", json_string(o->period->label));
	jobrun_count_json(ctx->jr, "rows", report_rows_json(res));
	for (size_t i = 0; i <= res->nfiles; i++) {
		const char *name = i < res->nfiles ? res->files[i].name :
		    res->manifest;

		if (name == NULL)
			continue;
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", res->out_dir, name);
		f = json_object();
		json_object_set_new(f, "file", json_string(path.buf));
		if (i < res->nfiles)
			json_object_set_new(f, "sha256",
			    json_string(res->files[i].sha256));
		jobrun_output_json(ctx->jr, f);
	}
	strbuf_release(&path);
}

static void
print_result(const struct report_result *res, bool dry_run)
{
	unsigned long long total = 0;

	for (size_t i = 0; i < res->nsheets; i++) {
		total += res->sheets[i].rows;
		if (dry_run)
			printf("%s\t%llu\n", res->sheets[i].name,
			    res->sheets[i].rows);
	}
	if (!dry_run) {
		for (size_t i = 0; i < res->nfiles; i++)
			printf("%s/%s\n", res->out_dir, res->files[i].name);
		if (res->manifest != NULL)
			printf("%s/%s\n", res->out_dir, res->manifest);
	}
	log_info("%zu sheets, %llu rows%s", res->nsheets, total,
	    dry_run ? " (dry run: nothing written)" : "");
}

/* The report, its job_runs counts and outputs, the paths on stdout. */
static int
run(struct batchjob_ctx *ctx)
{
	const struct reportjob *rj = ctx->arg;
	struct report_opts o;
	struct report_result res;
	char *settings = report_settings_json(ctx->cfg);
	int rc;

	engine_opts(ctx, &o);
	o.settings_json = settings;
	report_result_init(&res);
	rc = report_run(ctx->read, rj->report, &o, &res);
	record(ctx, &o, &res, rc);
	if (rc != 0)
		log_err("%s %s: %s", rj->report, a.period.label,
		    strbuf_str(&res.err));
	else
		print_result(&res, ctx->dry_run);
	report_result_release(&res);
	free(settings);
	return rc;
}

struct exec_arg {
	const char *report;
	const struct report_opts *o;
	struct report_result *res;
};

static int
exec_prepare(struct batchjob_ctx *ctx)
{
	const struct exec_arg *x = ctx->arg;

	return report_check(x->report, x->o, x->res);
}

static int
exec_run(struct batchjob_ctx *ctx)
{
	const struct exec_arg *x = ctx->arg;
	int rc;

	rc = report_run(ctx->read, x->report, x->o, x->res);
	record(ctx, x->o, x->res, rc);
	return rc;
}

int
reportjob_exec(struct db *db, const char *program, const char *report,
    const struct report_opts *o, struct report_result *res)
{
	struct exec_arg x = { report, o, res };
	struct batchjob def = { .program = program, .prepare = exec_prepare,
		.run = exec_run };
	struct period_instant as_of = { o->as_of, o->as_of_usec };
	struct config cfg;
	struct batchjob_env env = { .cfg = &cfg, .db = db, .tz = o->tz,
		.as_of = &as_of, .dry_run = o->dry_run, .arg = &x };
	int rc;

	config_init(&cfg);
	rc = batchjob_exec(&def, &env);
	config_free(&cfg);
	return rc;
}

int
reportjob_main(int argc, char **argv, const char *program,
    const char *report, enum period_kind default_period, const char *what)
{
	static const char *const period_name[] = {
		[PERIOD_DAY] = "day", [PERIOD_WEEK] = "ISO week",
		[PERIOD_MONTH] = "month"
	};
	const struct reportjob rj = { report, default_period };
	struct strbuf summary = STRBUF_INIT;
	/* the reports read the domain and write their job_runs row as
	 * tally_batch; the queries themselves run in a read-only snapshot,
	 * on the standby when read_database_url names one */
	struct batchjob def = {
		.program = program,
		.role = "tally_batch",
		.flags = BATCHJOB_AS_OF | BATCHJOB_DRY_RUN | BATCHJOB_TZ |
		    BATCHJOB_READ,
		.opts = default_period == PERIOD_DAY ? options : options + 1,
		.prepare = prepare,
		.run = run,
		.arg = &rj,
	};
	int rc;

	strbuf_addf(&summary, "Write %s.\nDefault period: the last complete "
	    "%s before the as-of instant.\n", what, period_name[default_period]);
	def.summary = strbuf_str(&summary);
	rc = batchjob_main(&def, argc, argv);
	strbuf_release(&summary);
	return rc;
}
