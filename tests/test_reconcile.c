/*
 * test_reconcile - tally-reconcile against a real database, on the crafted
 * datasets of tests/fixtures/reconcile/: a clean business (clean.sql,
 * clean_settlement.csv) where nothing is found, the same with exactly one
 * planted problem of every category (planted.sql, planted_settlement.csv)
 * where exactly those are found with their keys, amounts and severities,
 * and the fixes (fix.sql, fix_settlement.csv) that close them.  Also:
 * reruns do not duplicate, a run closes only what its period covers,
 * accepted cases stay out of the exit status until their date and then
 * reopen (audited), dry runs record nothing, a bad file records nothing,
 * the lock, exit codes, a configured format and a balances file.
 *
 * Every run is November 2026 (--from 2026-11-01 --to 2026-12-01) in UTC
 * with the default tolerances (0 minor units, 2 grace days, 5 minutes).
 *
 * The tests marked "apart" run again with the matching on a read
 * connection of its own (a second session of the same server, as a hot
 * standby would be: lib/books/reconcile.c's two-transaction run, rows
 * streamed from one connection to the other; the programs get
 * TALLY_READ_DATABASE_URL): the same cases must come out.  t_replica.sh
 * runs it against a real standby.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "base/config.h"
#include "ctl/case.h"
#include "pg/db.h"
#include "base/err.h"
#include "base/log.h"
#include "books/reconcile.h"
#include "jobs/batchjob.h"
#include "base/strbuf.h"
#include "support/testdb.h"
#include "support/tfile.h"

#define FIX "tests/fixtures/reconcile/"
#define ASOF "2026-12-02T00:00:00Z"

/* What planted.sql plants, in category order:
 * category|keys|amount (minor units or credits)|currency|severity|status */
static const char planted_cases[] =
    "PAID_NOT_FULFILLED|{\"order_id\": 10}|1000|USD|error|OPEN\n"
    "FULFILLED_NOT_PAID|{\"order_id\": 11}|500|USD|error|OPEN\n"
    "MISSING_IN_SETTLEMENT|{\"payment_id\": 12}|1000|USD|error|OPEN\n"
    "MISSING_WEBHOOK|{\"txn_id\": \"txn_404\", \"provider\": \"stripe\"}|"
    "1500|USD|error|OPEN\n"
    "AMOUNT_MISMATCH|{\"txn_id\": \"txn_13\", \"provider\": \"stripe\"}|"
    "-100|USD|error|OPEN\n"
    "CURRENCY_MISMATCH|{\"txn_id\": \"txn_14\", \"provider\": \"stripe\"}|"
    "1000|EUR|error|OPEN\n"
    "NET_INCONSISTENT|{\"txn_id\": \"txn_15\", \"provider\": \"stripe\"}|"
    "-10|USD|error|OPEN\n"
    "PAYOUT_TOTAL_MISMATCH|{\"currency\": \"USD\", \"provider\": \"stripe\", "
    "\"payout_id\": \"po_2\"}|41|USD|error|OPEN\n"
    "DUPLICATE_CHARGE|{\"order_id\": 17}|1000|USD|error|OPEN\n"
    "DUPLICATE_FULFILLMENT|{\"order_id\": 18}|1000|USD|error|OPEN\n"
    "REFUND_NOT_REFLECTED|{\"order_id\": 19}|1000|USD|error|OPEN\n"
    "DISPUTE_OPEN|{\"dispute_id\": 1}|1000|USD|warning|OPEN\n"
    "UNEXPLAINED_ADJUSTMENT|{\"txn_id\": \"txn_adj\", \"provider\": "
    "\"stripe\"}|-500|USD|warning|OPEN\n"
    "SEAT_COUNTER_DRIFT|{\"account_id\": 4}|||error|OPEN\n"
    "STUCK_ASSIGNED|{\"account_id\": 5}|||warning|OPEN\n"
    "SEATS_OVERSUBSCRIBED|{\"account_id\": 6}|||error|OPEN\n"
    "CREDITS_OVERDRAWN|{\"user_id\": 3}|-50||warning|OPEN\n"
    "CREDIT_BALANCE_MISMATCH|{\"user_id\": 1}|10||error|OPEN\n"
    "UNPROCESSABLE_EVENT|{\"source\": \"stripe\", \"event_key\": "
    "\"evt_bad\"}|||warning|OPEN\n"
    "UNDERPAID|{\"order_id\": 22}|999|USD|error|OPEN\n"
    "UNKNOWN_PRODUCT|{\"order_id\": 23}|700|USD|error|OPEN\n"
    "OVERPAID|{\"order_id\": 24}|200|USD|warning|OPEN\n"
    "NOTIFICATION_MISMATCH|{\"raw_event_id\": 4}|15000000|IDR|error|OPEN\n"
    "PRODUCT_INACTIVE|{\"order_id\": 26}|1000|USD|error|OPEN\n";

/* Match on a read connection of its own (see above). */
static bool apart;

struct fx {
	char *url;
	struct db *su;		/* superuser: fixtures and checks */
	struct db *db;		/* tally_batch, as the program runs */
	struct db *read;	/* tally_batch, when apart */
	struct config cfg;
	char dir[64];		/* outputs and scratch files */
	struct reconcile_result r;
};

static char *
read_file(const char *name)
{
	char *path = tfile_src(FIX), *data = tfile_read(path, name, NULL);

	free(path);
	return data;
}

/* The path of a fixture file, for the program to open (a buffer the
 * next call reuses). */
static const char *
fixture(const char *name)
{
	static char path[4096];
	char *p = tfile_src(FIX);

	snprintf(path, sizeof(path), "%s%s", p, name);
	free(p);
	return path;
}

static void
load_sql(struct fx *f, const char *name)
{
	char *sql = read_file(name);

	if (db_simple(f->su, sql) != 0)
		fail_msg("%s: %s", name, db_errmsg(f->su));
	free(sql);
}

