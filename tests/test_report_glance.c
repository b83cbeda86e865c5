/*
 * test_report_glance.c - the reports as an admin reads them (issue 12),
 * through the engine, the workbook read back by openpyxl and its sheet
 * XML (tests/support/xlsx_read.py):
 *   - the Summary sheet of the weekly report for weekly_basic.sql: its
 *     title, week in words, as-of, zone, version, headline figures and
 *     actions (the lines themselves are pinned against the fixture in
 *     test_report_weekly's test_summary), and a PARTIAL banner (and manifest flag) for a
 *     week that is not over;
 *   - every column of the four reports (weekly, monthly, model-stats,
 *     reconcile) has a header and a note in its SQL file's comment (or
 *     the report's shared header), and the XLSX shows exactly those,
 *     every column's note on its header cell, while the CSV keeps the
 *     machine names;
 *   - every sheet of the four workbooks is set up to print (landscape,
 *     one page wide, header rows repeated, page header and footer) and
 *     its charts sit under its table;
 *   - the capacity forecast is drawn as its own dashed series;
 *   - a name from outside stays one word in an action's command;
 *   - a percentile is exact where double precision rounds it down.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "base/version.h"
#include "support/testdb.h"
#include "support/sheet_test.h"

#define BERLIN "Europe/Berlin"
#define W13_FROM "2026-03-22T23:00:00Z"
#define W13_TO "2026-03-29T22:00:00Z"
#define W13_ASOF "2026-03-30T06:00:00Z"


static json_t *
sheet_at(json_t *wb, size_t i)
{
	return json_array_get(json_object_get(wb, "sheets"), i);
}

static json_t *
cell(json_t *sh, size_t row, size_t col)
{
	return json_array_get(json_array_get(json_object_get(sh, "rows"), row),
	    col);
}

/* A text cell's value, or NULL. */
static const char *
text(json_t *sh, size_t row, size_t col)
{
	return json_string_value(json_object_get(cell(sh, row, col), "v"));
}

/* The row whose column A is label (fails when there is none). */
static size_t
row_of(json_t *sh, const char *label)
{
	size_t n = json_array_size(json_object_get(sh, "rows"));

	for (size_t r = 0; r < n; r++) {
		const char *v = text(sh, r, 0);

		if (v != NULL && strcmp(v, label) == 0)
			return r;
	}
	fail_msg("no line \"%s\" on sheet %s", label,
	    json_string_value(json_object_get(sh, "name")));
	return 0;
}

/* Run report through the engine, XLSX and CSV, into a new directory. */
static void
run_report(struct db *db, const char *report, const struct period *p,
    const char *as_of_s, struct report_result *res)
{
	struct report_opts o;
	time_t as_of;

	/* the reconcile report reads its run's cases: run 0 opened and
	 * closed none, and what is open is what the fixture left open */
	static const char *const run0[1] = { "0" };

	assert_int_equal(period_parse_instant(as_of_s, BERLIN, &as_of), 0);
	memset(&o, 0, sizeof(o));
	o.period = p;
	o.as_of = as_of;
	o.out_dir = tfile_tempdir("tally-report-");
	o.settings_json = "{}";
	if (strcmp(report, "reconcile") == 0) {
		o.extra = run0;
		o.nextra = 1;
	}
	report_result_init(res);
	if (report_run(db, report, &o, res) != 0)
		fail_msg("%s: %s", report, strbuf_str(&res->err));
	free((char *)(uintptr_t)o.out_dir);
}

/* A pageSetup attribute, or its default when the XML leaves it out. */
static const char *
page_attr(json_t *sh, const char *name, const char *dflt)
{
	json_t *v = json_object_get(json_object_get(json_object_get(sh, "xml"),
	    "pageSetup"), name);

	return v != NULL ? json_string_value(v) : dflt;
}

static json_t *
manifest(const struct report_result *res)
{
	char *m = tfile_read(res->out_dir, res->manifest, NULL);
	json_error_t jerr;
	json_t *j = json_loads(m, 0, &jerr);

	assert_non_null(j);
	free(m);
	return j;
}

