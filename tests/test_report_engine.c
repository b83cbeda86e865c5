/*
 * test_report_engine.c - the report engine against a real PostgreSQL:
 * cell types from column types, CSV and XLSX content (read back with
 * openpyxl), formula injection, the snapshot and time zone, parameters,
 * empty results, errors that leave no half-written files, job_runs rows,
 * manifests, reruns that give the same bytes, dry runs, formats and
 * continuation sheets; what the XLSX adds for people: headers and notes
 * from the SQL comment, total rows, cell notes, windows, timestamps in
 * the report zone with the offset where an hour repeats.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "pg/db.h"
#include "base/err.h"
#include "base/period.h"
#include "jobs/reportjob.h"
#include "report/engine.h"
#include "base/strbuf.h"
#include "support/testdb.h"
#include "support/sheet_test.h"
#include "support/tfile.h"

#define BERLIN "Europe/Berlin"

static struct db *db;		/* as tally_batch, like the programs */
static struct db *admin;	/* superuser: to look at job_runs */
static char *tmp;

static json_t *
xcell(json_t *wb, size_t sheet, size_t row, size_t col)
{
	json_t *s = json_array_get(json_object_get(wb, "sheets"), sheet);

	return json_array_get(json_array_get(json_object_get(s, "rows"), row),
	    col);
}

static void
assert_xcell(json_t *wb, size_t row, size_t col, const char *type,
    const char *fmt)
{
	json_t *c = xcell(wb, 0, row, col);

	if (c == NULL || json_is_null(c))
		fail_msg("cell %zu,%zu is empty", row, col);
	assert_string_equal(json_string_value(json_object_get(c, "t")), type);
	if (fmt != NULL)
		assert_string_equal(json_string_value(json_object_get(c, "f")), fmt);
}

/* assert_xcell(), and the cell's value as text is want. */
static void
assert_xval(json_t *wb, size_t row, size_t col, const char *type,
    const char *fmt, const char *want)
{
	assert_xcell(wb, row, col, type, fmt);
	assert_string_equal(json_string_value(json_object_get(xcell(wb, 0, row,
	    col), "v")), want);
}

static const char *
xstr(json_t *wb, size_t row, size_t col)
{
	return json_string_value(json_object_get(xcell(wb, 0, row, col), "v"));
}

/* Run sources as report "t" for 2026-11-16 in tz into dir; with program,
 * as that program runs it (lib/jobs/reportjob.h: lock, job_runs row). */
static int
run_as(const char *program, const struct report_source *src, size_t n,
    const char *dir, const char *tz, struct report_opts *extra,
    struct report_result *res)
{
	static struct period p;
	struct report_opts o;
	time_t as_of;

	assert_int_equal(period_parse_instant("2026-11-17T06:00:00Z", "UTC",
	    &as_of), 0);
	assert_int_equal(period_last(&p, PERIOD_DAY, as_of, tz), 0);
	if (extra != NULL)
		o = *extra;
	else
		memset(&o, 0, sizeof(o));
	o.period = &p;
	o.as_of = as_of;
	o.tz = tz;
	o.out_dir = dir;
	o.sources = src;
	o.nsources = n;
	report_result_init(res);
	if (program != NULL)
		return reportjob_exec(db, program, "t", &o, res);
	return report_run(db, "t", &o, res);
}

static int
run(const struct report_source *src, size_t n, const char *dir,
    const char *tz, struct report_opts *extra, struct report_result *res)
{
	return run_as(NULL, src, n, dir, tz, extra, res);
}

/* As the program "test-engine" does it. */
static int
run_job(const struct report_source *src, size_t n, const char *dir,
    const char *tz, struct report_opts *extra, struct report_result *res)
{
	return run_as("test-engine", src, n, dir, tz, extra, res);
}

