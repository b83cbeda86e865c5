/*
 * summary.c - what a report says about itself: its title, its period and
 * as-of instant in words, whether the period is over (PARTIAL), the
 * windows of its hour sheets, the printed page's header and footer, and
 * the Summary sheet.
 *
 * The Summary is the report's file with a "summary:" directive (its
 * first, 00_summary.sql).  Its query returns lines (section, label,
 * value, unit, command); the engine keeps them and, when the query is
 * done, writes the page: the title block it knows itself, then the lines
 * grouped by section in a fixed order.  Its actions also go into the
 * manifest, for whatever watches the reports.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "base/err.h"
#include "base/period.h"
#include "base/strbuf.h"
#include "base/version.h"
#include "out/xlsxout.h"
#include "report/run.h"
#include "report/sql.h"

#define EMPTY_TEXT "Nothing in this period"

/* The sections of a Summary, in the order they are shown. */
static const struct {
	const char *name;	/* the query's section value */
	const char *heading;
} sections[] = {
	{ "figure", "Headline figures" },
	{ "recommendation", "Recommendation" },
	{ "action", "Actions needed" },
	{ "note", "Notes" },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))
#define S_FIGURE 0
#define S_ACTION 2

/* The columns a Summary query returns. */
static const char *const sum_columns[5] = { "section", "label", "value",
	"unit", "command" };

static const char *const months[] = { "January", "February", "March",
	"April", "May", "June", "July", "August", "September", "October",
	"November", "December" };
static const char *const weekdays[] = { "Monday", "Tuesday", "Wednesday",
	"Thursday", "Friday", "Saturday", "Sunday" };

static const char *
tz_of(const struct run *r)
{
	return r->values[3];
}

/* "2026-03-30T08:00:00+02:00" at t in the report zone into parts. */
static int
local(const struct run *r, time_t t, char buf[PERIOD_ISO_MAX])
{
	if (period_format_local(t, tz_of(r), buf) != 0 || strlen(buf) < 25)
		return -1;
	return 0;
}

static bool
at_midnight(const char *iso)
{
	return strncmp(iso + 11, "00:00:00", 8) == 0;
}

/* "2026-03-23 to 2026-03-29" for whole local days [a, b), else with the
 * times: "2026-11-10 12:00 to 2026-11-17 12:00". */
static void
span_words(const struct run *r, time_t a, time_t b, struct strbuf *sb)
{
	char x[PERIOD_ISO_MAX], y[PERIOD_ISO_MAX];

	if (local(r, a, x) != 0 || local(r, b, y) != 0) {
		strbuf_addstr(sb, "?");
		return;
	}
	if (at_midnight(x) && at_midnight(y) && local(r, b - 1, y) == 0)
		strbuf_addf(sb, "%.10s to %.10s", x, y);
	else
		strbuf_addf(sb, "%.10s %.5s to %.10s %.5s", x, x + 11, y, y + 11);
}

static int
weekday(struct period_date d)
{
	/* 1970-01-01 was a Thursday (3, counting from Monday = 0) */
	long n = (period_days(d) + 3) % 7;

	return (int)(n < 0 ? n + 7 : n);
}

static char *
period_words(const struct run *r)
{
	const struct period *p = r->o->period;
	struct strbuf sb = STRBUF_INIT;

	switch (p->kind) {
	case PERIOD_DAY:
		strbuf_addf(&sb, "%s %04d-%02d-%02d", weekdays[weekday(p->first)],
		    p->first.year, p->first.month, p->first.day);
		break;
	case PERIOD_WEEK:
		strbuf_addf(&sb, "Week of %04d-%02d-%02d (%s)", p->first.year,
		    p->first.month, p->first.day, p->label);
		break;
	case PERIOD_MONTH:
		strbuf_addf(&sb, "%s %04d", months[(p->first.month - 1) % 12],
		    p->first.year);
		break;
	case PERIOD_RANGE:
	case PERIOD_WINDOW:
		span_words(r, p->start, p->end, &sb);
		break;
	}
	return strbuf_detach(&sb, NULL);
}

static const char *
kind_word(const struct period *p)
{
	switch (p->kind) {
	case PERIOD_DAY:
		return "day";
	case PERIOD_WEEK:
		return "week";
	case PERIOD_MONTH:
		return "month";
	default:
		return "period";
	}
}

