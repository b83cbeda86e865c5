/*
 * test_report_modelstats.c - tally-model-stats' figures against a tiny
 * dataset whose answers were worked out by hand (in the comments of
 * DATASET), in Europe/Berlin on the day summer time starts (23 hours), as
 * of the next morning: an event received after the as-of instant and one
 * started after it are left out, a deactivated model that is still called
 * and an unused one are flagged, money stays in its own currency.  Checked
 * through the CSV byte for byte and through the XLSX read back by
 * openpyxl; reruns give the same bytes; a month cut in Berlin differs from
 * the same month cut in UTC; an empty period still gives valid files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

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
#define AS_OF "2026-03-30T08:00:00+02:00"	/* 06:00Z */

/*
 * Berlin switches to summer time at 01:00Z on Sunday 29 March 2026, so
 * that day runs from 2026-03-28T23:00Z to 2026-03-29T22:00Z.
 *   a1 Sat 23:30 CET   before the day          a6 Mon 00:00 CEST: after
 *   a2 Sun 00:00 CET   first instant of the day
 *   a3 Sun 03:30 CEST  after the switch
 *   a4 Sun 12:00 error "timeout"   a5 Sun 23:59 last minute of the day
 *   b1..b3 Sun 10:00-11:00, two errors whose text looks like a formula
 *   b4 started in the day but received after the as-of instant: not yet
 *   x1 started after the as-of instant: never
 *   gamma is deactivated but called; delta never called; epsilon last
 *   called on 20 March; zeta created after the as-of instant.
 */
static const char DATASET[] =
    "insert into models (name, active, credit_cost, provider_cost_minor,"
    "  provider_currency, created_at) values"
    " ('alpha', true, 5, 3, 'USD', '2026-01-01'),"
    " ('beta', true, 2, 150, 'JPY', '2026-01-01'),"
    " ('gamma', false, 1, 1, 'EUR', '2026-01-01'),"
    " ('delta', true, 1, 10, 'USD', '2026-01-01'),"
    " ('epsilon', true, 1, 10, 'USD', '2026-01-01'),"
    " ('zeta', true, 1, 1, 'USD', '2026-04-15');"
    "insert into app_users (external_id, email) values"
    " ('u1', 'a@example.com'), ('u2', '=b@example.com'),"
    " ('u3', 'c@example.com');"
    "insert into raw_events (source, scheme, event_key, received_at, body,"
    "  payload) values ('images', 'standard-webhooks', 'late-1',"
    "  '2026-03-30 07:00:00Z', '\\x7b7d', '{}');"
    "insert into usage_events (event_id, raw_event_id, user_id, model_id,"
    "  kind, started_at, duration_ms, credits, status, error)"
    " select e.id, r.id, u.id, m.id, e.kind, e.at::timestamptz, e.ms, e.cr,"
    "        e.st, e.err"
    "   from (values"
    "  ('a1', null, 'u1', 'alpha', 'generate', '2026-03-28 22:30:00Z', 1000, 5, 'ok', null),"
    "  ('a2', null, 'u1', 'alpha', 'generate', '2026-03-28 23:00:00Z', 1000, 5, 'ok', null),"
    "  ('a3', null, 'u1', 'alpha', 'edit', '2026-03-29 01:30:00Z', 2000, 5, 'ok', null),"
    "  ('a4', null, 'u2', 'alpha', 'generate', '2026-03-29 10:00:00Z', 4000, 0, 'error', 'timeout'),"
    "  ('a5', null, 'u3', 'alpha', 'edit', '2026-03-29 21:59:00Z', 3000, 5, 'ok', null),"
    "  ('a6', null, 'u1', 'alpha', 'generate', '2026-03-29 22:00:00Z', 500, 5, 'ok', null),"
    "  ('b1', null, 'u1', 'beta', 'generate', '2026-03-29 08:00:00Z', 10000, 2, 'ok', null),"
    "  ('b2', null, 'u1', 'beta', 'edit', '2026-03-29 08:30:00Z', 200, 0, 'error',"
    "   '=HYPERLINK(\"http://x\",\"nsfw\")'),"
    "  ('b3', null, 'u2', 'beta', 'generate', '2026-03-29 09:00:00Z', 300, 0, 'error',"
    "   '=HYPERLINK(\"http://x\",\"nsfw\")'),"
    "  ('b4', 'late-1', 'u2', 'beta', 'generate', '2026-03-29 09:30:00Z', 999, 2, 'ok', null),"
    "  ('g1', null, 'u1', 'gamma', 'generate', '2026-03-29 12:00:00Z', 700, 1, 'ok', null),"
    "  ('e1', null, 'u3', 'epsilon', 'generate', '2026-03-20 12:00:00Z', 1500, 1, 'ok', null),"
    "  ('x1', null, 'u3', 'alpha', 'generate', '2026-03-30 07:00:00Z', 1, 1, 'ok', null)"
    "  ) e(id, raw, usr, model, kind, at, ms, cr, st, err)"
    "   join app_users u on u.external_id = e.usr"
    "   join models m on m.name = e.model"
    "   left join raw_events r on r.event_key = e.raw;";