static void
test_types_and_injection(void **state)
{
	static const struct report_source src[] = { { "t/10_types.sql",
	    "-- sheet: Types\n"
	    "-- money: amount=cur, fixed=EUR\n"
	    "-- percent: rate\n"
	    "select 1::int2 as i2, 2::int4 as i4, 9007199254740993::int8 as i8,\n"
	    "  1.50::numeric as num, 0.25::float8 as f8, true as b,\n"
	    "  date '2026-11-16' as d, timestamp '2026-11-16 10:30:00' as ts,\n"
	    "  timestamptz '2026-11-16 09:30:00Z' as tstz, '=1+2' as formula,\n"
	    "  ''::text as empty, null::text as nothing, 19.99 as amount,\n"
	    "  'USD' as cur, 5::numeric as fixed, 0.125 as rate,\n"
	    "  'say \"hi\", ok' as quoted, E'two\\nlines' as multi,\n"
	    "  '-5'::text as neg_text, -5 as neg_num,\n"
	    "  'infinity'::timestamptz as inf, 'NaN'::numeric as nan,\n"
	    "  interval '1 day' as iv, '{\"a\":1}'::jsonb as j,\n"
	    "  '@SUM(A1)'::varchar as at\n" } };
	struct report_result res;
	char *dir = tfile_new_name(tmp), *csv;
	json_t *wb;

	(void)state;
	assert_int_equal(run(src, 1, dir, BERLIN, NULL, &res), 0);
	assert_int_equal(res.nsheets, 1);
	assert_int_equal(res.sheets[0].rows, 1);
	assert_string_equal(res.sheets[0].csv, "t-2026-11-16-types.csv");
	csv = tfile_read(dir, "t-2026-11-16-types.csv", NULL);
	assert_string_equal(csv,
	    "\"i2\",\"i4\",\"i8\",\"num\",\"f8\",\"b\",\"d\",\"ts\",\"tstz\","
	    "\"formula\",\"empty\",\"nothing\",\"amount\",\"cur\",\"fixed\","
	    "\"rate\",\"quoted\",\"multi\",\"neg_text\",\"neg_num\",\"inf\","
	    "\"nan\",\"iv\",\"j\",\"at\"\r\n"
	    "1,2,9007199254740993,1.50,0.25,true,2026-11-16,2026-11-16 10:30:00,"
	    "2026-11-16 10:30:00+01,\"'=1+2\",\"\",,19.99,\"USD\",5,0.125,"
	    "\"say \"\"hi\"\", ok\",\"two\nlines\",\"'-5\",-5,\"infinity\","
	    "\"NaN\",\"1 day\",\"{\"\"a\"\": 1}\",\"'@SUM(A1)\"\r\n");
	free(csv);

	wb = rs_read_xlsx(dir, "t-2026-11-16.xlsx");
	assert_string_equal(json_string_value(json_object_get(wb, "created")),
	    "2026-11-17T06:00:00");
	assert_xcell(wb, 1, 0, "n", "General");
	assert_true(json_integer_value(json_object_get(xcell(wb, 0, 1, 1),
	    "v")) == 2);
	assert_xcell(wb, 1, 3, "n", "General");
	assert_true(json_number_value(json_object_get(xcell(wb, 0, 1, 3),
	    "v")) == 1.5);
	assert_xcell(wb, 1, 5, "b", NULL);
	assert_xval(wb, 1, 6, "d", "yyyy-mm-dd", "2026-11-16T00:00:00");
	assert_xval(wb, 1, 7, "d", "yyyy-mm-dd hh:mm:ss",
	    "2026-11-16T10:30:00");
	/* timestamptz: wall-clock time in the report zone */
	assert_xval(wb, 1, 8, "d", "yyyy-mm-dd hh:mm:ss",
	    "2026-11-16T10:30:00");
	assert_xval(wb, 1, 9, "s", NULL, "=1+2");
	assert_true(json_is_null(xcell(wb, 0, 1, 11)));
	assert_xcell(wb, 1, 12, "n", "#,##0.00 \"USD\"");
	assert_xcell(wb, 1, 14, "n", "#,##0.00 \"EUR\"");
	assert_xcell(wb, 1, 15, "n", "0.0%");
	assert_xval(wb, 1, 17, "s", NULL, "two\nlines");
	assert_xval(wb, 1, 18, "s", NULL, "-5");
	assert_xcell(wb, 1, 19, "n", NULL);
	/* values Excel cannot hold as their type are shown as text */
	assert_xval(wb, 1, 20, "s", NULL, "infinity");
	assert_xval(wb, 1, 21, "s", NULL, "NaN");
	assert_xval(wb, 1, 24, "s", NULL, "@SUM(A1)");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(wb, "sheets"), 0), "freeze")), "A2");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(wb, "sheets"), 0), "autofilter")), "A1:Y2");
	json_decref(wb);
	report_result_release(&res);
	free(dir);
}

