/*
 * test_batchjob - the batch-job spine (lib/jobs/batchjob.h) against a real
 * database: a program's own options from its table, the exit statuses,
 * the lock (75 at once, nothing recorded), job_runs rows (OK, PROBLEMS,
 * FAILED with the why, none on a dry run or when prepare() refuses,
 * abandoned rows reaped), the as-of (given to the microsecond, else the
 * snapshot's now(), NULL for programs that take each transaction's now),
 * the time zone, alerts after a run, and a row that may not be written.
 *
 * Then the as-of at full precision end to end, with the real programs: a
 * reconcile started right after an allocate finds every order it
 * fulfilled, and a report's default as-of sees what was committed a
 * fraction of a second before it started.
 */
#include "support/alloc_test.h"

#include <dirent.h>
#include <sysexits.h>
#include <unistd.h>

#include "jobs/batchjob.h"

#define PROGRAM "test-job"

/* What the test program's options and its run saw. */
static struct {
	long n;
	const char *name;
	bool flag;
	int format;
	int result;		/* what run() returns */
	int prepare_result;	/* what prepare() returns */
	int runs;
	bool dry_run;
	char as_of[PERIOD_ISO_MAX];
	bool as_of_sql_null;
	char name_seen[16];	/* name, while the command line exists */
} seen;

static const struct batchjob_opt opts[] = {
	{ "n", 0, BATCHJOB_INT, &seen.n, 1, 10, 0, "N", "a number" },
	{ "name", 'x', BATCHJOB_TEXT, &seen.name, 0, 0, 0, "S", "a name" },
	{ "flag", 0, BATCHJOB_FLAG, &seen.flag, 0, 0, 0, NULL, "a flag" },
	{ "csv", 0, BATCHJOB_SET, &seen.format, 0, 0, 7, NULL, "a choice" },
	{ NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL }
};

static int
prepare(struct batchjob_ctx *ctx)
{
	(void)ctx;
	return seen.prepare_result;
}

static int
run(struct batchjob_ctx *ctx)
{
	seen.runs++;
	seen.dry_run = ctx->dry_run;
	snprintf(seen.as_of, sizeof(seen.as_of), "%s", ctx->as_of_text);
	seen.as_of_sql_null = ctx->as_of_sql == NULL;
	snprintf(seen.name_seen, sizeof(seen.name_seen), "%s",
	    seen.name != NULL ? seen.name : "");
	jobrun_count(ctx->jr, "n", seen.n);
	jobrun_output(ctx->jr, "/out/file");
	if (seen.result != 0 && seen.result != TALLY_EPROBLEMS)
		strbuf_addstr(&ctx->why, "it went wrong");
	return seen.result;
}

static const struct batchjob def = {
	.program = PROGRAM,
	.summary = "A program for the tests.\n",
	.role = "tally_batch",
	.flags = BATCHJOB_AS_OF | BATCHJOB_DRY_RUN | BATCHJOB_TZ,
	.opts = opts,
	.prepare = prepare,
	.run = run,
};