static struct db *db;
static char *tmp;

static void
assert_file(const char *dir, const char *name, const char *want)
{
	char *got = tfile_read(dir, name, NULL);

	if (strcmp(got, want) != 0)
		fail_msg("%s:\n--- got\n%s--- want\n%s", name, got, want);
	free(got);
}

/* Run model-stats for a period given like the command line's. */
static int
run_stats(const char *dir, const char *tz, const char *as_of_s,
    const struct period_request *rq, const char *settings,
    struct report_result *res)
{
	struct period p;
	struct report_opts o;
	struct strbuf err = STRBUF_INIT;
	time_t as_of;

	assert_int_equal(period_parse_instant(as_of_s, tz, &as_of), 0);
	assert_int_equal(period_resolve(&p, rq, PERIOD_DAY, as_of, tz, &err), 0);
	strbuf_release(&err);
	memset(&o, 0, sizeof(o));
	o.period = &p;
	o.as_of = as_of;
	o.tz = tz;
	o.out_dir = dir;
	o.settings_json = settings;
	report_result_init(res);
	return reportjob_exec(db, "tally-model-stats", "model-stats", &o, res);
}

/* run_stats() into a new directory under tmp, which it returns (caller
 * frees): the run must succeed with the report's eight sheets.  With res,
 * the caller gets the result to look at and release. */
static char *
run_ok(const char *tz, const char *as_of_s, const struct period_request *rq,
    const char *settings, struct report_result *res)
{
	struct report_result own;
	char *dir = tfile_new_name(tmp);

	if (res == NULL)
		res = &own;
	if (run_stats(dir, tz, as_of_s, rq, settings, res) != 0)
		fail_msg("%s", strbuf_str(&res->err));
	assert_int_equal(res->nsheets, 8);
	if (res == &own)
		report_result_release(&own);
	return dir;
}

static const struct period_request default_day;