static void
test_snapshot_and_params(void **state)
{
	static const struct report_source src[] = {
		{ "t/10_session.sql",
		  "select current_setting('transaction_isolation') as iso,\n"
		  "  current_setting('transaction_read_only') as ro,\n"
		  "  current_setting('TimeZone') as tz,\n"
		  "  pg_current_snapshot()::text as snap" },
		{ "t/20_params.sql",
		  "-- sheet: Params\n"
		  "select $1::text as s, $2::text as e, $3::text as a, $4 as tz,\n"
		  "  $5 ->> 'k' as k, $6 as x1, $7::integer + 1 as x2,\n"
		  "  (timestamptz '2026-03-28 23:30:00Z')::date as cut,\n"
		  "  pg_current_snapshot()::text as snap" },
	};
	static const char *const extra[] = { "hello", "41" };
	struct report_opts o;
	struct report_result res;
	char *dir = tfile_new_name(tmp), *a, *b;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.settings_json = "{\"k\": \"v\"}";
	o.extra = extra;
	o.nextra = 2;
	o.formats = REPORT_CSV;
	assert_int_equal(run(src, 2, dir, BERLIN, &o, &res), 0);
	a = tfile_read(dir, "t-2026-11-16-session.csv", NULL);
	b = tfile_read(dir, "t-2026-11-16-params.csv", NULL);
	assert_non_null(strstr(a, "\"repeatable read\",\"on\",\"Europe/Berlin\""));
	assert_non_null(strstr(b,
	    "\"2026-11-16 00:00:00+01\",\"2026-11-17 00:00:00+01\","
	    "\"2026-11-17 07:00:00+01\",\"Europe/Berlin\",\"v\",\"hello\",42,"
	    "2026-03-29,"));
	/* one snapshot for every sheet */
	assert_string_equal(strrchr(a, ',') + 1, strrchr(b, ',') + 1);
	/* CSV only: no workbook */
	assert_int_equal(tfile_count(dir), 3);
	free(a);
	free(b);
	report_result_release(&res);
	free(dir);
}

static void
test_empty_result(void **state)
{
	static const struct report_source src[] = { { "t/10_none.sql",
	    "-- chart: line; category=a; values=b\n"
	    "-- heatmap: *numeric*\n"
	    "select 1 as a, 2 as b where false" } };
	struct report_result res;
	char *dir = tfile_new_name(tmp), *csv;
	json_t *wb, *sh;

	(void)state;
	assert_int_equal(run(src, 1, dir, "UTC", NULL, &res), 0);
	assert_int_equal(res.sheets[0].rows, 0);
	csv = tfile_read(dir, "t-2026-11-16-none.csv", NULL);
	assert_string_equal(csv, "\"a\",\"b\"\r\n");
	free(csv);
	wb = rs_read_xlsx(dir, "t-2026-11-16.xlsx");
	sh = json_array_get(json_object_get(wb, "sheets"), 0);
	assert_string_equal(json_string_value(json_object_get(sh, "name")), "none");
	/* the header, then a line that says the sheet is empty on purpose */
	assert_int_equal(json_array_size(json_object_get(sh, "rows")), 2);
	assert_string_equal(json_string_value(json_object_get(xcell(wb, 0, 1, 0),
	    "v")), "Nothing in this period");
	assert_string_equal(json_string_value(json_object_get(sh, "autofilter")),
	    "A1:B1");
	assert_int_equal(json_array_size(json_object_get(sh, "charts")), 0);
	json_decref(wb);
	report_result_release(&res);
	free(dir);
}