static void
fx_open(struct fx *f, const char *const *fixtures)
{
	memset(f, 0, sizeof(*f));
	testdb_create(&f->url, &f->su);
	/* the functions the fixtures write their rows with */
	load_sql(f, "lib.sql");
	for (; fixtures != NULL && *fixtures != NULL; fixtures++)
		load_sql(f, *fixtures);
	assert_int_equal(db_connect_url(&f->db, f->url, "test_reconcile",
	    "tally_batch"), 0);
	if (apart) {
		assert_int_equal(db_connect_url(&f->read, f->url,
		    "test_reconcile", "tally_batch"), 0);
		setenv("TALLY_READ_DATABASE_URL", f->url, 1);
	} else {
		unsetenv("TALLY_READ_DATABASE_URL");
	}
	config_init(&f->cfg);
	snprintf(f->dir, sizeof(f->dir), "/tmp/tally-reconcile-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* for the programs and ctl_case() this test starts */
	setenv("TALLY_DATABASE_URL", f->url, 1);
}

static void
fx_close(struct fx *f)
{
	struct strbuf cmd = STRBUF_INIT;

	strbuf_addf(&cmd, "rm -rf '%s'", f->dir);
	(void)testdb_system(cmd.buf);
	strbuf_release(&cmd);
	db_free(f->read);
	db_free(f->db);
	db_free(f->su);
	config_free(&f->cfg);
	free(f->url);
}

/* reconcile_check() and reconcile_run() in the program's lifecycle (lock,
 * job_runs row), as tally-reconcile runs them. */
struct call {
	const struct reconcile_opts *o;
	struct reconcile_result *r;
};

static int
call_prepare(struct batchjob_ctx *ctx)
{
	const struct call *c = ctx->arg;

	return reconcile_check(ctx->cfg, c->o);
}

static int
call_run(struct batchjob_ctx *ctx)
{
	const struct call *c = ctx->arg;

	return reconcile_run_on(ctx->db, ctx->read, ctx->cfg, c->o, ctx->jr,
	    c->r);
}

static int
reconcile_job(struct fx *f, const struct reconcile_opts *o)
{
	static const struct batchjob def = {
		.program = RECONCILE_PROGRAM,
		.prepare = call_prepare,
		.run = call_run,
	};
	struct call c = { o, &f->r };
	struct batchjob_env env;
	struct period_instant as_of;

	assert_int_equal(period_parse_instant_us(o->as_of, "UTC", &as_of), 0);
	memset(&env, 0, sizeof(env));
	env.cfg = &f->cfg;
	env.db = f->db;
	env.read = f->read;
	env.as_of = &as_of;
	env.dry_run = o->dry_run;
	env.arg = &c;
	return batchjob_exec(&def, &env);
}

static int
run_full(struct fx *f, const char *settlement, const char *from,
    const char *to, const char *as_of, bool dry_run)
{
	struct reconcile_opts o;

	memset(&o, 0, sizeof(o));
	o.from = from;
	o.to = to;
	o.as_of = as_of;
	o.settlement = settlement != NULL ? fixture(settlement) : NULL;
	o.out_dir = f->dir;
	o.dry_run = dry_run;
	o.quiet = true;
	return reconcile_job(f, &o);
}

static int
run(struct fx *f, const char *settlement, const char *as_of)
{
	return run_full(f, settlement, "2026-11-01", "2026-12-01", as_of, false);
}

/* A one-value query on the superuser connection, as text ("" for NULL). */
static char *
value(struct fx *f, const char *sql)
{
	char *v = NULL;

	if (db_query_value(f->su, &v, sql, 0, NULL) != 0)
		fail_msg("%s: %s", sql, db_errmsg(f->su));
	return v != NULL ? v : strdup("");
}

static long long
count(struct fx *f, const char *sql)
{
	char *v = value(f, sql);
	long long n = strtoll(v, NULL, 10);

	free(v);
	return n;
}

/* Cases matching where, one line each, in category order. */
static char *
cases(struct fx *f, const char *where)
{
	struct strbuf sql = STRBUF_INIT;
	char *v;

	strbuf_addf(&sql, "SELECT coalesce(string_agg(c.category || '|' ||"
	    " c.keys::text || '|' || coalesce(c.amount_minor::text, '') || '|' ||"
	    " coalesce(c.currency, '') || '|' || c.severity || '|' || c.status"
	    " || E'\\n', '' ORDER BY k.sort, c.id), '')"
	    " FROM reconcile_cases c JOIN reconcile_categories k"
	    " ON k.category = c.category WHERE %s", where);
	v = value(f, sql.buf);
	strbuf_release(&sql);
	return v;
}

static void
expect_cases(struct fx *f, const char *where, const char *want)
{
	char *got = cases(f, where);

	assert_string_equal(got, want);
	free(got);
}

static void
expect_text(struct fx *f, const char *sql, const char *want)
{
	char *got = value(f, sql);

	assert_string_equal(got, want);
	free(got);
}

static bool
file_exists(const struct fx *f, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	return access(path, R_OK) == 0;
}

static char *
read_path(const char *path)
{
	struct strbuf data = STRBUF_INIT;
	char buf[8192];
	size_t n;
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		strbuf_add(&data, buf, n);
	fclose(fp);
	return strbuf_detach(&data, NULL);
}

/* tallyctl case ARGS... (NULL-terminated), in process: its exit status. */
static int
tallyctl_case(const char *arg, ...)
{
	char *argv[16];
	int argc = 0, rc;
	va_list ap;

	argv[argc++] = strdup("case");
	va_start(ap, arg);
	for (; arg != NULL && argc < 15; arg = va_arg(ap, const char *))
		argv[argc++] = strdup(arg);
	va_end(ap);
	argv[argc] = NULL;
	rc = ctl_case(argc, argv);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return rc;
}

/* The same, with what it prints on stdout in *out (caller frees). */
static int
tallyctl_case_out(char **out, const char *dir, const char *a1, const char *a2,
    const char *a3, const char *a4, const char *a5)
{
	char path[128];
	int saved, fd, rc;

	snprintf(path, sizeof(path), "%s/ctl.out", dir);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	close(fd);
	rc = tallyctl_case(a1, a2, a3, a4, a5, NULL);
	fflush(stdout);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	*out = read_path(path);
	return rc;
}

static const char *const clean[] = { "clean.sql", NULL };
static const char *const planted[] = { "clean.sql", "planted.sql", NULL };

/* The Summary sheet's line whose column A is label: its row, or fails. */
static json_t *
summary_line(json_t *sh, const char *label)
{
	json_t *rows = json_object_get(sh, "rows");

	for (size_t r = 0; r < json_array_size(rows); r++) {
		json_t *row = json_array_get(rows, r);
		const char *v = json_string_value(json_object_get(
		    json_array_get(row, 0), "v"));

		if (v != NULL && strcmp(v, label) == 0)
			return row;
	}
	fail_msg("no Summary line \"%s\"", label);
	return NULL;
}

/* Column col of the Summary line label: its number, or its text. */
static double
summary_number(json_t *sh, const char *label)
{
	json_t *v = json_object_get(json_array_get(summary_line(sh, label), 1),
	    "v");

	if (!json_is_number(v))
		fail_msg("Summary line \"%s\" has no number", label);
	return json_number_value(v);
}

/* The row after an action's sentence: its command. */
static const char *
summary_command(json_t *sh, const char *action)
{
	json_t *rows = json_object_get(sh, "rows");

	for (size_t r = 0; r + 1 < json_array_size(rows); r++) {
		const char *v = json_string_value(json_object_get(json_array_get(
		    json_array_get(rows, r), 0), "v"));

		if (v != NULL && strcmp(v, action) == 0)
			return json_string_value(json_object_get(json_array_get(
			    json_array_get(rows, r + 1), 1), "v"));
	}
	fail_msg("no action \"%s\"", action);
	return NULL;
}

/*
 * The workbook opens on its Summary (reports/reconcile/00_summary.sql):
 * the run's figures for the planted dataset (24 open cases, all new, 18
 * at error and 6 at warning; USD amounts without their sign: 115.50) and
 * the actions, each with the tallyctl command that acts.
 */
static void
check_summary(const struct fx *f)
{
	struct strbuf path = STRBUF_INIT;
	json_t *wb, *sh;

	strbuf_addf(&path, "%s/reconcile-2026-11-01_2026-11-30.xlsx", f->dir);
	wb = tfile_xlsx(path.buf);
	sh = json_array_get(json_object_get(wb, "sheets"), 0);
	assert_string_equal(json_string_value(json_object_get(sh, "name")),
	    "Summary");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(summary_line(sh, "Reconcile report"), 0), "v")),
	    "Reconcile report");
	/* the period is over at the as-of instant: no banner */
	assert_non_null(summary_line(sh, "2026-11-01 to 2026-11-30"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    summary_line(sh, "As of"), 1), "v")),
	    "2026-12-02 00:00 UTC (UTC+00:00)");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    summary_line(sh, "Time zone"), 1), "v")), "UTC");
	assert_true(summary_number(sh, "Open cases") == 24);
	assert_true(summary_number(sh, "New cases (opened by this run)") == 24);
	assert_true(summary_number(sh, "Cases closed by this run") == 0);
	assert_true(summary_number(sh, "Accepted cases") == 0);
	assert_true(summary_number(sh, "Open cases of severity error") == 18);
	assert_true(summary_number(sh, "Open cases of severity warning") == 6);
	assert_true(summary_number(sh, "Open amount in USD") == 115.5);
	assert_true(summary_number(sh, "Open amount in EUR") == 10);
	assert_true(summary_number(sh, "Open credits (credit categories)") ==
	    60);
	assert_string_equal(summary_command(sh, "18 open cases of severity "
	    "error: fix the cause (each category's sheet says how), or accept "
	    "the case with a note."), "tallyctl case list --open --severity "
	    "error");
	assert_string_equal(summary_command(sh, "3 paid orders are held for "
	    "review, the oldest paid 2026-11-23 10:00: approve or refund each "
	    "(see \"Price checks\")."), "tallyctl order list --held; tallyctl "
	    "order approve ID --reason TEXT");
	assert_string_equal(summary_command(sh, "1 paid order has no seat or "
	    "credits: see \"Paid not fulfilled\"."),
	    "tallyctl order list --unfulfilled");
	assert_string_equal(summary_command(sh, "1 webhook delivery could not "
	    "be processed: fix the product or the data, then retry."),
	    "tallyctl event list --failed; tallyctl event retry ID");
	assert_string_equal(summary_command(sh, "6 open cases of severity "
	    "warning or info: accept the expected ones with a note and a "
	    "date."), "tallyctl case accept ID --note TEXT --until YYYY-MM-DD");
	json_decref(wb);
	strbuf_release(&path);
}