static void
check_csv(const char *dir)
{
	struct strbuf want = STRBUF_INIT;
	/* avg over every call, ok_avg over the successful ones only: b1's
	 * 10 s success is not averaged with b2's quick failure */
	static const struct {
		int h, calls, errors;
		const char *avg, *ok_avg;
	} hours[] = {
		{ 0, 1, 0, "1000.0", "1000.0" }, { 3, 1, 0, "2000.0", "2000.0" },
		{ 10, 2, 1, "5100.0", "10000.0" }, { 11, 1, 1, "300.0", "" },
		{ 12, 1, 1, "4000.0", "" }, { 14, 1, 0, "700.0", "700.0" },
		{ 23, 2, 0, "2000.0", "2000.0" },
	};
	char *peak;

	assert_file(dir, "model-stats-2026-03-29-daily-totals.csv",
	    "\"day\",\"calls\",\"generate\",\"edit\",\"ok\",\"errors\","
	    "\"error_rate\",\"users\",\"credits\"\r\n"
	    "2026-03-29,8,5,3,5,3,0.3750,3,18\r\n");
	/* processing times over all calls, then over the successful ones:
	 * alpha's ok calls take 1000, 2000, 3000 ms (a4's 4000 ms timeout
	 * left out): mean 2000, median 2000, p95 at position 2 x 0.95 = 1.9:
	 * 2000 + 0.9 x 1000 = 2900 */
	assert_file(dir, "model-stats-2026-03-29-per-model-per-day.csv",
	    "\"day\",\"model\",\"calls\",\"generate\",\"edit\",\"ok\","
	    "\"errors\",\"success_rate\",\"avg_ms\",\"p50_ms\",\"p95_ms\","
	    "\"ok_avg_ms\",\"ok_p50_ms\",\"ok_p95_ms\","
	    "\"max_ms\",\"credits\",\"provider_cost\",\"currency\",\"users\","
	    "\"last_call\"\r\n"
	    "2026-03-29,\"alpha\",4,2,2,3,1,0.7500,2500.0,2500.0,3850.0,"
	    "2000.0,2000.0,2900.0,4000,"
	    "15,0.12,\"USD\",3,2026-03-29 23:59:00+02\r\n"
	    "2026-03-29,\"beta\",3,2,1,1,2,0.3333,3500.0,300.0,9030.0,"
	    "10000.0,10000.0,10000.0,10000,"
	    "2,450,\"JPY\",2,2026-03-29 11:00:00+02\r\n"
	    "2026-03-29,\"gamma\",1,1,0,1,0,1.0000,700.0,700.0,700.0,"
	    "700.0,700.0,700.0,700,"
	    "1,0.01,\"EUR\",1,2026-03-29 14:00:00+02\r\n");
	assert_file(dir, "model-stats-2026-03-29-errors.csv",
	    "\"day\",\"model\",\"error\",\"calls\",\"first_seen\","
	    "\"last_seen\"\r\n"
	    "2026-03-29,\"alpha\",\"timeout\",1,2026-03-29 12:00:00+02,"
	    "2026-03-29 12:00:00+02\r\n"
	    "2026-03-29,\"beta\",\"'=HYPERLINK(\"\"http://x\"\",\"\"nsfw\"\")\","
	    "2,2026-03-29 10:30:00+02,2026-03-29 11:00:00+02\r\n");
	assert_file(dir, "model-stats-2026-03-29-models.csv",
	    "\"model\",\"active\",\"flagged\",\"credit_cost\","
	    "\"provider_cost_per_call\",\"currency\",\"calls\",\"ok\","
	    "\"errors\",\"success_rate\",\"credits\",\"avg_ms\",\"p95_ms\","
	    "\"ok_avg_ms\",\"ok_p95_ms\","
	    "\"provider_cost\",\"last_access\"\r\n"
	    "\"alpha\",true,false,5,0.03,\"USD\",4,3,1,0.7500,15,2500.0,"
	    "3850.0,2000.0,2900.0,0.12,2026-03-30 00:00:00+02\r\n"
	    "\"beta\",true,false,2,150,\"JPY\",3,1,2,0.3333,2,3500.0,9030.0,"
	    "10000.0,10000.0,450,2026-03-29 11:00:00+02\r\n"
	    "\"delta\",true,false,1,0.10,\"USD\",0,0,0,,0,,,,,0.00,\r\n"
	    "\"epsilon\",true,false,1,0.10,\"USD\",0,0,0,,0,,,,,0.00,"
	    "2026-03-20 13:00:00+01\r\n"
	    "\"gamma\",false,false,1,0.01,\"EUR\",1,1,0,1.0000,1,700.0,700.0,"
	    "700.0,700.0,0.01,2026-03-29 14:00:00+02\r\n");
	assert_file(dir, "model-stats-2026-03-29-inactive-models.csv",
	    "\"model\",\"active\",\"status\",\"last_access\","
	    "\"days_since_last_access\",\"calls_in_window\","
	    "\"window_days\"\r\n"
	    "\"gamma\",false,\"DEACTIVATED_BUT_CALLED\","
	    "2026-03-29 14:00:00+02,0.8,1,7\r\n"
	    "\"delta\",true,\"INACTIVE\",,,0,7\r\n"
	    "\"epsilon\",true,\"INACTIVE\",2026-03-20 13:00:00+01,9.8,0,7\r\n");

	/* every hour of the day, in Berlin time, over the week ending at the
	 * period's end (epsilon's call on the 20th is before it) */
	strbuf_addstr(&want, "\"hour\",\"calls\",\"errors\",\"error_rate\","
	    "\"avg_ms\",\"ok_avg_ms\"\r\n");
	for (int h = 0, i = 0; h < 24; h++) {
		if (i < 7 && hours[i].h == h) {
			strbuf_addf(&want, "\"%02d:00\",%d,%d,%s,%s,%s\r\n", h,
			    hours[i].calls, hours[i].errors,
			    hours[i].errors == 0 ? "0.0000" :
			    hours[i].errors == hours[i].calls ? "1.0000" :
			    "0.5000", hours[i].avg, hours[i].ok_avg);
			i++;
		} else
			strbuf_addf(&want, "\"%02d:00\",0,0,,,\r\n", h);
	}
	assert_file(dir, "model-stats-2026-03-29-calls-by-hour.csv", want.buf);
	strbuf_release(&want);

	/* the hour-of-week grid: 3 models with calls in the week x 7 days */
	peak = tfile_read(dir, "model-stats-2026-03-29-peak-hours.csv", NULL);
	{
		int lines = 0;

		for (char *p = peak; (p = strstr(p, "\r\n")) != NULL; p += 2)
			lines++;
		assert_int_equal(lines, 1 + 3 * 7);
	}
	assert_non_null(strstr(peak, "\r\n\"alpha\",6,\"Sat\","
	    "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,1\r\n"));
	assert_non_null(strstr(peak, "\r\n\"alpha\",7,\"Sun\","
	    "1,0,0,1,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,1,4\r\n"));
	assert_non_null(strstr(peak, "\r\n\"beta\",7,\"Sun\","
	    "0,0,0,0,0,0,0,0,0,0,2,1,0,0,0,0,0,0,0,0,0,0,0,0,3\r\n"));
	assert_null(strstr(peak, "epsilon"));
	assert_non_null(strstr(peak, "\r\n\"gamma\",7,\"Sun\","
	    "0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,1\r\n"));
	assert_non_null(strstr(peak, "\r\n\"gamma\",1,\"Mon\","
	    "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\r\n"));
	free(peak);
}