static char *
sha256_hex(const char *data, size_t len)
{
	unsigned char md[32];
	unsigned mdlen = 0;
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL), 1);
	for (unsigned i = 0; i < mdlen; i++)
		strbuf_addf(&sb, "%02x", md[i]);
	return strbuf_detach(&sb, NULL);
}

static long long
job_count(const char *status)
{
	const char *p[1] = { status };
	char *v = NULL;
	long long n;

	assert_int_equal(db_query_value(admin, &v, "select count(*) from job_runs "
	    "where program = 'test-engine' and status = $1", 1, p), 0);
	n = strtoll(v, NULL, 10);
	free(v);
	return n;
}

static const struct report_source two_sheets[] = {
	{ "t/10_a.sql",
	  "-- sheet: Alpha\n"
	  "-- chart: column; category=k; values=v; title=V by k\n"
	  "select k, k * 10 as v, 'x' || k as label\n"
	  "  from generate_series(1, 3) as k" },
	{ "t/20_b.sql", "select 'b' as only" },
};

static void
test_manifest_rerun_job_runs(void **state)
{
	struct report_opts o;
	struct report_result res;
	char *dir = tfile_new_name(tmp), *m1, *m2, *x1, *x2, *data, *hex;
	size_t xlen1, xlen2, len;
	json_t *man, *files, *f, *outputs;
	json_error_t jerr;
	char *v = NULL;

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(run_job(two_sheets, 2, dir, "UTC", &o, &res), 0);
	assert_true(res.job_id > 0);
	assert_int_equal(res.nfiles, 3);
	assert_string_equal(res.manifest, "t-2026-11-16.manifest.json");
	report_result_release(&res);
	m1 = tfile_read(dir, "t-2026-11-16.manifest.json", NULL);
	x1 = tfile_read(dir, "t-2026-11-16.xlsx", &xlen1);

	/* the same period at the same as-of: the same bytes */
	assert_int_equal(run_job(two_sheets, 2, dir, "UTC", &o, &res), 0);
	report_result_release(&res);
	m2 = tfile_read(dir, "t-2026-11-16.manifest.json", NULL);
	x2 = tfile_read(dir, "t-2026-11-16.xlsx", &xlen2);
	assert_string_equal(m1, m2);
	assert_int_equal(xlen1, xlen2);
	assert_memory_equal(x1, x2, xlen1);
	/* xlsx, two CSVs, manifest; no temporary file left */
	assert_int_equal(tfile_count(dir), 4);

	man = json_loads(m1, 0, &jerr);
	assert_non_null(man);
	assert_string_equal(json_string_value(json_object_get(man, "report")), "t");
	assert_string_equal(json_string_value(json_object_get(man, "as_of")),
	    "2026-11-17T06:00:00Z");
	assert_string_equal(json_string_value(json_object_get(json_object_get(man,
	    "period"), "start")), "2026-11-16T00:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(man, "sheets"), 0), "rows")), 3);
	files = json_object_get(man, "files");
	assert_int_equal(json_array_size(files), 3);
	for (size_t i = 0; i < 3; i++) {
		f = json_array_get(files, i);
		data = tfile_read(dir, json_string_value(json_object_get(f, "name")),
		    &len);
		hex = sha256_hex(data, len);
		assert_string_equal(hex,
		    json_string_value(json_object_get(f, "sha256")));
		assert_int_equal(json_integer_value(json_object_get(f, "bytes")),
		    (json_int_t)len);
		free(hex);
		free(data);
	}
	json_decref(man);

	assert_int_equal(job_count("OK"), 2);
	assert_int_equal(db_query_value(admin, &v, "select counts::text from "
	    "job_runs where program = 'test-engine' order by id desc limit 1",
	    0, NULL), 0);
	assert_string_equal(v, "{\"rows\": {\"b\": 1, \"Alpha\": 3}, "
	    "\"period\": \"2026-11-16\"}");
	free(v);
	assert_int_equal(db_query_value(admin, &v, "select outputs::text from "
	    "job_runs where program = 'test-engine' order by id desc limit 1",
	    0, NULL), 0);
	outputs = json_loads(v, 0, &jerr);
	assert_non_null(outputs);
	assert_int_equal(json_array_size(outputs), 4);
	json_decref(outputs);
	free(v);
	free(m1);
	free(m2);
	free(x1);
	free(x2);
	free(dir);
}

static void
expect_failure(const struct report_source *src, size_t n, int code,
    const char *needle)
{
	struct report_opts o;
	struct report_result res;
	char *dir = tfile_new_name(tmp);

	memset(&o, 0, sizeof(o));
	assert_int_equal(run_job(src, n, dir, "UTC", &o, &res), code);
	if (strstr(strbuf_str(&res.err), needle) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"",
		    strbuf_str(&res.err), needle);
	/* nothing half-written, not even a temporary file */
	assert_true(tfile_count(dir) <= 0);
	report_result_release(&res);
	free(dir);
}

static void
test_failures_leave_nothing(void **state)
{
	/* each case: one or two sheets (src[1] unused when n is 1), the
	 * code the run fails with and a word its message must have */
	static const struct {
		struct report_source src[2];
		size_t n;
		int code;
		const char *needle;
	} cases[] = {
		{ { { "t/10_ok.sql", "select 1 as a" },
		    { "t/20_bad.sql", "-- money: amount=cur\nselect 1 as a" } },
		  2, TALLY_EINTERNAL, "amount" },
		{ { { "t/10_bad.sql", "-- money: a=usd\nselect 1 as a" } },
		  1, TALLY_EINTERNAL, "usd" },
		{ { { "t/10_bad.sql", "-- percent: a\nselect 'x' as a" } },
		  1, TALLY_EINTERNAL, "not numeric" },
		{ { { "t/10_bad.sql", "-- chart: line; category=a; values=zz\n"
		      "select 1 as a" } },
		  1, TALLY_EINTERNAL, "zz" },
		{ { { "t/10_ok.sql", "select 1 as a" },
		    { "t/20_div.sql", "select k / (k - 2) as a "
		      "from generate_series(1, 5) k" } },
		  2, TALLY_EDATA, "t/20_div.sql: division by zero" },
		{ { { "t/10_w.sql", "select nextval('audit_log_id_seq')" } },
		  1, TALLY_EDB, "read-only" },
		{ { { "t/10_w.sql", "select 1; select 2" } },
		  1, TALLY_EDB, "multiple commands" },
		{ { { "t/10_w.sql", "set work_mem = '8MB'" } },
		  1, TALLY_EINTERNAL, "not a query" },
		{ { { "t/10_a.sql", "-- sheet: A b\nselect 1" },
		    { "t/20_a.sql", "-- sheet: a-B\nselect 1" } },
		  2, TALLY_EINTERNAL, "a-b" },
	};
	long long failed = job_count("FAILED");
	char *v = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_failure(cases[i].src, cases[i].n, cases[i].code,
		    cases[i].needle);
	/* the runs that reached the database left FAILED rows with the why */
	assert_int_equal(job_count("FAILED"), failed + 8);
	assert_int_equal(db_query_value(admin, &v, "select message from job_runs "
	    "where status = 'FAILED' and message like '%division%' limit 1",
	    0, NULL), 0);
	assert_non_null(v);
	free(v);
}

static void
test_failure_keeps_previous_files(void **state)
{
	static const struct report_source good[] = {
		{ "t/10_a.sql", "select 1 as a" },
	};
	static const struct report_source bad[] = {
		{ "t/10_a.sql", "select 2 / 0 as a" },
	};
	struct report_result res;
	char *dir = tfile_new_name(tmp), *before, *after;

	(void)state;
	assert_int_equal(run(good, 1, dir, "UTC", NULL, &res), 0);
	report_result_release(&res);
	before = tfile_read(dir, "t-2026-11-16-a.csv", NULL);
	assert_int_equal(run(bad, 1, dir, "UTC", NULL, &res), TALLY_EDATA);
	report_result_release(&res);
	after = tfile_read(dir, "t-2026-11-16-a.csv", NULL);
	assert_string_equal(before, after);
	assert_int_equal(tfile_count(dir), 3);
	free(before);
	free(after);
	free(dir);
}

static void
test_output_errors(void **state)
{
	static const struct report_source src[] = {
		{ "t/10_a.sql", "select 1 as a" },
	};
	struct report_opts o;
	struct report_result res;
	struct strbuf file = STRBUF_INIT;
	FILE *f;

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(run_job(src, 1, "/proc/tally-cannot-be-here", "UTC", &o,
	    &res), TALLY_EIO);
	assert_non_null(strstr(strbuf_str(&res.err), "output directory"));
	report_result_release(&res);
	/* a file where the directory should be */
	strbuf_addf(&file, "%s/plainfile", tmp);
	f = fopen(file.buf, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(run_job(src, 1, file.buf, "UTC", &o, &res), TALLY_EIO);
	report_result_release(&res);
	strbuf_release(&file);
}

static void
test_dry_run(void **state)
{
	struct report_opts o;
	struct report_result res;
	char *dir = tfile_new_name(tmp);
	long long ok = job_count("OK"), failed = job_count("FAILED");
	struct stat st;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.dry_run = true;
	assert_int_equal(run_job(two_sheets, 2, dir, "UTC", &o, &res), 0);
	assert_int_equal(res.sheets[0].rows, 3);
	assert_int_equal(res.sheets[1].rows, 1);
	assert_int_equal(res.nfiles, 0);
	assert_null(res.manifest);
	assert_int_equal(stat(dir, &st), -1);
	assert_int_equal(job_count("OK"), ok);
	assert_int_equal(job_count("FAILED"), failed);
	report_result_release(&res);
	free(dir);
}

static void
test_not_found(void **state)
{
	struct period p;
	struct report_opts o;
	struct report_result res;

	(void)state;
	assert_int_equal(period_day(&p, (struct period_date){ 2026, 11, 16 },
	    "UTC"), 0);
	memset(&o, 0, sizeof(o));
	o.period = &p;
	o.dry_run = true;
	report_result_init(&res);
	assert_int_equal(report_run(db, "no-such-report", &o, &res),
	    TALLY_ENOTFOUND);
	report_result_release(&res);
	report_result_init(&res);
	assert_int_equal(report_run(db, "../etc", &o, &res), TALLY_EUSAGE);
	report_result_release(&res);
}

static void
test_continuation_and_formats(void **state)
{
	static const struct report_source src[] = {
		{ "t/10_n.sql", "-- heatmap: n\nselect n from generate_series(1, 5) n" },
	};
	struct report_opts o;
	struct report_result res;
	char *dir = tfile_new_name(tmp), *csv;
	json_t *wb;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.sheet_rows = 3;	/* a header and two rows per sheet */
	o.formats = REPORT_XLSX;
	assert_int_equal(run(src, 1, dir, "UTC", &o, &res), 0);
	assert_int_equal(res.sheets[0].rows, 5);
	assert_null(res.sheets[0].csv);
	assert_int_equal(tfile_count(dir), 2);	/* xlsx + manifest */
	report_result_release(&res);
	wb = rs_read_xlsx(dir, "t-2026-11-16.xlsx");
	assert_int_equal(json_array_size(json_object_get(wb, "sheets")), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(wb, "sheets"), 2), "name")), "n (3)");
	json_decref(wb);

	o.sheet_rows = 0;
	o.formats = REPORT_CSV;
	free(dir);
	dir = tfile_new_name(tmp);
	assert_int_equal(run(src, 1, dir, "UTC", &o, &res), 0);
	report_result_release(&res);
	csv = tfile_read(dir, "t-2026-11-16-n.csv", NULL);
	assert_string_equal(csv, "\"n\"\r\n1\r\n2\r\n3\r\n4\r\n5\r\n");
	free(csv);
	free(dir);
}