/*
 * The weekly Summary: what the engine writes itself above the lines of
 * reports/weekly/00_summary.sql, the figures typed by their unit, every
 * action followed by its tallyctl command, and the same actions in the
 * manifest.
 */
static void
test_weekly_summary(void **state)
{
	struct db *db = rs_fresh_db("weekly_basic.sql");
	struct report_result res;
	struct period p;
	json_t *wb, *sh, *m, *acts, *c;
	size_t r;

	(void)state;
	assert_int_equal(period_week(&p, "2026-W13", BERLIN), 0);
	run_report(db, "weekly", &p, W13_ASOF, &res);
	wb = rs_read_xlsx(res.out_dir, "weekly-2026-W13.xlsx");
	sh = sheet_at(wb, 0);
	assert_string_equal(json_string_value(json_object_get(sh, "name")),
	    "Summary");
	assert_string_equal(text(sh, 0, 0), "Weekly report");
	assert_string_equal(text(sh, 1, 0), "Week of 2026-03-23 (2026-W13)");
	/* a finished week: no banner */
	assert_null(text(sh, 2, 0));
	assert_string_equal(text(sh, row_of(sh, "Period"), 1),
	    "2026-03-23 to 2026-03-29");
	assert_string_equal(text(sh, row_of(sh, "As of"), 1),
	    "2026-03-30 08:00 Europe/Berlin (UTC+02:00)");
	assert_string_equal(text(sh, row_of(sh, "Time zone"), 1), BERLIN);
	assert_string_equal(text(sh, row_of(sh, "tally"), 1), TALLY_VERSION);
	/* headline figures, typed */
	r = row_of(sh, "Seats free at the end of the week");
	assert_true(json_integer_value(json_object_get(cell(sh, r, 1), "v")) ==
	    4);
	c = cell(sh, row_of(sh, "Seat utilisation"), 1);
	assert_string_equal(json_string_value(json_object_get(c, "f")), "0.0%");
	assert_true(json_real_value(json_object_get(c, "v")) == 0.5);
	c = cell(sh, row_of(sh, "Net revenue in USD"), 1);
	assert_string_equal(json_string_value(json_object_get(c, "f")),
	    "#,##0.00 \"USD\"");
	assert_true(json_real_value(json_object_get(c, "v")) == 45.97);
	r = row_of(sh, "Registered users at the end of the week");
	assert_true(json_integer_value(json_object_get(cell(sh, r, 1), "v")) ==
	    4);
	/* actions: a sentence, its command on the line below */
	r = row_of(sh, "Actions needed");
	assert_true(json_is_true(json_object_get(cell(sh, r, 0), "bold")));
	r = row_of(sh, "4 paid orders are waiting for a seat or credits, the "
	    "oldest paid 2026-03-20 10:00: see \"Paid unfulfilled\".");
	assert_string_equal(text(sh, r + 1, 1),
	    "tallyctl order list --unfulfilled");
	r = row_of(sh, "3 reconcile cases of severity error are open.");
	assert_string_equal(text(sh, r + 1, 1), "tallyctl case list --open");
	/* the page prints on one sheet of paper */
	assert_string_equal(page_attr(sh, "fitToHeight", "1"), "1");
	json_decref(wb);

	m = manifest(&res);
	assert_true(json_is_false(json_object_get(m, "partial")));
	assert_string_equal(json_string_value(json_object_get(m, "title")),
	    "Weekly report");
	assert_string_equal(json_string_value(json_object_get(m,
	    "period_words")), "Week of 2026-03-23 (2026-W13)");
	acts = json_object_get(m, "actions");
	assert_int_equal(json_array_size(acts), 7);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    acts, 0), "command")), "tallyctl order list --unfulfilled");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    acts, 6), "command")), "tallyctl event list --failed");
	json_decref(m);
	/* no CSV for the Summary: a page for people */
	assert_null(res.sheets[0].csv);
	assert_string_equal(res.sheets[1].csv, "weekly-2026-W13-pool-status.csv");
	rs_remove_outputs(&res);
	report_result_release(&res);
	db_free(db);
}