/* "2026-03-30 08:00 Europe/Berlin (UTC+02:00)" */
static char *
instant_words(const struct run *r, time_t t)
{
	struct strbuf sb = STRBUF_INIT;
	char x[PERIOD_ISO_MAX];

	if (local(r, t, x) != 0)
		strbuf_addstr(&sb, r->as_of);
	else if (strncmp(x + 17, "00", 2) == 0)
		strbuf_addf(&sb, "%.10s %.5s %s (UTC%s)", x, x + 11, tz_of(r),
		    x + 19);
	else
		strbuf_addf(&sb, "%.10s %.8s %s (UTC%s)", x, x + 11, tz_of(r),
		    x + 19);
	return strbuf_detach(&sb, NULL);
}

char *
summary_window_words(struct run *r, int days)
{
	const struct period *p = r->o->period;
	struct strbuf sb = STRBUF_INIT;
	char end[PERIOD_ISO_MAX], back[PERIOD_ISO_MAX];
	struct period_date d;
	time_t ws;

	/* the sheet's query cuts least(start, end - N days), calendar days
	 * in the report zone: the same wall-clock time N days earlier */
	if (local(r, p->end, end) != 0)
		return xstrdup("the whole period");
	end[10] = '\0';	/* the date; the time is at end + 11 */
	if (period_parse_date(end, &d) != 0)
		return xstrdup("the whole period");
	d = period_from_days(period_days(d) - days);
	snprintf(back, sizeof(back), "%04d-%02d-%02dT%.8s", d.year % 10000,
	    d.month % 100, d.day % 100, end + 11);
	if (period_parse_instant(back, tz_of(r), &ws) != 0 || ws >= p->start) {
		strbuf_addstr(&sb, "the whole period (");
		ws = p->start;
	} else
		strbuf_addf(&sb, "last %d day%s (", days, days == 1 ? "" : "s");
	span_words(r, ws, p->end, &sb);
	strbuf_addch(&sb, ')');
	return strbuf_detach(&sb, NULL);
}

/* Excel header text: a literal & is &&. */
static void
add_escaped(struct strbuf *sb, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '&')
			strbuf_addch(sb, '&');
		strbuf_addch(sb, *s);
	}
}

int
summary_prepare(struct run *r)
{
	struct xlsxout_print pr;
	struct strbuf h = STRBUF_INIT, f = STRBUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < r->ndefs && r->title == NULL; i++)
		if (r->defs[i].summary != NULL)
			r->title = xstrdup(r->defs[i].summary);
	if (r->title == NULL) {
		char *name = report_sql_header(r->report);

		strbuf_addf(&h, "%s report", name);
		for (char *p = h.buf; *p != '\0'; p++)
			if (*p == '-')
				*p = ' ';
		r->title = strbuf_detach(&h, NULL);
		free(name);
	}
	r->period_words = period_words(r);
	r->as_of_words = instant_words(r, r->o->as_of);
	r->partial = r->o->period->end > r->o->as_of;
	r->actions = json_array();
	if (r->x == NULL)
		return 0;
	memset(&pr, 0, sizeof(pr));
	strbuf_addstr(&h, "&L");
	add_escaped(&h, r->title);
	strbuf_addstr(&h, ": &A&C");
	add_escaped(&h, r->period_words);
	if (r->partial)
		strbuf_addstr(&h, ", PARTIAL");
	/* not "of &N": LibreOffice counts the whole workbook's pages there */
	strbuf_addstr(&h, "&RPage &P");
	strbuf_addstr(&f, "&LAs of ");
	add_escaped(&f, r->as_of_words);
	strbuf_addstr(&f, "&Rtally " TALLY_VERSION);
	pr.header = h.buf;
	pr.footer = f.buf;
	pr.empty = EMPTY_TEXT;
	if (xlsxout_set_print(r->x, &pr) != 0) {
		/* a title too long for a page header: print without one */
		pr.header = NULL;
		rc = xlsxout_set_print(r->x, &pr);
	}
	strbuf_release(&h);
	strbuf_release(&f);
	if (rc != 0)
		strbuf_addf(&r->res->err, "%s", xlsxout_errmsg(r->x));
	return rc;
}

void
summary_release(struct run *r)
{
	free(r->title);
	free(r->period_words);
	free(r->as_of_words);
	json_decref(r->actions);
	r->title = r->period_words = r->as_of_words = NULL;
	r->actions = NULL;
}

void
summary_lines_free(struct sheet_run *s)
{
	for (size_t i = 0; i < s->nlines; i++) {
		free(s->lines[i].label);
		free(s->lines[i].value);
		free(s->lines[i].unit);
		free(s->lines[i].command);
	}
	free(s->lines);
	s->lines = NULL;
	s->nlines = 0;
}