static json_t *
sheet_named(json_t *wb, const char *name)
{
	json_t *sheets = json_object_get(wb, "sheets");

	for (size_t i = 0; i < json_array_size(sheets); i++) {
		json_t *s = json_array_get(sheets, i);

		if (strcmp(json_string_value(json_object_get(s, "name")), name) == 0)
			return s;
	}
	fail_msg("no sheet %s", name);
	return NULL;
}

static json_t *
cell(json_t *sh, size_t row, size_t col)
{
	return json_array_get(json_array_get(json_object_get(sh, "rows"), row),
	    col);
}

/* type, number format and value (as JSON text) of a cell */
/* A text cell in the General format holding exactly text. */
static void
assert_text(json_t *sh, size_t row, size_t col, const char *text)
{
	json_t *c = cell(sh, row, col);

	if (c == NULL || json_is_null(c))
		fail_msg("cell %zu,%zu is empty", row, col);
	assert_string_equal(json_string_value(json_object_get(c, "t")), "s");
	assert_string_equal(json_string_value(json_object_get(c, "f")),
	    "General");
	assert_string_equal(json_string_value(json_object_get(c, "v")), text);
}

static void
assert_cell(json_t *sh, size_t row, size_t col, const char *t, const char *f,
    const char *v)
{
	json_t *c = cell(sh, row, col);
	char *got;

	if (c == NULL || json_is_null(c))
		fail_msg("cell %zu,%zu is empty", row, col);
	assert_string_equal(json_string_value(json_object_get(c, "t")), t);
	if (f != NULL)
		assert_string_equal(json_string_value(json_object_get(c, "f")), f);
	got = json_dumps(json_object_get(c, "v"), JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(15));
	assert_string_equal(got, v);
	free(got);
}

/* A cell a sheet must hold: t "text" for assert_text(), NULL for an
 * empty cell, else assert_cell()'s type, format and JSON value. */
struct want_cell {
	const char *sheet;
	size_t row, col;
	const char *t, *f, *v;
};