/*
 * What people get and the CSV does not: the comment's headers and notes,
 * a total row in bold under a rule, an empty margin that says why, and a
 * window stated in a title row and in the chart's title.  The CSV keeps
 * the machine names and the bare values.
 */
static void
test_headers_notes_totals(void **state)
{
	static const struct report_source src[] = { { "t/10_cur.sql",
	    "-- sheet: Money\n"
	    "-- money: net=cur\n"
	    "-- total: sku=All products\n"
	    "-- cellnote: margin=why\n"
	    "-- window: 7 days\n"
	    "-- chart: column; category=sku; values=net; title=Net\n"
	    "-- column: sku | Product | the sku; All products is the total\n"
	    "-- column: net | Net revenue | payments minus refunds,\n"
	    "--     in the row's currency\n"
	    "select * from (values ('a', 1.50, 'USD', 0.5, null),\n"
	    "  ('b', 2.25, 'USD', null, 'no rate from EUR to USD'),\n"
	    "  ('All products', 3.75, 'USD', null, null))\n"
	    "  as t(sku, net, cur, margin, why)\n" } };
	struct report_result res;
	char *dir = tfile_new_name(tmp), *csv;
	json_t *wb, *sh, *comments, *c;

	(void)state;
	assert_int_equal(run(src, 1, dir, BERLIN, NULL, &res), 0);
	csv = tfile_read(dir, "t-2026-11-16-money.csv", NULL);
	assert_non_null(strstr(csv, "\"sku\",\"net\",\"cur\",\"margin\","
	    "\"why\"\r\n"));
	free(csv);
	wb = rs_read_xlsx(dir, "t-2026-11-16.xlsx");
	sh = json_array_get(json_object_get(wb, "sheets"), 0);
	/* a title row stating the window (the day's period is shorter than
	 * 7 days: the 7 days ending with it), then the header */
	assert_string_equal(xstr(wb, 0, 0),
	    "Money, last 7 days (2026-11-10 to 2026-11-16)");
	assert_string_equal(json_string_value(json_object_get(sh, "freeze")),
	    "A3");
	assert_string_equal(xstr(wb, 1, 0), "Product");
	assert_string_equal(xstr(wb, 1, 1), "Net revenue");
	assert_string_equal(xstr(wb, 1, 2), "Cur");	/* no directive */
	comments = json_object_get(sh, "comments");
	assert_string_equal(json_string_value(json_object_get(comments, "A2")),
	    "the sku; All products is the total");
	assert_string_equal(json_string_value(json_object_get(comments, "B2")),
	    "payments minus refunds, in the row's currency");
	assert_null(json_object_get(comments, "C2"));
	/* the empty margin of b says why; a's margin has no note */
	assert_true(json_is_null(xcell(wb, 0, 3, 3)));
	assert_string_equal(json_string_value(json_object_get(comments, "D4")),
	    "no rate from EUR to USD");
	assert_null(json_object_get(comments, "D3"));
	/* the total row: bold, a rule above, empty cells too */
	c = xcell(wb, 0, 4, 1);
	assert_true(json_is_true(json_object_get(c, "bold")));
	assert_string_equal(json_string_value(json_object_get(c, "top")), "thin");
	assert_string_equal(json_string_value(json_object_get(c, "f")),
	    "#,##0.00 \"USD\"");
	assert_false(json_is_true(json_object_get(xcell(wb, 0, 2, 1), "bold")));
	assert_null(json_object_get(xcell(wb, 0, 2, 1), "top"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_array_get(json_object_get(sh, "charts"), 0),
	    "series"), 0), "val")), "Money!$B$3:$B$5");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(sh, "charts"), 0), "title")),
	    "Net, last 7 days (2026-11-10 to 2026-11-16)");
	json_decref(wb);
	report_result_release(&res);
	free(dir);
}