int
summary_begin(struct run *r, struct sheet_run *s, const PGresult *res)
{
	static const unsigned widths[3] = { 40, 24, 56 };
	int rc;

	for (size_t i = 0; i < 5; i++) {
		s->sum_cols[i] = cells_column_index(res, sum_columns[i]);
		if (s->sum_cols[i] < 0) {
			strbuf_addf(&r->res->err, "%s: a summary returns the "
			    "columns section, label, value, unit and command; "
			    "\"%s\" is missing", s->def->file, sum_columns[i]);
			return TALLY_EINTERNAL;
		}
	}
	if (r->x != NULL && (rc = xlsxout_page_add(r->x, &s->xs, s->def->name,
	    widths, 3)) != 0) {
		strbuf_addf(&r->res->err, "%s: %s", s->def->file,
		    xlsxout_errmsg(r->x));
		return rc;
	}
	return 0;
}

static char *
field(const PGresult *res, int c)
{
	return PQgetisnull(res, 0, c) ? NULL : xstrdup(PQgetvalue(res, 0, c));
}

int
summary_row(struct run *r, struct sheet_run *s, const PGresult *res)
{
	struct summary_line *l;
	const char *sec = PQgetisnull(res, 0, s->sum_cols[0]) ? "" :
	    PQgetvalue(res, 0, s->sum_cols[0]);
	size_t i;

	for (i = 0; i < NSECTIONS; i++)
		if (strcmp(sec, sections[i].name) == 0)
			break;
	if (i == NSECTIONS || PQgetisnull(res, 0, s->sum_cols[1])) {
		strbuf_addf(&r->res->err, "%s: a summary line needs a label and "
		    "a section of figure, action, recommendation or note, not "
		    "\"%s\"", s->def->file, sec);
		return TALLY_EINTERNAL;
	}
	s->lines = xrealloc(s->lines, (s->nlines + 1) * sizeof(*s->lines));
	l = &s->lines[s->nlines++];
	l->section = (int)i;
	l->label = field(res, s->sum_cols[1]);
	l->value = field(res, s->sum_cols[2]);
	l->unit = field(res, s->sum_cols[3]);
	l->command = field(res, s->sum_cols[4]);
	s->out->rows++;
	return 0;
}

/* One line of two or three cells on the page. */
static int
put(struct sheet_run *s, const char *a, enum xlsxout_style sa, const char *b,
    const char *c)
{
	int rc = 0;

	if (a != NULL)
		rc = xlsxout_page_text(s->xs, 0, a, sa);
	if (rc == 0 && b != NULL)
		rc = xlsxout_page_text(s->xs, 1, b, XLSXOUT_PLAIN);
	if (rc == 0 && c != NULL)
		rc = xlsxout_page_text(s->xs, 2, c, XLSXOUT_PLAIN);
	if (rc == 0)
		rc = xlsxout_end_row(s->xs);
	return rc;
}