/*
 * A week that is not over at the as-of instant: the Summary says PARTIAL
 * in a banner, every printed page says so in its header, and the
 * manifest marks it.  A week that has not started says that instead.
 */
static void
test_partial(void **state)
{
	struct db *db = rs_fresh_db("weekly_basic.sql");
	struct report_result res;
	struct period p;
	json_t *wb, *sh, *m;

	(void)state;
	assert_int_equal(period_week(&p, "2026-W13", BERLIN), 0);
	run_report(db, "weekly", &p, "2026-03-26T12:00:00Z", &res);
	wb = rs_read_xlsx(res.out_dir, "weekly-2026-W13.xlsx");
	sh = sheet_at(wb, 0);
	assert_string_equal(text(sh, 2, 0), "PARTIAL: this week is not over at "
	    "the as-of instant; its figures will still change.");
	assert_true(json_is_true(json_object_get(cell(sh, 2, 0), "bold")));
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(
	    sheet_at(wb, 3), "xml"), "header")), "(2026-W13), PARTIAL"));
	json_decref(wb);
	m = manifest(&res);
	assert_true(json_is_true(json_object_get(m, "partial")));
	json_decref(m);
	rs_remove_outputs(&res);
	report_result_release(&res);

	assert_int_equal(period_week(&p, "2026-W20", BERLIN), 0);
	run_report(db, "weekly", &p, "2026-03-26T12:00:00Z", &res);
	wb = rs_read_xlsx(res.out_dir, "weekly-2026-W20.xlsx");
	assert_string_equal(text(sheet_at(wb, 0), 2, 0), "PARTIAL: this week "
	    "has not started at the as-of instant; it has no figures yet.");
	json_decref(wb);
	rs_remove_outputs(&res);
	report_result_release(&res);
	db_free(db);
}

/* The cell reference of column c (from 0) in row (from 1): "AB2". */
static void
cell_ref(size_t c, size_t row, char ref[16])
{
	char letters[8];
	size_t n = 0;

	for (c++; c > 0 && n < sizeof(letters); c = (c - 1) / 26)
		letters[n++] = (char)('A' + (c - 1) % 26);
	for (size_t i = 0; i < n; i++)
		ref[i] = letters[n - 1 - i];
	snprintf(ref + n, 16 - n, "%zu", row);
}

/* The CSV's header line as names (a NULL-terminated array to free). */
static char **
csv_names(const char *dir, const char *file)
{
	char *csv = tfile_read(dir, file, NULL), *p, *q;
	char **names = xcalloc(256, sizeof(*names));
	size_t n = 0;

	for (p = csv; *p == '"' && n < 255; ) {
		q = strchr(p + 1, '"');
		assert_non_null(q);
		names[n++] = xstrndup(p + 1, (size_t)(q - p - 1));
		p = q + 1;
		if (*p == ',')
			p++;
	}
	free(csv);
	return names;
}

/*
 * One source for what a column is: every column of every sheet of the
 * three reports has a "column:" line (header and note) in its SQL file,
 * the XLSX header cell is that header (a timestamp's followed by the
 * zone) with the note on it, and the CSV keeps the column's own name.
 */