/* Nothing at all on the clean dataset, with its settlement file and a
 * balances file that agrees; again on a rerun. */
static void
test_clean_finds_nothing(void **state)
{
	struct fx f;
	struct reconcile_opts o;
	char path[128];
	FILE *fp;

	(void)state;
	fx_open(&f, clean);
	assert_int_equal(run(&f, "clean_settlement.csv", ASOF), 0);
	assert_int_equal(f.r.found, 0);
	assert_int_equal(f.r.settlement.rows, 8);
	assert_int_equal(f.r.settlement.inserted, 8);
	/* five charges and the refund name a payment; fee and payout do not */
	assert_int_equal(f.r.settlement.matched, 6);
	assert_int_equal(count(&f, "SELECT count(*) FROM reconcile_cases"), 0);
	expect_text(&f, "SELECT status || ' ' || found || ' ' || settlement_rows"
	    " FROM reconcile_runs", "OK 0 8");
	expect_text(&f, "SELECT status || ' ' || (counts->>'found')"
	    " FROM job_runs WHERE program = 'tally-reconcile'", "OK 0");

	/* the image service agrees with the ledger at as-of: 70 credits */
	snprintf(path, sizeof(path), "%s/balances.csv", f.dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("user,balance\r\nu_1,70\r\n", fp);
	assert_int_equal(fclose(fp), 0);
	memset(&o, 0, sizeof(o));
	o.from = "2026-11-01";
	o.to = "2026-12-01";
	o.as_of = ASOF;
	o.balances = path;
	o.out_dir = f.dir;
	o.quiet = true;
	assert_int_equal(reconcile_job(&f, &o), 0);
	assert_int_equal(f.r.found, 0);
	assert_int_equal(count(&f, "SELECT count(*) FROM reconcile_cases"), 0);
	assert_int_equal(count(&f, "SELECT count(*) FROM settlement_rows"), 8);
	fx_close(&f);
}

/* Exactly the planted cases, with their keys, amounts and severities,
 * the details an admin acts on, the run's rows and its files. */
static void
test_planted_every_category(void **state)
{
	struct fx f;
	struct strbuf path = STRBUF_INIT;
	char *csv;

	(void)state;
	fx_open(&f, planted);
	assert_int_equal(run(&f, "planted_settlement.csv", ASOF),
	    TALLY_EPROBLEMS);
	assert_int_equal(f.r.found, 24);
	assert_int_equal(f.r.opened, 24);
	assert_int_equal(f.r.open_total, 24);
	assert_int_equal(f.r.open_alerting, 24);
	assert_int_equal(f.r.settlement.rows, 23);
	expect_cases(&f, "true", planted_cases);
	/* every category of the schema is planted once */
	assert_int_equal(count(&f, "SELECT count(*) FROM reconcile_categories k"
	    " WHERE (SELECT count(*) FROM reconcile_cases c"
	    "         WHERE c.category = k.category) <> 1"), 0);

	/* where each problem is, for the admin */
	expect_text(&f, "SELECT details->>'file' FROM reconcile_cases"
	    " WHERE category = 'MISSING_WEBHOOK'",
	    fixture("planted_settlement.csv"));
	expect_text(&f, "SELECT concat_ws(' ', details->>'line',"
	    " details->>'gross', details->>'payment_ref') FROM reconcile_cases"
	    " WHERE category = 'MISSING_WEBHOOK'", "12 15.00 pi_404");
	expect_text(&f, "SELECT concat_ws(' ', details->>'recorded',"
	    " details->>'gross', details->>'line') FROM reconcile_cases"
	    " WHERE category = 'AMOUNT_MISMATCH'", "10.00 9.00 13");
	expect_text(&f, "SELECT concat_ws(' ', details->>'payout_amount',"
	    " details->>'rows_net', details->>'rows') FROM reconcile_cases"
	    " WHERE category = 'PAYOUT_TOTAL_MISMATCH'", "9.00 9.41 1");
	expect_text(&f, "SELECT concat_ws(' ', details->>'customer_email',"
	    " details->>'sku', details->>'provider_ref') FROM reconcile_cases"
	    " WHERE category = 'PAID_NOT_FULFILLED'", "p10@x.test SEAT30 pi_10");
	expect_text(&f, "SELECT concat_ws(' ', details->>'email',"
	    " details->>'peak_seats', details->>'capacity',"
	    " (details->>'first_over_at')::timestamptz AT TIME ZONE 'UTC')"
	    " FROM reconcile_cases WHERE category = 'SEATS_OVERSUBSCRIBED'",
	    "over@pool.test 2 1 2026-11-15 00:00:00");
	expect_text(&f, "SELECT concat_ws(' ', details->>'current_seats_used',"
	    " details->>'active_assignments') FROM reconcile_cases"
	    " WHERE category = 'SEAT_COUNTER_DRIFT'", "2 1");
	expect_text(&f, "SELECT concat_ws(' ', details->>'external_id',"
	    " details->>'ours', details->>'theirs', details->>'snapshot_from')"
	    " FROM reconcile_cases WHERE category = 'CREDIT_BALANCE_MISMATCH'",
	    "u_1 70 60 event");
	expect_text(&f, "SELECT concat_ws(' ', details->>'error',"
	    " details->>'raw_event_id') FROM reconcile_cases"
	    " WHERE category = 'UNPROCESSABLE_EVENT'", "unknown sku: NOPE 3");
	expect_text(&f, "SELECT concat_ws(' ', details->>'payment_ids',"
	    " details->>'charged') FROM reconcile_cases"
	    " WHERE category = 'DUPLICATE_CHARGE'", "[\"pi_17a\", \"pi_17b\"] 20.00");
	expect_text(&f, "SELECT concat_ws(' ', details->>'active_assignment_ids',"
	    " details->>'chargeback') FROM reconcile_cases"
	    " WHERE category = 'REFUND_NOT_REFLECTED'", "[20] false");

	/* the run, the job and the files */
	expect_text(&f, "SELECT concat_ws(' ', status, found, opened, closed,"
	    " open_total, settlement_rows, settlement_format,"
	    " length(settlement_sha256)) FROM reconcile_runs",
	    "PROBLEMS 24 24 0 24 23 stripe 64");
	expect_text(&f, "SELECT concat_ws(' ', status, counts->>'found',"
	    " counts->>'open_alerting', jsonb_array_length(outputs))"
	    " FROM job_runs WHERE program = 'tally-reconcile'", "PROBLEMS 24 24 24");
	assert_true(file_exists(&f, "reconcile-2026-11-01_2026-11-30.xlsx"));
	assert_true(file_exists(&f,
	    "reconcile-2026-11-01_2026-11-30.manifest.json"));
	assert_true(file_exists(&f, "reconcile-2026-11-01_2026-11-30-aging.csv"));
	strbuf_addf(&path, "%s/reconcile-2026-11-01_2026-11-30-cases-by-category.csv",
	    f.dir);
	csv = read_path(path.buf);
	assert_non_null(strstr(csv, "\"category\",\"title\",\"default_severity\","
	    "\"currency\",\"open\",\"accepted\",\"new\",\"closed\",\"open_amount\","
	    "\"action\"\r\n\"PAID_NOT_FULFILLED\","));
	assert_non_null(strstr(csv, "\"CURRENCY_MISMATCH\",\"Currency differs: "
	    "the settled charge from our payment, or a payment from its "
	    "product's price\",\"error\",\"EUR\",1,0,1,0,10.00,"));
	assert_non_null(strstr(csv, "\"CREDITS_OVERDRAWN\",\"User with a negative "
	    "credit balance\",\"warning\",,1,0,1,0,-50,"));
	free(csv);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/reconcile-2026-11-01_2026-11-30-aging.csv", f.dir);
	csv = read_path(path.buf);
	/* 23 days from 11-08 10:00 to 12-02; counters age from first seen */
	assert_non_null(strstr(csv, "\"MISSING_IN_SETTLEMENT\",\"warning\",0,0,1,0,1,"
	    "23\r\n"));
	assert_non_null(strstr(csv, "\"SEAT_COUNTER_DRIFT\",\"error\",1,0,0,0,1,0\r\n"));
	free(csv);
	strbuf_release(&path);
	check_summary(&f);
	fx_close(&f);
}

/* The same run again: the same cases, one more occurrence each, no new
 * case and no new settlement row. */
static void
test_rerun_does_not_duplicate(void **state)
{
	struct fx f;

	(void)state;
	fx_open(&f, planted);
	assert_int_equal(run(&f, "planted_settlement.csv", ASOF),
	    TALLY_EPROBLEMS);
	assert_int_equal(run(&f, "planted_settlement.csv",
	    "2026-12-02T06:00:00Z"), TALLY_EPROBLEMS);
	assert_int_equal(f.r.found, 24);
	assert_int_equal(f.r.opened, 0);
	assert_int_equal(f.r.closed, 0);
	assert_int_equal(f.r.settlement.inserted, 0);
	assert_int_equal(f.r.settlement.updated, 0);
	expect_cases(&f, "true", planted_cases);
	assert_int_equal(count(&f, "SELECT count(*) FROM reconcile_cases"
	    " WHERE occurrences = 2 AND first_seen = '" ASOF "'"
	    " AND last_seen = '2026-12-02T06:00:00Z'"), 24);
	assert_int_equal(count(&f, "SELECT count(*) FROM settlement_rows"), 23);
	assert_int_equal(count(&f, "SELECT count(*) FROM reconcile_runs"), 2);
	fx_close(&f);
}

/* Fixing the data closes each case; the provider's own adjustment stays
 * open until accepted; accepted, it stays out of the exit status until
 * its date, then reopens (audited). */
static void
test_fixing_closes(void **state)
{
	struct fx f;
	char *id;

	(void)state;
	fx_open(&f, planted);
	assert_int_equal(run(&f, "planted_settlement.csv", ASOF),
	    TALLY_EPROBLEMS);
	load_sql(&f, "fix.sql");
	assert_int_equal(run(&f, "fix_settlement.csv", "2026-12-03T00:00:00Z"),
	    TALLY_EPROBLEMS);
	assert_int_equal(f.r.closed, 23);
	assert_int_equal(f.r.opened, 0);
	assert_int_equal(f.r.open_total, 1);
	expect_cases(&f, "c.status <> 'CLOSED'",
	    "UNEXPLAINED_ADJUSTMENT|{\"txn_id\": \"txn_adj\", \"provider\": "
	    "\"stripe\"}|-500|USD|warning|OPEN\n");
	assert_int_equal(count(&f, "SELECT count(*) FROM reconcile_cases"
	    " WHERE status = 'CLOSED' AND closed_at = '2026-12-03T00:00:00Z'"
	    " AND closed_run_id = (SELECT max(id) FROM reconcile_runs)"), 23);
	/* the late webhook's payment was matched to its settled row */
	assert_int_equal(count(&f, "SELECT count(*) FROM settlement_rows"
	    " WHERE txn_id = 'txn_404' AND payment_id = 23"), 1);

	/* accepted (through tallyctl case accept) */
	id = value(&f, "SELECT id FROM reconcile_cases WHERE status = 'OPEN'");
	assert_int_equal(tallyctl_case("accept", id, "--note",
	    "reserve released by Stripe, see ticket 42", "--until", "2099-12-31",
	    "--actor", "alice", NULL), 0);
	expect_text(&f, "SELECT concat_ws(' ', status, accepted_by,"
	    " accepted_until) FROM reconcile_cases WHERE status <> 'CLOSED'",
	    "ACCEPTED alice 2099-12-31");
	expect_text(&f, "SELECT concat_ws(' ', actor, entity, reason,"
	    " before->>'status', after->>'status') FROM audit_log"
	    " WHERE action = 'case.accept'",
	    "alice reconcile_case reserve released by Stripe, see ticket 42 "
	    "OPEN ACCEPTED");
	assert_int_equal(run(&f, NULL, "2026-12-03T12:00:00Z"), 0);
	assert_int_equal(f.r.found, 1);
	assert_int_equal(f.r.open_total, 0);
	expect_text(&f, "SELECT status || ' ' || occurrences FROM reconcile_cases"
	    " WHERE status <> 'CLOSED'", "ACCEPTED 3");

	/* an acceptance that runs out on 12-03 (set as if accepted so) */
	assert_int_equal(db_simple(f.su, "UPDATE reconcile_cases"
	    " SET accepted_until = '2026-12-03' WHERE status = 'ACCEPTED'"), 0);
	assert_int_equal(run(&f, NULL, "2026-12-03T23:59:00Z"), 0);
	expect_text(&f, "SELECT status FROM reconcile_cases"
	    " WHERE status <> 'CLOSED'", "ACCEPTED");
	assert_int_equal(run(&f, NULL, "2026-12-04T00:01:00Z"), TALLY_EPROBLEMS);
	assert_int_equal(f.r.reopened, 1);
	assert_int_equal(f.r.open_alerting, 1);
	expect_cases(&f, "c.status <> 'CLOSED'",
	    "UNEXPLAINED_ADJUSTMENT|{\"txn_id\": \"txn_adj\", \"provider\": "
	    "\"stripe\"}|-500|USD|warning|OPEN\n");
	expect_text(&f, "SELECT concat_ws(' ', actor, entity_id = (SELECT"
	    " id::text FROM reconcile_cases WHERE status = 'OPEN'), reason,"
	    " before->>'status', after->>'status') FROM audit_log"
	    " WHERE action = 'case.reopen'",
	    "tally-reconcile t acceptance ran out on 2026-12-03 ACCEPTED OPEN");
	free(id);
	fx_close(&f);
}

/* tallyctl case list / show / accept: filters, refusals, usage errors. */
static void
test_case_commands(void **state)
{
	struct fx f;
	char *closed_id, *open_id, *out;
	(void)state;
	fx_open(&f, planted);
	assert_int_equal(run(&f, "planted_settlement.csv", ASOF),
	    TALLY_EPROBLEMS);
	/* close one by fixing it */
	assert_int_equal(db_simple(f.su, "UPDATE disputes SET status = 'WON'"),
	    0);
	assert_int_equal(run(&f, NULL, ASOF), TALLY_EPROBLEMS);
	closed_id = value(&f, "SELECT id FROM reconcile_cases"
	    " WHERE category = 'DISPUTE_OPEN'");
	open_id = value(&f, "SELECT id FROM reconcile_cases"
	    " WHERE category = 'STUCK_ASSIGNED'");

	/* the closed dispute is listed, but not with --open */
	assert_int_equal(tallyctl_case_out(&out, f.dir, "list", "--category",
	    "dispute_open", "--csv", NULL), 0);
	assert_non_null(strstr(out, "\"DISPUTE_OPEN\",\"CLOSED\",\"warning\","
	    "\"{\"\"dispute_id\"\": 1}\",10.00,\"USD\","));
	free(out);
	assert_int_equal(tallyctl_case_out(&out, f.dir, "list", "--open",
	    "--category", "dispute_open", "--csv"), 0);
	assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1);
	free(out);
	assert_int_equal(tallyctl_case_out(&out, f.dir, "list", "--open", "--json",
	    NULL, NULL), 0);
	assert_non_null(strstr(out, "\"category\":\"STUCK_ASSIGNED\""));
	assert_null(strstr(out, "DISPUTE_OPEN"));
	free(out);
	assert_int_equal(tallyctl_case("list", "--category", "NOPE", NULL), 64);
	assert_int_equal(tallyctl_case_out(&out, f.dir, "show", open_id, NULL,
	    NULL, NULL), 0);
	assert_non_null(strstr(out, "stuck@pool.test"));
	free(out);
	/* refused: closed, no note, a past date, no such case */
	assert_int_equal(tallyctl_case("accept", closed_id, "--note", "x", NULL),
	    65);
	assert_int_equal(tallyctl_case("accept", open_id, NULL), 64);
	assert_int_equal(tallyctl_case("accept", open_id, "--note", "x",
	    "--until", "2001-01-01", NULL), 64);
	assert_int_equal(tallyctl_case("accept", "999999", "--note", "x", NULL),
	    65);
	assert_int_equal(tallyctl_case("accept", "nine", "--note", "x", NULL),
	    64);
	assert_int_equal(tallyctl_case("accept", open_id, "--note", "x",
	    "--dry-run", NULL), 0);
	/* none of these changed anything */
	assert_int_equal(count(&f, "SELECT count(*) FROM reconcile_cases"
	    " WHERE status = 'ACCEPTED'"), 0);
	assert_int_equal(count(&f, "SELECT count(*) FROM audit_log"), 0);
	free(closed_id);
	free(open_id);
	fx_close(&f);
}