/* Run def (or another table) with a command line given as one string. */
static int
main_with(const struct batchjob *d, const char *args)
{
	char *copy = xstrdup(args), *argv[32], *save = NULL, *w;
	int argc = 0, rc;

	argv[argc++] = (char *)"test-job";
	for (w = strtok_r(copy, " ", &save); w != NULL && argc < 31;
	    w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	setenv("TALLY_DATABASE_URL", t_url, 1);
	rc = batchjob_main(d, argc, argv);
	free(copy);
	return rc;
}

/* def with args, after forgetting what the last run saw */
static int
main_of(const char *args)
{
	seen.n = 0;
	seen.name = NULL;
	seen.flag = false;
	seen.format = 0;
	seen.runs = 0;
	seen.dry_run = false;
	seen.as_of[0] = '\0';
	return main_with(&def, args);
}

/* The one value of sql with $1 = param, as text, must be want. */
static void
expect_with(const char *sql, const char *param, const char *want)
{
	const char *params[1] = { param };
	char *v = NULL;

	if (db_query_value(t_su, &v, sql, 1, params) != 0)
		fail_msg("%s: %s", sql, db_errmsg(t_su));
	if (v == NULL || strcmp(v, want) != 0)
		fail_msg("%s ($1 = %s)\n  got:  %s\n  want: %s", sql, param,
		    v != NULL ? v : "NULL", want);
	free(v);
}

static void
test_options(void **state)
{
	/* refused before any run: out of range, not a number, unknown,
	 * missing its value, an operand, a bad instant, a bad zone */
	static const char *const bad[] = { "--n 0", "--n 11", "--n 5x",
		"--n +5", "--bogus", "--name", "stray", "--as-of yesterday",
		"--tz Mars/Olympus" };

	(void)state;
	seen.result = 0;
	assert_int_equal(main_of("--help"), EX_OK);
	assert_int_equal(main_of("-V"), EX_OK);
	assert_int_equal(seen.runs, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (main_of(bad[i]) != EX_USAGE)
			fail_msg("%s: not a usage error", bad[i]);
	assert_int_equal(seen.runs, 0);
	t_expect_ll(t_su, "SELECT count(*) FROM job_runs", 0);
	assert_int_equal(main_of("--n 10 -x abc --flag --csv"), EX_OK);
	assert_int_equal(seen.runs, 1);
	assert_int_equal(seen.n, 10);
	assert_string_equal(seen.name_seen, "abc");
	assert_true(seen.flag);
	assert_int_equal(seen.format, 7);
}

/* The job_runs row of each outcome, and none where nothing ran. */
static void
test_rows(void **state)
{
	(void)state;
	seen.result = 0;
	assert_int_equal(main_of("--n 3"), EX_OK);
	t_expect_str(t_su, "SELECT concat_ws(' ', status, counts->>'n',"
	    " outputs->>0, finished_at IS NOT NULL) FROM job_runs",
	    "OK 3 /out/file t");
	seen.result = TALLY_EPROBLEMS;
	assert_int_equal(main_of(""), 1);
	seen.result = TALLY_EIO;
	assert_int_equal(main_of(""), EX_CANTCREAT);
	t_expect_str(t_su, "SELECT string_agg(status || ':' || coalesce(message,"
	    " '-'), ' ' ORDER BY id) FROM job_runs",
	    "OK:- PROBLEMS:- FAILED:it went wrong");
	/* a dry run: the work runs, told so; nothing is recorded */
	seen.result = 0;
	assert_int_equal(main_of("--dry-run"), EX_OK);
	assert_true(seen.dry_run);
	assert_int_equal(seen.runs, 1);
	/* prepare() refuses: run() is not called, nothing is recorded */
	seen.prepare_result = TALLY_EUSAGE;
	assert_int_equal(main_with(&def, ""), EX_USAGE);
	seen.prepare_result = 0;
	t_expect_ll(t_su, "SELECT count(*) FROM job_runs", 3);
	/* a row a killed run left RUNNING is closed by the next run */
	t_exec(t_su, "INSERT INTO job_runs (program) VALUES ('" PROGRAM "')");
	assert_int_equal(main_of(""), EX_OK);
	t_expect_str(t_su, "SELECT string_agg(status, ' ' ORDER BY id) FROM"
	    " job_runs WHERE message LIKE 'abandoned%'", "FAILED");
	t_expect_ll(t_su, "SELECT count(*) FROM job_runs WHERE status = 'RUNNING'",
	    0);
}

/* Another run holds the lock: 75 at once, no work, no row. */
static void
test_lock(void **state)
{
	struct db *holder = NULL;

	(void)state;
	if (db_connect_url(&holder, t_url, "test", NULL) != 0)
		fail_msg("connect");
	assert_int_equal(db_try_lock(holder, PROGRAM), 0);
	seen.result = 0;
	assert_int_equal(main_of(""), EX_TEMPFAIL);
	assert_int_equal(seen.runs, 0);
	t_expect_ll(t_su, "SELECT count(*) FROM job_runs", 0);
	/* released, not just closed: a closed session's locks go only when
	 * its backend has finished exiting */
	assert_int_equal(db_unlock(holder, PROGRAM), 0);
	db_free(holder);
	assert_int_equal(main_of(""), EX_OK);
	assert_int_equal(seen.runs, 1);
}

static void
test_as_of(void **state)
{
	static const struct batchjob live = {
		.program = PROGRAM,
		.summary = "",
		.flags = BATCHJOB_AS_OF | BATCHJOB_LIVE_NOW,
		.run = run,
	};
	(void)state;
	seen.result = 0;
	/* given: kept to the microsecond, in the run and in job_runs */
	assert_int_equal(main_of("--as-of 2026-11-17T10:00:00.123456Z"), EX_OK);
	assert_string_equal(seen.as_of, "2026-11-17T10:00:00.123456Z");
	t_expect_str(t_su, "SELECT as_of = '2026-11-17 10:00:00.123456+00'"
	    " FROM job_runs", "t");
	/* without an offset: in the zone (--tz over the configuration) */
	assert_int_equal(main_of("--tz Europe/Berlin --as-of 2026-07-01T12:00"),
	    EX_OK);
	assert_string_equal(seen.as_of, "2026-07-01T10:00:00Z");
	/* not given: the snapshot's now(), at or after anything committed
	 * before the run started, to the microsecond */
	t_exec(t_su, "CREATE TABLE before_run AS SELECT now() AS at");
	assert_int_equal(main_of(""), EX_OK);
	assert_false(seen.as_of_sql_null);
	expect_with("SELECT ((SELECT at FROM before_run) <= $1::timestamptz"
	    " AND as_of = $1::timestamptz)::text FROM job_runs"
	    " ORDER BY id DESC LIMIT 1", seen.as_of, "true");
	/* a program that takes each transaction's now(): none fixed */
	assert_int_equal(main_with(&live, ""), EX_OK);
	assert_true(seen.as_of_sql_null);
	t_expect_str(t_su, "SELECT coalesce(as_of::text, 'NULL') FROM job_runs"
	    " ORDER BY id DESC LIMIT 1", "NULL");
}

/* A zone the configuration names and the system does not know: 78. */
static void
test_config_zone(void **state)
{
	(void)state;
	setenv("TALLY_TZ", "Nowhere/City", 1);
	assert_int_equal(main_of(""), EX_CONFIG);
	unsetenv("TALLY_TZ");
	assert_int_equal(seen.runs, 0);
}

/* A failed run of a program that wants alerts raises job_failed. */
static void
test_alerts(void **state)
{
	static const struct batchjob alerting = {
		.program = PROGRAM,
		.summary = "",
		.role = "tally_batch",
		.flags = BATCHJOB_ALERTS,
		.run = run,
	};

	(void)state;
	seen.result = TALLY_EDB;
	assert_int_equal(main_with(&alerting, ""), EX_SOFTWARE);
	t_expect_str(t_su, "SELECT active FROM alerts WHERE key = 'job_failed:"
	    PROGRAM "'", "t");
	seen.result = 0;
	assert_int_equal(main_with(&alerting, ""), EX_OK);
	t_expect_str(t_su, "SELECT active FROM alerts WHERE key = 'job_failed:"
	    PROGRAM "'", "f");
}

/* A role that may not write job_runs (tally_receiver: tally_report may,
 * since migration 050, so that reports can run as it): fatal, unless the
 * row is optional. */
static void
test_row_optional(void **state)
{
	static const struct batchjob strict = {
		.program = PROGRAM,
		.summary = "",
		.role = "tally_receiver",
		.run = run,
	};
	static const struct batchjob optional = {
		.program = PROGRAM,
		.summary = "",
		.role = "tally_receiver",
		.flags = BATCHJOB_ROW_OPTIONAL,
		.run = run,
	};

	(void)state;
	seen.result = 0;
	seen.runs = 0;
	assert_int_equal(main_with(&strict, ""), EX_SOFTWARE);
	assert_int_equal(seen.runs, 0);
	assert_int_equal(main_with(&optional, ""), EX_OK);
	assert_int_equal(seen.runs, 1);
	t_expect_ll(t_su, "SELECT count(*) FROM job_runs", 0);
}

/* ---- the as-of at full precision, with the real programs ---------- */

static int
program(const char *args)
{
	struct strbuf cmd = STRBUF_INIT;
	int rc;

	setenv("TALLY_DATABASE_URL", t_url, 1);
	strbuf_addf(&cmd, "%s >/dev/null", args);
	rc = testdb_system(cmd.buf);
	strbuf_release(&cmd);
	return rc;
}

/* Every batch program is on the spine: its lock held elsewhere, it exits
 * 75 at once and records nothing (the reports took no lock before). */
static void
test_programs_locked(void **state)
{
	static const char *const programs[] = {
		"tally-allocate", "tally-expire", "tally-reconcile",
		"tally-weekly-report", "tally-monthly-review", "tally-model-stats",
	};
	struct db *holder = NULL;
	char *bin;

	(void)state;
	if (db_connect_url(&holder, t_url, "test", NULL) != 0)
		fail_msg("connect");
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		assert_int_equal(db_try_lock(holder, programs[i]), 0);
		bin = testdb_program(programs[i]);
		if (program(bin) != EX_TEMPFAIL)
			fail_msg("%s ran while its lock was held", programs[i]);
		free(bin);
	}
	db_free(holder);
	t_expect_ll(t_su, "SELECT count(*) FROM job_runs", 0);
}

/*
 * Orders paid an hour ago, fulfilled by tally-allocate just now; then
 * tally-reconcile at its default as-of.  It must see the fulfilments: an
 * as-of cut to the second before them (what time(NULL) gave) opened
 * PAID_NOT_FULFILLED for both.  The control run one microsecond before
 * the fulfilments shows the finder does look that closely.
 */
static void
test_reconcile_after_allocate(void **state)
{
	char dir[] = "/tmp/test_batchjob.XXXXXX", *paid, *evt, *before, *bin;
	struct strbuf cmd = STRBUF_INIT;
	int rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	t_seed_products(t_su);
	t_exec(t_su, "INSERT INTO pool_accounts (email, max_seats) VALUES"
	    " ('pool@acc.io', 5)");
	paid = t_str(t_su, "SELECT extract(epoch FROM now() - interval '1 hour')"
	    "::bigint::text");
	for (int i = 1; i <= 2; i++) {
		char order[16], email[32], key[32];

		snprintf(order, sizeof(order), "R%d", i);
		snprintf(email, sizeof(email), "r%d@example.com", i);
		snprintf(key, sizeof(key), "evt_cs_%s", order);
		evt = t_fixture("stripe_checkout_completed.json", "EVT", key,
		    "CREATED", paid, "ORDER", order, "AMOUNT", "1999", "CURRENCY",
		    "usd", "EMAIL", email, "SKU", "seat-30", "PAYMENT_STATUS",
		    "paid", NULL);
		t_deliver_free(t_su, "stripe", "stripe", key, evt);
	}
	free(paid);
	bin = testdb_program("tally-allocate");
	assert_int_equal(program(bin), 0);
	free(bin);
	t_expect_ll(t_su, "SELECT count(*) FROM fulfilments", 2);
	bin = testdb_program("tally-reconcile");
	strbuf_addf(&cmd, "%s -o %s", bin, dir);
	rc = program(cmd.buf);
	t_expect_ll(t_su, "SELECT count(*) FROM reconcile_runs", 1);
	t_expect_str(t_su, "SELECT as_of >= (SELECT max(created_at) FROM"
	    " fulfilments) FROM reconcile_runs", "t");
	/* it finds nothing at all: no case of any category, exit 0 */
	t_expect_str(t_su, "SELECT coalesce(string_agg(category || ' ' || keys::text,"
	    " ', ' ORDER BY category), '')"
	    " FROM reconcile_cases", "");
	assert_int_equal(rc, 0);
	before = t_str(t_su, "SELECT to_char((min(created_at) - interval"
	    " '1 microsecond') AT TIME ZONE 'UTC',"
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM fulfilments");
	strbuf_addf(&cmd, " --as-of %s", before);
	assert_int_equal(program(cmd.buf), 1);
	t_expect_ll(t_su, "SELECT count(*) FROM reconcile_cases"
	    " WHERE category = 'PAID_NOT_FULFILLED'", 2);
	free(before);
	free(bin);
	strbuf_reset(&cmd);
	strbuf_addf(&cmd, "rm -rf '%s'", dir);
	(void)testdb_system(cmd.buf);
	strbuf_release(&cmd);
}

/* The models sheet's line of model in a model-stats run into dir, or
 * NULL when it is not there (caller frees). */
static char *
model_line(const char *dir, const char *model)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
	struct dirent *de;
	char buf[4096], *line;
	size_t n;
	DIR *d = opendir(dir);
	FILE *f = NULL;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, "-models.csv") != NULL &&
		    strstr(de->d_name, "inactive") == NULL) {
			strbuf_addf(&path, "%s/%s", dir, de->d_name);
			break;
		}
	closedir(d);
	if (path.len > 0)
		f = fopen(path.buf, "r");
	assert_non_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&text, buf, n);
	fclose(f);
	strbuf_reset(&path);
	strbuf_addf(&path, "\r\n\"%s\",", model);
	line = strstr(strbuf_str(&text), path.buf);
	if (line != NULL) {
		line += 2;
		line = xstrndup(line, strcspn(line, "\r"));
	}
	strbuf_release(&path);
	strbuf_release(&text);
	return line;
}