/* The day's workbook, beyond the Summary and Daily totals. */
static const struct want_cell cells[] = {
	{ "Per model per day", 1, 1, "text", NULL, "alpha" },
	{ "Per model per day", 1, 7, "n", "0.0%", "0.75" },
	{ "Per model per day", 1, 10, "n", "General", "3850" },
	{ "Per model per day", 1, 13, "n", "General", "2900" },
	{ "Per model per day", 1, 16, "n", "#,##0.00 \"USD\"", "0.12" },
	{ "Per model per day", 2, 16, "n", "#,##0 \"JPY\"", "450" },
	{ "Per model per day", 3, 16, "n", "#,##0.00 \"EUR\"", "0.01" },
	{ "Per model per day", 1, 19, "d", "yyyy-mm-dd hh:mm:ss",
	    "\"2026-03-29T23:59:00\"" },
	{ "Errors", 2, 2, "text", NULL, "=HYPERLINK(\"http://x\",\"nsfw\")" },
	{ "Errors", 2, 3, "n", "General", "2" },
	{ "Models", 1, 1, "b", NULL, "true" },
	{ "Models", 1, 4, "n", "#,##0.00 \"USD\"", "0.03" },
	{ "Models", 3, 9, NULL, NULL, NULL },	/* delta: no rate */
	{ "Models", 3, 16, NULL, NULL, NULL },	/* delta: never */
	{ "Models", 4, 16, "d", "yyyy-mm-dd hh:mm:ss",
	    "\"2026-03-20T13:00:00\"" },
	{ "Inactive models", 1, 2, "text", NULL, "DEACTIVATED_BUT_CALLED" },
	{ "Inactive models", 3, 4, "n", "General", "9.8" },
};

static void
check_xlsx(const char *dir)
{
	static const char *const names[] = { "Summary", "Daily totals",
		"Per model per day", "Errors", "Models", "Inactive models",
		"Peak hours", "Calls by hour" };
	json_t *wb = rs_read_xlsx(dir, "model-stats-2026-03-29.xlsx");
	json_t *sheets = json_object_get(wb, "sheets"), *sh, *ch;

	assert_int_equal(json_array_size(sheets), 8);
	for (size_t i = 0; i < 8; i++) {
		const char *freeze;

		sh = json_array_get(sheets, i);
		assert_string_equal(json_string_value(json_object_get(sh, "name")),
		    names[i]);
		/* the Summary is a page; the hour sheets have a title row
		 * stating their window above the header */
		freeze = i == 0 ? NULL : i >= 6 ? "A3" : "A2";
		if (freeze == NULL)
			assert_true(json_is_null(json_object_get(sh, "freeze")));
		else
			assert_string_equal(json_string_value(json_object_get(sh,
			    "freeze")), freeze);
	}
	/* the created time is the as-of instant, so reruns are identical */
	assert_string_equal(json_string_value(json_object_get(wb, "created")),
	    "2026-03-30T06:00:00");

	/*
	 * The Summary: the day's figures (8 calls, 5 successful, 3 failed;
	 * the successful ones took 700, 1000, 2000, 3000 and 10000 ms, p95 at
	 * position 4 x 0.95 = 3.8: 3000 + 0.8 x 7000 = 8600; all eight, p95
	 * at 6.65 between 4000 and 10000: 7900), the hour sheets' window,
	 * and one action per model that needs a look, with its command.
	 */
	sh = sheet_named(wb, "Summary");
	assert_text(sh, 0, 0, "Model statistics");
	assert_text(sh, 1, 0, "Sunday 2026-03-29");
	assert_text(sh, 7, 0, "Sheets over a window");
	assert_text(sh, 7, 1, "Peak hours, Calls by hour");
	assert_text(sh, 7, 2, "last 7 days (2026-03-23 to 2026-03-29)");
	assert_text(sh, 10, 0, "Calls");
	assert_cell(sh, 10, 1, "n", "General", "8");
	assert_cell(sh, 12, 1, "n", "0.0%", "0.375");
	assert_text(sh, 13, 0, "Processing time p95, successful calls");
	assert_cell(sh, 13, 1, "n", "General", "8600");
	assert_text(sh, 13, 2, "ms");
	assert_cell(sh, 14, 1, "n", "General", "7900");
	assert_text(sh, 19, 0, "Actions needed");
	assert_text(sh, 20, 0, "Model delta is active but has "
	    "had no call for 7 days: switch it off if the service dropped it.");
	assert_text(sh, 21, 1, "tallyctl model set delta --inactive");
	assert_text(sh, 23, 1, "tallyctl model set epsilon --inactive");
	assert_text(sh, 24, 0, "Model gamma is switched off "
	    "but was called in the last 7 days: switch it on, or tell the "
	    "image service.");
	assert_text(sh, 25, 1, "tallyctl model set gamma --active");

	sh = sheet_named(wb, "Daily totals");
	assert_cell(sh, 1, 0, "d", "yyyy-mm-dd", "\"2026-03-29T00:00:00\"");
	assert_cell(sh, 1, 1, "n", "General", "8");
	assert_cell(sh, 1, 6, "n", "0.0%", "0.375");
	ch = json_array_get(json_object_get(sh, "charts"), 0);
	assert_string_equal(json_string_value(json_object_get(ch, "type")), "line");
	assert_int_equal(json_array_size(json_object_get(ch, "series")), 2);

	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		const struct want_cell *w = &cells[i];

		sh = sheet_named(wb, w->sheet);
		if (w->t == NULL)
			assert_true(json_is_null(cell(sh, w->row, w->col)));
		else if (strcmp(w->t, "text") == 0)
			assert_text(sh, w->row, w->col, w->v);
		else
			assert_cell(sh, w->row, w->col, w->t, w->f, w->v);
	}

	sh = sheet_named(wb, "Peak hours");
	assert_string_equal(json_string_value(json_array_get(json_object_get(sh,
	    "colorscales"), 0)), "D3:AA23");
	/* a day's run: the hour sheets state their week in a title row */
	assert_text(sh, 0, 0,
	    "Peak hours, last 7 days (2026-03-23 to 2026-03-29)");

	sh = sheet_named(wb, "Calls by hour");
	ch = json_array_get(json_object_get(sh, "charts"), 0);
	assert_string_equal(json_string_value(json_object_get(ch, "type")), "bar");
	assert_string_equal(json_string_value(json_object_get(ch, "title")),
	    "Calls by hour of day, last 7 days (2026-03-23 to 2026-03-29)");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(ch, "series"), 0), "val")),
	    "'Calls by hour'!$B$3:$B$26");
	json_decref(wb);
}