/* A dry run finds and shows, records nothing and writes nothing. */
static void
test_dry_run(void **state)
{
	struct fx f;

	(void)state;
	fx_open(&f, planted);
	assert_int_equal(run_full(&f, "planted_settlement.csv", "2026-11-01",
	    "2026-12-01", ASOF, true), TALLY_EPROBLEMS);
	assert_int_equal(f.r.found, 24);
	assert_int_equal(f.r.run_id, 0);
	assert_int_equal(count(&f, "SELECT (SELECT count(*) FROM reconcile_cases)"
	    " + (SELECT count(*) FROM settlement_rows)"
	    " + (SELECT count(*) FROM reconcile_runs)"
	    " + (SELECT count(*) FROM job_runs)"), 0);
	assert_false(file_exists(&f, "reconcile-2026-11-01_2026-11-30.xlsx"));
	fx_close(&f);
}

/*
 * MISSING_IN_SETTLEMENT waits the grace days, is a warning for a week,
 * then an error; a run for another period neither finds nor closes
 * November's dated cases, but does close state cases that were fixed.
 */
static void
test_grace_aging_and_scope(void **state)
{
	struct fx f;

	(void)state;
	fx_open(&f, planted);
	/* pi_12 was paid 11-08 10:00: one day old, within the grace */
	assert_int_equal(run(&f, "planted_settlement.csv",
	    "2026-11-09T10:00:00Z"), TALLY_EPROBLEMS);
	assert_int_equal(count(&f, "SELECT count(*) FROM reconcile_cases"
	    " WHERE category = 'MISSING_IN_SETTLEMENT'"), 0);
	/* five days: a warning */
	assert_int_equal(run(&f, NULL, "2026-11-13T10:00:00Z"), TALLY_EPROBLEMS);
	expect_text(&f, "SELECT severity FROM reconcile_cases"
	    " WHERE category = 'MISSING_IN_SETTLEMENT'", "warning");
	/* 24 days: the same case, now an error */
	assert_int_equal(run(&f, NULL, ASOF), TALLY_EPROBLEMS);
	expect_text(&f, "SELECT severity || ' ' || occurrences FROM"
	    " reconcile_cases WHERE category = 'MISSING_IN_SETTLEMENT'",
	    "error 2");
	expect_cases(&f, "true", planted_cases);

	/* fix a state problem and a dated one, then run for October */
	assert_int_equal(db_simple(f.su,
	    "SET session_replication_role = replica;"
	    "UPDATE pool_accounts SET current_seats_used = 1 WHERE id = 4;"
	    "SET session_replication_role = origin;"
	    "INSERT INTO assignments (account_id, customer_id, order_id, status,"
	    " starts_at, ends_at, created_at) VALUES (1, 10, 10, 'ACTIVE',"
	    " '2026-12-01', '2026-12-31', '2026-12-01');"
	    "INSERT INTO fulfilments (order_id, kind, assignment_id, created_at)"
	    " SELECT 10, 'SEAT', max(id), '2026-12-01' FROM assignments"), 0);
	assert_int_equal(run_full(&f, NULL, "2026-10-01", "2026-11-01", ASOF,
	    false), TALLY_EPROBLEMS);
	expect_text(&f, "SELECT string_agg(category || ' ' || status, ', '"
	    " ORDER BY category) FROM reconcile_cases WHERE category IN"
	    " ('SEAT_COUNTER_DRIFT', 'PAID_NOT_FULFILLED', 'DISPUTE_OPEN')",
	    "DISPUTE_OPEN OPEN, PAID_NOT_FULFILLED OPEN, SEAT_COUNTER_DRIFT CLOSED");
	/* November closes it */
	assert_int_equal(run(&f, NULL, ASOF), TALLY_EPROBLEMS);
	expect_text(&f, "SELECT status FROM reconcile_cases"
	    " WHERE category = 'PAID_NOT_FULFILLED'", "CLOSED");
	fx_close(&f);
}