/*
 * Timestamps are wall-clock times in the report zone, and the header says
 * which zone.  When summer time ends in Berlin (2026-10-25) 02:30 happens
 * twice: 00:30Z at +02:00 and 01:30Z at +01:00.  Those two cells show
 * their offset; an unambiguous time does not, nor does a timestamp
 * without a zone, nor anything in UTC.
 */
static void
test_zone_and_repeated_hour(void **state)
{
	static const struct report_source src[] = { { "t/10_ts.sql",
	    "select timestamptz '2026-10-25 00:30:00Z' as first,\n"
	    "  timestamptz '2026-10-25 01:30:00Z' as second,\n"
	    "  timestamptz '2026-10-25 03:30:00Z' as later,\n"
	    "  timestamptz '2026-03-29 01:30:00Z' as spring,\n"
	    "  timestamp '2026-10-25 02:30:00' as naive" } };
	struct report_result res;
	char *dir = tfile_new_name(tmp);
	json_t *wb;

	(void)state;
	assert_int_equal(run(src, 1, dir, BERLIN, NULL, &res), 0);
	report_result_release(&res);
	wb = rs_read_xlsx(dir, "t-2026-11-16.xlsx");
	assert_string_equal(xstr(wb, 0, 0), "First (Europe/Berlin)");
	assert_string_equal(xstr(wb, 0, 4), "Naive");
	assert_xval(wb, 1, 0, "d", "yyyy-mm-dd hh:mm:ss \"UTC+02:00\"",
	    "2026-10-25T02:30:00");
	assert_xval(wb, 1, 1, "d", "yyyy-mm-dd hh:mm:ss \"UTC+01:00\"",
	    "2026-10-25T02:30:00");
	assert_xval(wb, 1, 2, "d", "yyyy-mm-dd hh:mm:ss",
	    "2026-10-25T04:30:00");
	/* the hour skipped in spring is no repeat */
	assert_xval(wb, 1, 3, "d", "yyyy-mm-dd hh:mm:ss",
	    "2026-03-29T03:30:00");
	assert_xcell(wb, 1, 4, "d", "yyyy-mm-dd hh:mm:ss");
	json_decref(wb);
	free(dir);

	dir = tfile_new_name(tmp);
	assert_int_equal(run(src, 1, dir, "UTC", NULL, &res), 0);
	report_result_release(&res);
	wb = rs_read_xlsx(dir, "t-2026-11-16.xlsx");
	assert_string_equal(xstr(wb, 0, 1), "Second (UTC)");
	assert_xcell(wb, 1, 0, "d", "yyyy-mm-dd hh:mm:ss");
	assert_xcell(wb, 1, 1, "d", "yyyy-mm-dd hh:mm:ss");
	json_decref(wb);
	free(dir);
}