static void
check_report_columns(struct db *db, const char *report,
    const struct period *p, const char *as_of)
{
	struct report_result res;
	struct strbuf file = STRBUF_INIT, want = STRBUF_INIT;
	json_t *wb;

	struct report_sql_sheet shared;
	bool has_shared = false;

	run_report(db, report, p, as_of, &res);
	strbuf_addf(&file, "%s-%s.xlsx", report, p->label);
	wb = rs_read_xlsx(res.out_dir, file.buf);
	/* the column lines the report's sheets share, if it has them */
	strbuf_addf(&want, "reports/%s/", report);
	for (const struct embedded_file *f = embedded_files; f->name != NULL;
	    f++)
		if (strncmp(f->name, want.buf, want.len) == 0 &&
		    report_sql_is_shared(f->name)) {
			assert_false(has_shared);
			assert_int_equal(report_sql_parse(&shared, f->name,
			    f->data, &res.err), 0);
			assert_int_equal(report_sql_check_shared(&shared,
			    &res.err), 0);
			has_shared = true;
		}
	for (size_t i = 1; i < res.nsheets; i++) {
		const struct embedded_file *e = NULL;
		struct report_sql_sheet def;
		struct strbuf err = STRBUF_INIT, name = STRBUF_INIT;
		json_t *sh = sheet_at(wb, i), *comments;
		char **names;
		size_t head;

		/* the sheet's file: the embedded one with this sheet name */
		for (const struct embedded_file *f = embedded_files;
		    f->name != NULL && e == NULL; f++) {
			strbuf_reset(&name);
			strbuf_addf(&name, "reports/%s/", report);
			if (strncmp(f->name, name.buf, name.len) != 0)
				continue;
			assert_int_equal(report_sql_parse(&def, f->name, f->data,
			    &err), 0);
			if (strcmp(def.name, res.sheets[i].name) == 0 &&
			    !report_sql_is_shared(f->name))
				e = f;
			else
				report_sql_release(&def);
		}
		assert_non_null(e);
		def.shared = has_shared ? &shared : NULL;
		names = csv_names(res.out_dir, res.sheets[i].csv);
		head = def.window_days > 0 ? 1 : 0;
		comments = json_object_get(sh, "comments");
		for (size_t c = 0; names[c] != NULL; c++) {
			const struct report_sql_column *doc =
			    report_sql_column(&def, names[c]);
			const char *x = text(sh, head, c);
			char ref[16];

			if (doc == NULL || doc->note == NULL)
				fail_msg("%s: column %s has no \"column:\" line with "
				    "a note", e->name, names[c]);
			strbuf_reset(&want);
			strbuf_addstr(&want, doc->header);
			if (x != NULL && strlen(x) > want.len)
				strbuf_addstr(&want, " (" BERLIN ")");
			if (x == NULL || strcmp(x, want.buf) != 0)
				fail_msg("%s: header of %s is \"%s\", want \"%s\"",
				    e->name, names[c], x != NULL ? x : "",
				    want.buf);
			cell_ref(c, head + 1, ref);
			if (json_object_get(comments, ref) == NULL)
				fail_msg("%s: no note on %s's header %s", e->name,
				    names[c], ref);
			assert_string_equal(json_string_value(
			    json_object_get(comments, ref)), doc->note);
			free(names[c]);
		}
		free(names);
		/* a sheet without rows says so under its header */
		if (res.sheets[i].rows == 0)
			assert_string_equal(text(sh, head + 1, 0),
			    "Nothing in this period");
		report_sql_release(&def);
		strbuf_release(&err);
		strbuf_release(&name);
	}
	json_decref(wb);
	if (has_shared)
		report_sql_release(&shared);
	rs_remove_outputs(&res);
	report_result_release(&res);
	strbuf_release(&file);
	strbuf_release(&want);
}

static void
test_headers_and_notes(void **state)
{
	struct db *db = rs_fresh_db("weekly_basic.sql");
	struct period p;

	(void)state;
	assert_int_equal(period_week(&p, "2026-W13", BERLIN), 0);
	check_report_columns(db, "weekly", &p, W13_ASOF);
	assert_int_equal(period_month(&p, "2026-03", BERLIN), 0);
	check_report_columns(db, "monthly", &p, W13_ASOF);
	assert_int_equal(period_day(&p, (struct period_date){ 2026, 3, 29 },
	    BERLIN), 0);
	check_report_columns(db, "model-stats", &p, W13_ASOF);
	assert_int_equal(period_range(&p, "2026-03-01", "2026-03-31", BERLIN),
	    0);
	check_report_columns(db, "reconcile", &p, W13_ASOF);
	db_free(db);
}

/*
 * Print set-up in every sheet's XML of a workbook: landscape A4 scaled to
 * one page wide, the header rows repeated (the workbook's print titles),
 * a page header naming the report, the sheet and the period and a footer
 * with the as-of instant; charts under their table.
 */