/* ---- the program ---- */

static int
program(struct fx *f, const char *args, char **err_out)
{
	struct strbuf cmd = STRBUF_INIT;
	char *prog = testdb_program("tally-reconcile");
	char errpath[128];
	int rc;

	snprintf(errpath, sizeof(errpath), "%s/stderr", f->dir);
	strbuf_addf(&cmd, "%s %s -o '%s' >'%s/stdout' 2>'%s'", prog, args,
	    f->dir, f->dir, errpath);
	rc = testdb_system(cmd.buf);
	if (err_out != NULL)
		*err_out = read_path(errpath);
	strbuf_release(&cmd);
	free(prog);
	return rc;
}

#define NOV "--from 2026-11-01 --to 2026-12-01 --as-of " ASOF

static void
test_program_exit_codes(void **state)
{
	struct fx f;
	struct strbuf args = STRBUF_INIT;
	char *err = NULL, *out;
	char path[128];
	FILE *fp;

	(void)state;
	fx_open(&f, planted);
	assert_int_equal(program(&f, "--help", NULL), 0);
	assert_int_equal(program(&f, "--version", NULL), 0);
	assert_int_equal(program(&f, "--bogus", NULL), 64);
	assert_int_equal(program(&f, "--from 2026-12-01 --to 2026-11-01", NULL),
	    64);
	assert_int_equal(program(&f, "--as-of yesterday", NULL), 64);
	assert_int_equal(program(&f, "--format stripe", NULL), 64);
	strbuf_addf(&args, NOV " --settlement %s --format nosuch",
	    fixture("planted_settlement.csv"));
	assert_int_equal(program(&f, args.buf, NULL), 78);

	/* a bad line: named, exit 65, nothing recorded (but the failed run
	 * is in job_runs) */
	snprintf(path, sizeof(path), "%s/bad.csv", f.dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("\xef\xbb\xbf" "balance_transaction_id,created_utc,currency,gross,"
	    "fee,net,reporting_category,description\r\n"
	    "txn_a,2026-11-03 10:00,usd,10.00,0.59,9.41,charge,\"multi\r\nline\"\r\n"
	    "txn_b,2026-11-03 10:00,usd,12.3x,0.59,9.41,charge,x\r\n"
	    "txn_c,2026-11-31 10:00,usd,10.00,0.59,9.41,charge,x\r\n", fp);
	assert_int_equal(fclose(fp), 0);
	strbuf_reset(&args);
	strbuf_addf(&args, NOV " --settlement %s", path);
	assert_int_equal(program(&f, args.buf, &err), 65);
	assert_non_null(strstr(err, "bad.csv:4: gross: '12.3x' is not an amount in "
	    "USD"));
	assert_non_null(strstr(err, "bad.csv:5: created_utc: '2026-11-31 10:00' is "
	    "not a date"));
	free(err);
	assert_int_equal(count(&f, "SELECT (SELECT count(*) FROM reconcile_cases)"
	    " + (SELECT count(*) FROM settlement_rows)"
	    " + (SELECT count(*) FROM reconcile_runs)"), 0);
	expect_text(&f, "SELECT string_agg(status, ',') FROM job_runs"
	    " WHERE program = 'tally-reconcile'", "FAILED");

	/* problems: exit 1, the files on stdout */
	strbuf_reset(&args);
	strbuf_addf(&args, NOV " --settlement %s",
	    fixture("planted_settlement.csv"));
	assert_int_equal(program(&f, args.buf, &err), 1);
	assert_non_null(strstr(err, "24 open cases at or above severity warning"));
	free(err);
	snprintf(path, sizeof(path), "%s/stdout", f.dir);
	out = read_path(path);
	assert_non_null(strstr(out, "/reconcile-2026-11-01_2026-11-30.xlsx\n"));
	assert_non_null(strstr(out, "/reconcile-2026-11-01_2026-11-30.manifest.json\n"));
	free(out);

	/* the dry run prints what would change */
	assert_int_equal(program(&f, NOV " --dry-run", NULL), 1);
	out = read_path(path);
	assert_non_null(strstr(out, "again"));
	assert_non_null(strstr(out, "PAYOUT_TOTAL_MISMATCH"));
	free(out);

	/* another run holds the lock: 75 */
	assert_int_equal(db_simple(f.su, "SELECT pg_advisory_lock(7283391,"
	    " hashtext('tally-reconcile'))"), 0);
	assert_int_equal(program(&f, NOV, &err), 75);
	assert_non_null(strstr(err, "holds the lock"));
	free(err);
	assert_int_equal(db_simple(f.su, "SELECT pg_advisory_unlock(7283391,"
	    " hashtext('tally-reconcile'))"), 0);
	strbuf_release(&args);
	fx_close(&f);

	/* nothing wrong: 0 */
	fx_open(&f, clean);
	strbuf_addf(&args, NOV " --settlement %s",
	    fixture("clean_settlement.csv"));
	assert_int_equal(program(&f, args.buf, NULL), 0);
	strbuf_release(&args);
	fx_close(&f);
}

/* Another provider through a [settlement NAME] mapping, and a severity
 * threshold that lets warnings pass. */
static void
test_configured_format(void **state)
{
	struct fx f;
	struct strbuf args = STRBUF_INIT;
	char conf[128], csv[128];
	FILE *fp;

	(void)state;
	fx_open(&f, clean);
	assert_int_equal(db_simple(f.su,
	    "INSERT INTO orders (source, provider_ref, customer_id, product_id,"
	    " amount_minor, currency, status, paid_at) VALUES ('midtrans',"
	    " 'ORDER-1', 1, 1, 15000000, 'IDR', 'PAID', '2026-11-05 10:00+07');"
	    "INSERT INTO payments (order_id, source, provider_payment_id,"
	    " amount_minor, currency, status, paid_at) SELECT id, 'midtrans',"
	    " 'mt-1', 15000000, 'IDR', 'SUCCEEDED', paid_at FROM orders"
	    " WHERE provider_ref = 'ORDER-1';"
	    "INSERT INTO assignments (account_id, customer_id, order_id, status,"
	    " starts_at, ends_at, created_at) SELECT 1, 1, id, 'ACTIVE',"
	    " paid_at, paid_at + interval '30 days', paid_at FROM orders"
	    " WHERE provider_ref = 'ORDER-1';"
	    "INSERT INTO fulfilments (order_id, kind, assignment_id, created_at)"
	    " SELECT order_id, 'SEAT', id, created_at FROM assignments"
	    " WHERE id = (SELECT max(id) FROM assignments)"), 0);
	snprintf(conf, sizeof(conf), "%s/tally.conf", f.dir);
	fp = fopen(conf, "w");
	assert_non_null(fp);
	fputs("reconcile_severity = error\n"
	    "[settlement midtrans]\n"
	    "provider = midtrans\n"
	    "col_id = Transaction ID\n"
	    "col_payment = Transaction ID\n"
	    "col_order = Order ID\n"
	    "col_created = Transaction Time\n"
	    "col_gross = Amount\n"
	    "col_fee = Fee\n"
	    "col_category = Status\n"
	    "default_currency = IDR\n", fp);
	assert_int_equal(fclose(fp), 0);
	snprintf(csv, sizeof(csv), "%s/mt.csv", f.dir);
	fp = fopen(csv, "w");
	assert_non_null(fp);
	fputs("Order ID;Transaction ID;Transaction Time;Amount;Fee;Status\n",
	    fp);
	assert_int_equal(fclose(fp), 0);
	/* semicolons are not this reader's separator: one unknown column */
	strbuf_addf(&args, NOV " -c %s --settlement %s --format midtrans", conf,
	    csv);
	assert_int_equal(program(&f, args.buf, NULL), 65);
	fp = fopen(csv, "w");
	assert_non_null(fp);
	fputs("Order ID,Transaction ID,Transaction Time,Amount,Fee,Status\n"
	    "ORDER-1,mt-1,2026-11-05 10:00:10 +07:00,150000.00,4500.00,"
	    "settlement\n"
	    "ORDER-9,mt-9,2026-11-06 10:00:10 +07:00,75000.00,2250.00,"
	    "settlement\n"
	    "ORDER-8,mt-8,2026-11-07 10:00:10 +07:00,1000.00,0.00,"
	    "mystery\n", fp);
	assert_int_equal(fclose(fp), 0);
	/* ORDER-9 was never notified: an error; the mystery row a warning,
	 * which reconcile_severity = error lets pass -- so exit 1 */
	assert_int_equal(program(&f, args.buf, NULL), 1);
	expect_cases(&f, "true",
	    "MISSING_WEBHOOK|{\"txn_id\": \"mt-9\", \"provider\": \"midtrans\"}|"
	    "7500000|IDR|error|OPEN\n"
	    "UNEXPLAINED_ADJUSTMENT|{\"txn_id\": \"mt-8\", \"provider\": "
	    "\"midtrans\"}|100000|IDR|warning|OPEN\n");
	expect_text(&f, "SELECT concat_ws(' ', fee_minor, net_minor,"
	    " created_at AT TIME ZONE 'UTC', payment_id IS NOT NULL)"
	    " FROM settlement_rows WHERE txn_id = 'mt-1'",
	    "450000 14550000 2026-11-05 03:00:10 t");
	/* accept the error one: only the warning is left, below the bar */
	assert_int_equal(db_simple(f.su, "UPDATE reconcile_cases SET"
	    " status = 'ACCEPTED', accepted_at = now(), accepted_note = 'test'"
	    " WHERE category = 'MISSING_WEBHOOK'"), 0);
	assert_int_equal(program(&f, args.buf, NULL), 0);
	strbuf_release(&args);
	fx_close(&f);
}

/* The image service's balances from a file: a disagreement is a case;
 * a bad file records nothing. */
static void
test_balances_file(void **state)
{
	struct fx f;
	struct strbuf args = STRBUF_INIT;
	char path[128];
	char *err = NULL;
	FILE *fp;

	(void)state;
	fx_open(&f, clean);
	snprintf(path, sizeof(path), "%s/bal.csv", f.dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("user,balance\nu_1,65\nu_unknown,5\n", fp);
	assert_int_equal(fclose(fp), 0);
	strbuf_addf(&args, NOV " --balances %s", path);
	assert_int_equal(program(&f, args.buf, NULL), 1);
	expect_cases(&f, "true",
	    "CREDIT_BALANCE_MISMATCH|{\"user_id\": 1}|5||error|OPEN\n");
	expect_text(&f, "SELECT concat_ws(' ', details->>'ours',"
	    " details->>'theirs', details->>'snapshot_from') FROM reconcile_cases",
	    "70 65 file");
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("user,balance\nu_1,70\nu_2,lots\nu_1,3\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(program(&f, args.buf, &err), 65);
	assert_non_null(strstr(err, "bal.csv:3: balance: 'lots' is not a whole "
	    "number of credits"));
	free(err);
	/* the earlier case is untouched by the refused run */
	expect_text(&f, "SELECT occurrences FROM reconcile_cases", "1");
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("user,balance\nu_1,70\nu_1,3\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(program(&f, args.buf, &err), 65);
	assert_non_null(strstr(err, "bal.csv:3: user: 'u_1' is already on line 2"));
	free(err);
	strbuf_release(&args);
	fx_close(&f);
}

static int
set_apart(void **state)
{
	(void)state;
	apart = true;
	return 0;
}

static int
unset_apart(void **state)
{
	(void)state;
	apart = false;
	return 0;
}

#define APART(t) cmocka_unit_test_setup_teardown(t, set_apart, unset_apart)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_finds_nothing),
		cmocka_unit_test(test_planted_every_category),
		cmocka_unit_test(test_rerun_does_not_duplicate),
		cmocka_unit_test(test_fixing_closes),
		cmocka_unit_test(test_case_commands),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_grace_aging_and_scope),
		cmocka_unit_test(test_program_exit_codes),
		cmocka_unit_test(test_configured_format),
		cmocka_unit_test(test_balances_file),
		APART(test_clean_finds_nothing),
		APART(test_planted_every_category),
		APART(test_rerun_does_not_duplicate),
		APART(test_fixing_closes),
		APART(test_dry_run),
		APART(test_grace_aging_and_scope),
		APART(test_program_exit_codes),
		APART(test_configured_format),
		APART(test_balances_file),
	};

	log_init("test_reconcile");
	testdb_require();
	return cmocka_run_group_tests_name("reconcile", tests, NULL, NULL);
}