/*
 * A model and a call committed just before tally-model-stats starts: its
 * default as-of (the snapshot's now()) lists the model with its last
 * access; an as-of one microsecond before them does not.
 */
static void
test_report_default_as_of(void **state)
{
	char dir[] = "/tmp/test_batchjob.XXXXXX", *bin, *line, *before;
	struct strbuf cmd = STRBUF_INIT;

	(void)state;
	assert_non_null(mkdtemp(dir));
	t_exec(t_su, "BEGIN;"
	    "INSERT INTO app_users (external_id, email) VALUES ('u_1', 'u@x.io');"
	    "INSERT INTO models (name, credit_cost, provider_cost_minor)"
	    " VALUES ('spine-model', 5, 2);"
	    "INSERT INTO usage_events (event_id, user_id, model_id, kind,"
	    " started_at, duration_ms, credits, status) SELECT 'use_1', u.id,"
	    " m.id, 'edit', now(), 1000, 5, 'ok' FROM app_users u, models m;"
	    "COMMIT");
	bin = testdb_program("tally-model-stats");
	strbuf_addf(&cmd, "%s --format csv --out %s/now", bin, dir);
	assert_int_equal(program(cmd.buf), 0);
	strbuf_reset(&cmd);
	strbuf_addf(&cmd, "%s/now", dir);
	line = model_line(cmd.buf, "spine-model");
	assert_non_null(line);
	/* its last access, the call's start, is the row's last field */
	assert_true(line[strlen(line) - 1] != ',');
	free(line);
	before = t_str(t_su, "SELECT to_char((created_at - interval"
	    " '1 microsecond') AT TIME ZONE 'UTC',"
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM models");
	strbuf_reset(&cmd);
	strbuf_addf(&cmd, "%s --format csv --out %s/before --as-of %s", bin, dir,
	    before);
	assert_int_equal(program(cmd.buf), 0);
	strbuf_reset(&cmd);
	strbuf_addf(&cmd, "%s/before", dir);
	assert_null(model_line(cmd.buf, "spine-model"));
	free(before);
	strbuf_reset(&cmd);
	strbuf_addf(&cmd, "rm -rf '%s'", dir);
	(void)testdb_system(cmd.buf);
	strbuf_release(&cmd);
	free(bin);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
		T(test_options),
		T(test_rows),
		T(test_lock),
		T(test_as_of),
		T(test_config_zone),
		T(test_alerts),
		T(test_row_optional),
		T(test_programs_locked),
		T(test_reconcile_after_allocate),
		T(test_report_default_as_of),
	};

	testdb_require();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