static void
test_day_figures(void **state)
{
	char *dir = run_ok(BERLIN, AS_OF, &default_day,
	    "{\"inactive_model_days\": 7}", NULL);

	(void)state;
	check_csv(dir);
	check_xlsx(dir);
	free(dir);
}

static void
test_rerun_identical(void **state)
{
	static const char *const files[] = {
		"model-stats-2026-03-29.xlsx",
		"model-stats-2026-03-29-daily-totals.csv",
		"model-stats-2026-03-29-per-model-per-day.csv",
		"model-stats-2026-03-29-errors.csv",
		"model-stats-2026-03-29-models.csv",
		"model-stats-2026-03-29-inactive-models.csv",
		"model-stats-2026-03-29-peak-hours.csv",
		"model-stats-2026-03-29-calls-by-hour.csv",
		"model-stats-2026-03-29.manifest.json",
	};
	char *a, *b;

	(void)state;
	a = run_ok(BERLIN, AS_OF, &default_day, NULL, NULL);
	sleep(1);	/* another wall-clock second must not show */
	b = run_ok(BERLIN, AS_OF, &default_day, NULL, NULL);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t la, lb;
		char *x = tfile_read(a, files[i], &la), *y = tfile_read(b, files[i], &lb);

		if (la != lb || memcmp(x, y, la) != 0)
			fail_msg("%s differs between reruns", files[i]);
		free(x);
		free(y);
	}
	free(a);
	free(b);
}

static void
test_inactive_window_from_settings(void **state)
{
	/* 12 days reach back to epsilon's call on 20 March */
	char *dir = run_ok(BERLIN, AS_OF, &default_day,
	    "{\"inactive_model_days\": 12}", NULL);

	(void)state;
	assert_file(dir, "model-stats-2026-03-29-inactive-models.csv",
	    "\"model\",\"active\",\"status\",\"last_access\","
	    "\"days_since_last_access\",\"calls_in_window\","
	    "\"window_days\"\r\n"
	    "\"gamma\",false,\"DEACTIVATED_BUT_CALLED\","
	    "2026-03-29 14:00:00+02,0.8,1,12\r\n"
	    "\"delta\",true,\"INACTIVE\",,,0,12\r\n");
	free(dir);
}