static void
check_page_setup(struct db *db, const char *report, const struct period *p,
    const char *header)
{
	struct report_result res;
	struct strbuf file = STRBUF_INIT;
	json_t *wb, *titles;

	run_report(db, report, p, W13_ASOF, &res);
	strbuf_addf(&file, "%s-%s.xlsx", report, p->label);
	wb = rs_read_xlsx(res.out_dir, file.buf);
	titles = json_object_get(wb, "print_titles");
	for (size_t i = 0; i < json_array_size(json_object_get(wb, "sheets"));
	    i++) {
		json_t *sh = sheet_at(wb, i), *xml = json_object_get(sh, "xml");
		json_t *ps = json_object_get(xml, "pageSetup"), *charts;
		const char *name = json_string_value(json_object_get(sh, "name"));
		const char *got;
		struct strbuf want = STRBUF_INIT;

		assert_string_equal(json_string_value(json_object_get(ps,
		    "orientation")), "landscape");
		assert_string_equal(json_string_value(json_object_get(ps,
		    "paperSize")), "9");
		assert_true(json_is_true(json_object_get(xml, "fitToPage")));
		/* one page wide; tall as it takes (the Summary: one page) */
		assert_string_equal(page_attr(sh, "fitToWidth", "1"), "1");
		assert_string_equal(page_attr(sh, "fitToHeight", "1"),
		    i == 0 ? "1" : "0");
		assert_string_equal(json_string_value(json_object_get(xml,
		    "header")), header);
		assert_string_equal(json_string_value(json_object_get(xml,
		    "footer")), "&LAs of 2026-03-30 08:00 Europe/Berlin "
		    "(UTC+02:00)&Rtally " TALLY_VERSION);
		if (i == 0) {
			assert_null(json_object_get(titles, name));
			continue;
		}
		/* the header row, and the window's title row above it */
		if (strchr(name, ' ') != NULL)
			strbuf_addf(&want, "'%s'!$1:$", name);
		else
			strbuf_addf(&want, "%s!$1:$", name);
		strbuf_addstr(&want, text(sh, 0, 1) == NULL &&
		    text(sh, 1, 1) != NULL ? "2" : "1");
		got = json_string_value(json_object_get(titles, name));
		if (got == NULL || strcmp(got, want.buf) != 0)
			fail_msg("%s: print titles %s, want %s", file.buf,
			    got != NULL ? got : "none", want.buf);
		strbuf_release(&want);
		/* a chart starts in column A, below the table's last row */
		charts = json_object_get(sh, "charts");
		for (size_t k = 0; k < json_array_size(charts); k++) {
			const char *a = json_string_value(json_object_get(
			    json_array_get(charts, k), "anchor"));

			assert_int_equal(a[0], 'A');
			assert_true(strtoul(a + 1, NULL, 10) > json_array_size(
			    json_object_get(sh, "rows")));
		}
	}
	if (strcmp(report, "weekly") == 0)
		assert_int_equal(json_array_size(json_object_get(sheet_at(wb,
		    1), "charts")), 1);
	json_decref(wb);
	rs_remove_outputs(&res);
	report_result_release(&res);
	strbuf_release(&file);
}

static void
test_page_setup(void **state)
{
	struct db *db = rs_fresh_db("weekly_basic.sql");
	struct period p;

	(void)state;
	assert_int_equal(period_week(&p, "2026-W13", BERLIN), 0);
	check_page_setup(db, "weekly", &p, "&LWeekly report: &A&CWeek of "
	    "2026-03-23 (2026-W13)&RPage &P");
	assert_int_equal(period_month(&p, "2026-03", BERLIN), 0);
	check_page_setup(db, "monthly", &p, "&LMonthly review: &A&CMarch 2026"
	    ", PARTIAL&RPage &P");
	assert_int_equal(period_day(&p, (struct period_date){ 2026, 3, 29 },
	    BERLIN), 0);
	check_page_setup(db, "model-stats", &p, "&LModel statistics: &A&C"
	    "Sunday 2026-03-29&RPage &P");
	assert_int_equal(period_range(&p, "2026-03-01", "2026-03-31", BERLIN),
	    0);
	check_page_setup(db, "reconcile", &p, "&LReconcile report: &A&C"
	    "2026-03-01 to 2026-03-31, PARTIAL&RPage &P");
	db_free(db);
}