/* A headline figure: its value typed by its unit. */
static int
put_figure(struct sheet_run *s, const struct summary_line *l)
{
	const char *unit = l->unit;
	char *end;
	double v;
	int rc;

	if ((rc = xlsxout_page_text(s->xs, 0, l->label, XLSXOUT_PLAIN)) != 0)
		return rc;
	v = l->value != NULL ? strtod(l->value, &end) : 0;
	if (l->value == NULL)
		rc = xlsxout_page_text(s->xs, 1, "none yet", XLSXOUT_QUIET);
	else if (*end != '\0')
		rc = xlsxout_page_text(s->xs, 1, l->value, XLSXOUT_PLAIN);
	else if (unit == NULL || strcmp(unit, "percent") == 0 ||
	    (strlen(unit) == 3 && strspn(unit, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3))
		rc = xlsxout_page_number(s->xs, 1, v, unit);
	else {
		rc = xlsxout_page_number(s->xs, 1, v, NULL);
		if (rc == 0)
			rc = xlsxout_page_text(s->xs, 2, unit, XLSXOUT_PLAIN);
	}
	if (rc == 0)
		rc = xlsxout_end_row(s->xs);
	return rc;
}

/* Which sheets cover a window other than the period, in words. */
static int
put_windows(struct run *r, struct sheet_run *s)
{
	struct strbuf names = STRBUF_INIT;
	char *w, *first = NULL;
	int rc = 0;

	for (size_t i = 0; i < r->ndefs && rc == 0; i++) {
		if (r->defs[i].window_days == 0)
			continue;
		w = summary_window_words(r, r->defs[i].window_days);
		if (first != NULL && strcmp(first, w) != 0) {
			rc = put(s, "Sheets over a window", XLSXOUT_LABEL,
			    names.buf, first);
			strbuf_reset(&names);
			free(first);
			first = NULL;
		}
		if (first == NULL)
			first = w;
		else
			free(w);
		if (names.len > 0)
			strbuf_addstr(&names, ", ");
		strbuf_addstr(&names, r->defs[i].name);
	}
	if (rc == 0 && first != NULL)
		rc = put(s, "Sheets over a window", XLSXOUT_LABEL, names.buf,
		    first);
	free(first);
	strbuf_release(&names);
	return rc;
}

static int
write_page(struct run *r, struct sheet_run *s)
{
	const struct period *p = r->o->period;
	struct strbuf sb = STRBUF_INIT;
	size_t n;
	int rc;

	rc = put(s, r->title, XLSXOUT_TITLE, NULL, NULL);
	if (rc == 0)
		rc = put(s, r->period_words, XLSXOUT_SUBTITLE, NULL, NULL);
	if (rc == 0 && r->partial) {
		if (p->start >= r->o->as_of)
			strbuf_addf(&sb, "PARTIAL: this %s has not started at the "
			    "as-of instant; it has no figures yet.", kind_word(p));
		else
			strbuf_addf(&sb, "PARTIAL: this %s is not over at the "
			    "as-of instant; its figures will still change.",
			    kind_word(p));
		rc = xlsxout_page_text(s->xs, 0, sb.buf, XLSXOUT_BANNER);
		for (size_t c = 1; c < 3 && rc == 0; c++)
			rc = xlsxout_page_text(s->xs, c, "", XLSXOUT_BANNER);
		if (rc == 0)
			rc = xlsxout_end_row(s->xs);
	}
	if (rc == 0)
		rc = xlsxout_end_row(s->xs);
	strbuf_reset(&sb);
	span_words(r, p->start, p->end, &sb);
	if (rc == 0)
		rc = put(s, "Period", XLSXOUT_LABEL, sb.buf, NULL);
	if (rc == 0)
		rc = put(s, "As of", XLSXOUT_LABEL, r->as_of_words, NULL);
	if (rc == 0)
		rc = put(s, "Time zone", XLSXOUT_LABEL, tz_of(r),
		    "dates and times in this workbook are in this zone");
	if (rc == 0)
		rc = put(s, "tally", XLSXOUT_LABEL, TALLY_VERSION, NULL);
	if (rc == 0)
		rc = put_windows(r, s);
	for (size_t k = 0; k < NSECTIONS && rc == 0; k++) {
		n = 0;
		for (size_t i = 0; i < s->nlines; i++)
			n += s->lines[i].section == (int)k;
		if (n == 0 && k != S_ACTION)
			continue;
		rc = xlsxout_end_row(s->xs);
		if (rc == 0)
			rc = xlsxout_page_text(s->xs, 0, sections[k].heading,
			    XLSXOUT_HEADING);
		for (size_t c = 1; c < 3 && rc == 0; c++)
			rc = xlsxout_page_text(s->xs, c, "", XLSXOUT_HEADING);
		if (rc == 0)
			rc = xlsxout_end_row(s->xs);
		if (rc == 0 && n == 0)
			rc = put(s, "Nothing needs doing.", XLSXOUT_QUIET, NULL,
			    NULL);
		for (size_t i = 0; i < s->nlines && rc == 0; i++) {
			const struct summary_line *l = &s->lines[i];

			if (l->section != (int)k)
				continue;
			if (k == S_FIGURE)
				rc = put_figure(s, l);
			else
				rc = put(s, l->label, XLSXOUT_PLAIN, NULL, NULL);
			/* the command under its sentence, where it can be
			 * read (and copied) whole */
			if (rc == 0 && k != S_FIGURE && l->command != NULL)
				rc = put(s, NULL, XLSXOUT_PLAIN, l->command, NULL);
		}
	}
	strbuf_release(&sb);
	return rc;
}

int
summary_finish(struct run *r, struct sheet_run *s)
{
	int rc = 0;

	for (size_t i = 0; i < s->nlines; i++) {
		const struct summary_line *l = &s->lines[i];
		json_t *a;

		if (l->section != S_ACTION)
			continue;
		a = json_object();
		json_object_set_new(a, "action", json_string(l->label));
		json_object_set_new(a, "command", l->command != NULL ?
		    json_string(l->command) : json_null());
		json_array_append_new(r->actions, a);
	}
	if (s->xs != NULL && (rc = write_page(r, s)) != 0)
		strbuf_addf(&r->res->err, "%s: %s", s->def->file,
		    xlsxout_errmsg(r->x));
	return rc;
}