static void
test_month_cut_by_zone(void **state)
{
	struct period_request rq;
	char *dir;

	(void)state;
	memset(&rq, 0, sizeof(rq));
	rq.month = "2026-03";
	dir = run_ok(BERLIN, AS_OF, &rq, NULL, NULL);
	/* in Berlin a1 is the 28th, a2..a5 the 29th, a6 the 30th */
	assert_file(dir, "model-stats-2026-03-daily-totals.csv",
	    "\"day\",\"calls\",\"generate\",\"edit\",\"ok\",\"errors\","
	    "\"error_rate\",\"users\",\"credits\"\r\n"
	    "2026-03-20,1,1,0,1,0,0.0000,1,1\r\n"
	    "2026-03-28,1,1,0,1,0,0.0000,1,5\r\n"
	    "2026-03-29,8,5,3,5,3,0.3750,3,18\r\n"
	    "2026-03-30,1,1,0,1,0,0.0000,1,5\r\n");
	free(dir);

	/* the same instants cut in UTC: a1 and a2 the 28th, a6 the 29th */
	dir = run_ok("UTC", "2026-03-30T06:00:00Z", &rq, NULL, NULL);
	assert_file(dir, "model-stats-2026-03-daily-totals.csv",
	    "\"day\",\"calls\",\"generate\",\"edit\",\"ok\",\"errors\","
	    "\"error_rate\",\"users\",\"credits\"\r\n"
	    "2026-03-20,1,1,0,1,0,0.0000,1,1\r\n"
	    "2026-03-28,2,2,0,2,0,0.0000,1,10\r\n"
	    "2026-03-29,8,5,3,5,3,0.3750,3,18\r\n");
	free(dir);
}

static void
test_empty_period(void **state)
{
	struct period_request rq;
	struct report_result res;
	json_t *wb, *sheets;
	char *dir;

	(void)state;
	memset(&rq, 0, sizeof(rq));
	rq.from = "2025-06-01";
	rq.to = "2025-06-01";
	dir = run_ok(BERLIN, "2025-06-02T12:00", &rq, NULL, &res);
	/* the Summary has its 8 figures, zeros and blanks */
	for (size_t i = 0; i < res.nsheets; i++)
		assert_true(res.sheets[i].rows ==
		    (strcmp(res.sheets[i].name, "Calls by hour") == 0 ? 24 :
		    strcmp(res.sheets[i].name, "Summary") == 0 ? 8 : 0));
	report_result_release(&res);
	assert_file(dir, "model-stats-2025-06-01-daily-totals.csv",
	    "\"day\",\"calls\",\"generate\",\"edit\",\"ok\",\"errors\","
	    "\"error_rate\",\"users\",\"credits\"\r\n");
	wb = rs_read_xlsx(dir, "model-stats-2025-06-01.xlsx");
	sheets = json_object_get(wb, "sheets");
	assert_int_equal(json_array_size(sheets), 8);
	/* an empty sheet says so under its header (the hour sheets under
	 * their title and header) */
	for (size_t i = 1; i < 7; i++) {
		json_t *sh = json_array_get(sheets, i);
		size_t head = i == 6 ? 2 : 1;

		assert_int_equal(json_array_size(json_object_get(sh, "rows")),
		    head + 1);
		assert_cell(sh, head, 0, "s", "General",
		    "\"Nothing in this period\"");
	}
	json_decref(wb);
	free(dir);
}

static int
setup(void **state)
{
	struct db *admin = NULL;

	(void)state;
	if (rs_batch_open("test-modelstats", "test_report_modelstats.",
	    &db, &admin, &tmp) != 0)
		return -1;
	if (db_simple(admin, DATASET) != 0) {
		fprintf(stderr, "dataset: %s\n", db_errmsg(admin));
		return -1;
	}
	db_free(admin);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return rs_batch_close(db, NULL, tmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_day_figures),
		cmocka_unit_test(test_rerun_identical),
		cmocka_unit_test(test_inactive_window_from_settings),
		cmocka_unit_test(test_month_cut_by_zone),
		cmocka_unit_test(test_empty_period),
	};

	testdb_require();
	return cmocka_run_group_tests(tests, setup, teardown);
}