/* The forecast is not one more actual peak: a dashed series of its own. */
static void
test_forecast_dashed(void **state)
{
	struct db *db = rs_fresh_db("monthly_basic.sql");
	struct report_result res;
	struct period p;
	json_t *wb, *sh = NULL, *series;
	size_t i;

	(void)state;
	assert_int_equal(period_month(&p, "2026-03", BERLIN), 0);
	run_report(db, "monthly", &p, "2026-04-01T04:00:00Z", &res);
	wb = rs_read_xlsx(res.out_dir, "monthly-2026-03.xlsx");
	for (i = 0; sh == NULL; i++)
		if (strcmp(json_string_value(json_object_get(sheet_at(wb, i),
		    "name")), "Capacity forecast") == 0)
			sh = sheet_at(wb, i);
	series = json_object_get(json_array_get(json_object_get(sh, "charts"),
	    0), "series");
	assert_int_equal(json_array_size(series), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    series, 0), "val")), "'Capacity forecast'!$C$2:$C$8");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    series, 0), "dash")), "solid");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    series, 2), "val")), "'Capacity forecast'!$D$2:$D$8");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    series, 2), "dash")), "dash");
	/* and the actual peaks leave the forecast month empty */
	assert_true(json_is_null(cell(sh, 7, 2)));
	assert_true(json_real_value(json_object_get(cell(sh, 7, 3), "v")) ==
	    4.4);
	json_decref(wb);
	rs_remove_outputs(&res);
	report_result_release(&res);
	db_free(db);
}

/* A query's result as rs_text() writes it, on a fresh database. */
static char *
query_text(const char *sql)
{
	struct db *db = rs_fresh_db(NULL);
	PGresult *res = PQexec(db_conn(db), sql);
	char *t;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(res));
	t = rs_text(res);
	PQclear(res);
	db_free(db);
	return t;
}

/*
 * An action's command may name a model, and a model's name comes from
 * outside (usage events register unknown names): pasted into a shell it
 * must stay one word.
 */
static void
test_commands_quote_names(void **state)
{
	char *t;

	(void)state;
	t = query_text("select tally_shell_word('qwen-image-edit'),"
	    " tally_shell_word('x; rm -rf ~'), tally_shell_word('it''s $(id)'),"
	    " tally_shell_word('')");
	assert_string_equal(strchr(t, '\n') + 1,
	    "qwen-image-edit|'x; rm -rf ~'|'it'\"'\"'s $(id)'|''\n");
	free(t);
}

/*
 * Percentiles are exact (sql/062, 092): 51 values of 2.0 and 3 of 3.0
 * put the p95 at position 53 x 0.95 = 50.35, so 2.0 + 0.35 x 1.0 = 2.35
 * exactly, 2.4 rounded to 0.1 half away from zero.  percentile_cont, in
 * double precision, gets 2.34999... and rounds down to 2.3: the set is
 * one where the two differ.
 */
static void
test_percentile_exact(void **state)
{
	char *t;

	(void)state;
	t = query_text("with s as (select case when i < 51 then 2.0 else 3.0 "
	    "end as x from generate_series(0, 53) i) "
	    "select round(tally_percentile_of(0.95) within group (order by x), "
	    "1) as exact, "
	    "tally_percentile_of(0.95) within group (order by x) as unrounded, "
	    "round(tally_percentile((select array_agg(x order by x) from s), "
	    "0.95), 1) as from_array, "
	    "round((percentile_cont(0.95) within group (order by "
	    "x::float8))::numeric, 1) as float from s");
	assert_string_equal(t, "exact|unrounded|from_array|float\n"
	    "2.4|2.350|2.4|2.3\n");
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weekly_summary),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_headers_and_notes),
		cmocka_unit_test(test_page_setup),
		cmocka_unit_test(test_forecast_dashed),
		cmocka_unit_test(test_commands_quote_names),
		cmocka_unit_test(test_percentile_exact),
	};

	testdb_require();
	return cmocka_run_group_tests_name("reports at a glance", tests, NULL,
	    NULL);
}