static void
test_embedded_reports_parse(void **state)
{
	struct period p;
	struct report_opts o;
	struct report_result res;
	char **names;
	size_t n;
	bool model_stats = false;

	(void)state;
	names = report_list(&n);
	assert_int_equal(period_day(&p, (struct period_date){ 2026, 11, 16 },
	    "UTC"), 0);
	/* every compiled-in report runs on an empty database (dry run);
	 * one extra parameter for the reports that take one ($6: reconcile's
	 * run id), unused and harmless for the others */
	for (size_t i = 0; i < n; i++) {
		static const char *const extra[] = { "0" };

		memset(&o, 0, sizeof(o));
		o.period = &p;
		o.as_of = p.end;
		o.dry_run = true;
		o.extra = extra;
		o.nextra = 1;
		report_result_init(&res);
		if (report_run(db, names[i], &o, &res) != 0)
			fail_msg("report %s: %s", names[i], strbuf_str(&res.err));
		report_result_release(&res);
		if (strcmp(names[i], "model-stats") == 0)
			model_stats = true;
	}
	assert_true(model_stats);
	report_list_free(names, n);
}

static int
setup(void **state)
{
	(void)state;
	testdb_require();
	return rs_batch_open("test-engine", "test_report_engine.",
	    &db, &admin, &tmp);
}

static int
teardown(void **state)
{
	(void)state;
	return rs_batch_close(db, admin, tmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types_and_injection),
		cmocka_unit_test(test_snapshot_and_params),
		cmocka_unit_test(test_empty_result),
		cmocka_unit_test(test_manifest_rerun_job_runs),
		cmocka_unit_test(test_failures_leave_nothing),
		cmocka_unit_test(test_failure_keeps_previous_files),
		cmocka_unit_test(test_output_errors),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_continuation_and_formats),
		cmocka_unit_test(test_headers_notes_totals),
		cmocka_unit_test(test_zone_and_repeated_hour),
		cmocka_unit_test(test_embedded_reports_parse),
	};

	testdb_require();
	return cmocka_run_group_tests(tests, setup, teardown);
}
