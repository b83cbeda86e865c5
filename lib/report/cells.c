/*
 * cells.c - a result column's type (from its SQL type and the sheet's
 * header comment) and each value as a typed XLSX cell and a CSV field.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>

#include "out/csvout.h"
#include "pg/db.h"
#include "pg/embedded.h"
#include "base/err.h"
#include "base/log.h"
#include "base/period.h"
#include "report/engine.h"
#include "report/run.h"
#include "report/sql.h"
#include "base/strbuf.h"
#include "base/version.h"
#include "out/xlsxout.h"


static enum col_kind
kind_for_oid(Oid t)
{
	switch (t) {
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_NUMERIC:
	case OID_FLOAT4:
	case OID_FLOAT8:
		return K_NUMBER;
	case OID_BOOL:
		return K_BOOL;
	case OID_DATE:
		return K_DATE;
	case OID_TIMESTAMP:
	case OID_TIMESTAMPTZ:
		return K_TIMESTAMP;
	default:
		return K_TEXT;	/* text, varchar, oid, json, interval, ... */
	}
}

static enum xlsxout_type
xlsx_type(enum col_kind k)
{
	switch (k) {
	case K_NUMBER:
		return XLSXOUT_NUMBER;
	case K_BOOL:
		return XLSXOUT_BOOL;
	case K_DATE:
		return XLSXOUT_DATE;
	case K_TIMESTAMP:
		return XLSXOUT_DATETIME;
	case K_MONEY:
		return XLSXOUT_MONEY;
	case K_PERCENT:
		return XLSXOUT_PERCENT;
	case K_TEXT:
		break;
	}
	return XLSXOUT_TEXT;
}

int
cells_column_index(const PGresult *res, const char *name)
{
	int n = PQnfields(res);

	for (int i = 0; i < n; i++)
		if (strcmp(PQfname(res, i), name) == 0)
			return i;
	return -1;
}

/* A directive names a column the query does not return: a bug. */
static int
no_column(struct run *r, const struct report_sql_sheet *d, const char *what,
    const char *name)
{
	strbuf_addf(&r->res->err, "%s: %s names \"%s\", which is not a column "
	    "of the result", d->file, what, name);
	return TALLY_EINTERNAL;
}

static int
resolve_columns(struct run *r, struct sheet_run *s, const PGresult *res)
{
	const struct report_sql_sheet *d = s->def;
	int c, cc;

	s->ncols = PQnfields(res);
	if (s->ncols == 0) {
		strbuf_addf(&r->res->err, "%s: the query returns no columns",
		    d->file);
		return TALLY_EINTERNAL;
	}
	s->cols = xcalloc((size_t)s->ncols, sizeof(*s->cols));
	for (c = 0; c < s->ncols; c++) {
		s->cols[c].kind = kind_for_oid(PQftype(res, c));
		s->cols[c].zoned = PQftype(res, c) == OID_TIMESTAMPTZ;
		s->cols[c].currency_col = -1;
		s->cols[c].note_col = -1;
	}
	for (size_t i = 0; i < d->ncolumns; i++)
		if (cells_column_index(res, d->columns[i].name) < 0)
			return no_column(r, d, "column", d->columns[i].name);
	for (size_t i = 0; i < d->ncellnotes; i++) {
		if ((c = cells_column_index(res, d->cellnotes[i].column)) < 0)
			return no_column(r, d, "cellnote", d->cellnotes[i].column);
		if ((cc = cells_column_index(res, d->cellnotes[i].from)) < 0)
			return no_column(r, d, "cellnote", d->cellnotes[i].from);
		s->cols[c].note_col = cc;
	}
	s->totals = xcalloc(d->ntotals + 1, sizeof(*s->totals));
	for (size_t i = 0; i < d->ntotals; i++) {
		if ((c = cells_column_index(res, d->totals[i].column)) < 0)
			return no_column(r, d, "total", d->totals[i].column);
		s->totals[s->ntotals++] = c;
	}
	for (size_t i = 0; i < d->nmoney; i++) {
		if ((c = cells_column_index(res, d->money[i].column)) < 0)
			return no_column(r, d, "money", d->money[i].column);
		if (s->cols[c].kind != K_NUMBER) {
			strbuf_addf(&r->res->err, "%s: money column \"%s\" is not "
			    "numeric", d->file, d->money[i].column);
			return TALLY_EINTERNAL;
		}
		s->cols[c].kind = K_MONEY;
		cc = cells_column_index(res, d->money[i].currency);
		if (cc >= 0)
			s->cols[c].currency_col = cc;
		else if (strlen(d->money[i].currency) == 3 &&
		    strspn(d->money[i].currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3)
			s->cols[c].currency = d->money[i].currency;
		else
			return no_column(r, d, "money's currency",
			    d->money[i].currency);
	}
	for (size_t i = 0; i < d->npercent; i++) {
		if ((c = cells_column_index(res, d->percent[i])) < 0)
			return no_column(r, d, "percent", d->percent[i]);
		if (s->cols[c].kind != K_NUMBER) {
			strbuf_addf(&r->res->err, "%s: percent column \"%s\" is "
			    "not numeric", d->file, d->percent[i]);
			return TALLY_EINTERNAL;
		}
		s->cols[c].kind = K_PERCENT;
	}
	return 0;
}

/* Charts and the heatmap, by column name, onto the XLSX sheet. */
static int
declare_visuals(struct run *r, struct sheet_run *s, const PGresult *res)
{
	const struct report_sql_sheet *d = s->def;
	struct strbuf title = STRBUF_INIT;
	size_t *idx = NULL, n;
	int c, rc = 0;

	for (size_t i = 0; i < d->ncharts && rc == 0; i++) {
		const struct report_sql_chart *ch = &d->charts[i];
		int cat = cells_column_index(res, ch->category);

		if (cat < 0) {
			rc = no_column(r, d, "a chart's category", ch->category);
			break;
		}
		idx = xrealloc(idx, (ch->nvalues + 1) * sizeof(*idx));
		for (n = 0; n < ch->nvalues; n++) {
			if ((c = cells_column_index(res, ch->values[n])) < 0) {
				rc = no_column(r, d, "a chart's values",
				    ch->values[n]);
				break;
			}
			idx[n] = (size_t)c;
		}
		strbuf_reset(&title);
		if (ch->title != NULL)
			strbuf_addstr(&title, ch->title);
		/* a chart over a window says which */
		if (ch->title != NULL && s->window != NULL)
			strbuf_addf(&title, ", %s", s->window);
		if (rc == 0 && s->xs != NULL &&
		    (rc = xlsxout_chart(s->xs, ch->kind, (size_t)cat, idx, n,
		    ch->title != NULL ? title.buf : NULL)) != 0)
			strbuf_addf(&r->res->err, "%s: %s", d->file,
			    xlsxout_errmsg(r->x));
		for (size_t k = 0; rc == 0 && k < ch->ndashed; k++) {
			if ((c = cells_column_index(res, ch->dashed[k])) < 0) {
				rc = no_column(r, d, "a chart's dashed values",
				    ch->dashed[k]);
				break;
			}
			idx[0] = (size_t)c;
			if (s->xs != NULL &&
			    (rc = xlsxout_chart_dashed(s->xs, idx, 1)) != 0)
				strbuf_addf(&r->res->err, "%s: %s", d->file,
				    xlsxout_errmsg(r->x));
		}
	}
	strbuf_release(&title);
	n = 0;
	if (rc == 0 && d->heatmap_numeric) {
		idx = xrealloc(idx, (size_t)s->ncols * sizeof(*idx));
		for (c = 0; c < s->ncols; c++)
			if (s->cols[c].kind == K_NUMBER ||
			    s->cols[c].kind == K_MONEY ||
			    s->cols[c].kind == K_PERCENT)
				idx[n++] = (size_t)c;
	} else if (rc == 0 && d->nheatmap > 0) {
		idx = xrealloc(idx, d->nheatmap * sizeof(*idx));
		for (size_t i = 0; i < d->nheatmap && rc == 0; i++) {
			if ((c = cells_column_index(res, d->heatmap[i])) < 0)
				rc = no_column(r, d, "heatmap", d->heatmap[i]);
			else
				idx[n++] = (size_t)c;
		}
	}
	if (rc == 0 && n > 0 && s->xs != NULL &&
	    (rc = xlsxout_heatmap(s->xs, idx, n)) != 0)
		strbuf_addf(&r->res->err, "%s: %s", d->file, xlsxout_errmsg(r->x));
	free(idx);
	return rc;
}

/* The XLSX headers: the column directive's (or one made from the name),
 * the report zone after a timestamp's. */
static struct xlsxout_column *
xlsx_columns(struct run *r, struct sheet_run *s, const PGresult *res,
    char ***names)
{
	struct xlsxout_column *xc = xcalloc((size_t)s->ncols, sizeof(*xc));
	const struct report_sql_column *doc;
	struct strbuf h = STRBUF_INIT;

	*names = xcalloc((size_t)s->ncols, sizeof(**names));
	for (int c = 0; c < s->ncols; c++) {
		doc = report_sql_column(s->def, PQfname(res, c));
		strbuf_reset(&h);
		if (doc != NULL)
			strbuf_addstr(&h, doc->header);
		else {
			char *made = report_sql_header(PQfname(res, c));

			strbuf_addstr(&h, made);
			free(made);
		}
		if (s->cols[c].zoned)
			strbuf_addf(&h, " (%s)", r->values[3]);
		(*names)[c] = xstrdup(h.buf);
		xc[c].name = (*names)[c];
		xc[c].type = xlsx_type(s->cols[c].kind);
		xc[c].note = doc != NULL ? doc->note : NULL;
	}
	strbuf_release(&h);
	return xc;
}

/* The first result of a sheet: columns known, headers written. */
int
cells_sheet_begin(struct run *r, struct sheet_run *s, const PGresult *res)
{
	struct xlsxout_sheet_opts opts;
	struct xlsxout_column *xc = NULL;
	struct strbuf title = STRBUF_INIT;
	char **names = NULL;
	int rc;

	if (s->def->summary != NULL)
		return summary_begin(r, s, res);
	if ((rc = resolve_columns(r, s, res)) != 0)
		return rc;
	if (s->def->window_days > 0)
		s->window = summary_window_words(r, s->def->window_days);
	if (r->x != NULL) {
		xc = xlsx_columns(r, s, res, &names);
		memset(&opts, 0, sizeof(opts));
		if (s->window != NULL) {
			strbuf_addf(&title, "%s, %s", s->def->name, s->window);
			opts.title = title.buf;
		}
		rc = xlsxout_sheet_add_opts(r->x, &s->xs, s->def->name, xc,
		    (size_t)s->ncols, &opts);
		for (int c = 0; c < s->ncols; c++)
			free(names[c]);
		free(names);
		free(xc);
		strbuf_release(&title);
		if (rc != 0) {
			strbuf_addf(&r->res->err, "%s: %s", s->def->file,
			    xlsxout_errmsg(r->x));
			return rc;
		}
	}
	if ((rc = declare_visuals(r, s, res)) != 0)
		return rc;
	if (s->fp != NULL) {
		for (int c = 0; c < s->ncols; c++)
			csvout_text(&s->csv_w, PQfname(res, c),
			    strlen(PQfname(res, c)));
		csvout_end_row(&s->csv_w);
	}
	progress_start(&s->prog, s->def->name, 0);
	return 0;
}

/* seconds east of UTC from "+01", "-03:30", "+05:45:00"; -1 if none */
static int
parse_offset(const char *p, long *off)
{
	long h, m = 0, sec = 0;
	int sign;

	if (*p != '+' && *p != '-')
		return -1;
	sign = *p == '-' ? -1 : 1;
	if (p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
		return -1;
	h = (p[1] - '0') * 10 + (p[2] - '0');
	p += 3;
	if (*p == ':' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
	    p[2] <= '9') {
		m = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
	}
	if (*p == ':' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
	    p[2] <= '9') {
		sec = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
	}
	if (*p != '\0')
		return -1;
	*off = sign * (h * 3600 + m * 60 + sec);
	return 0;
}

/* The UTC offset in seconds of instant t in the report zone. */
static int
zone_offset(struct run *r, time_t t, long *off)
{
	char buf[PERIOD_ISO_MAX];

	if (period_format_local(t, r->values[3], buf) != 0 || strlen(buf) < 20)
		return -1;
	return parse_offset(buf + 19, off);
}

/*
 * Does the wall-clock time of instant t (offset off in the report zone)
 * occur twice there, as in the hour repeated when summer time ends?  It
 * does when an instant up to two hours away, with its own offset, shows
 * the same wall-clock time.
 */
static bool
wall_ambiguous(struct run *r, time_t t, long off)
{
	static const long deltas[] = { 3600, -3600, 1800, -1800, 7200, -7200 };
	long long key = (long long)(t >= 0 ? t / 900 : (t - 899) / 900) + 1;
	struct amb_memo *m = &r->memo[(unsigned long long)key % AMB_MEMO];
	long off2;

	if (m->key == key)
		return m->ambiguous;
	m->key = key;
	m->ambiguous = false;
	for (size_t i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++)
		if (zone_offset(r, t + deltas[i], &off2) == 0 &&
		    off2 == off - deltas[i]) {
			m->ambiguous = true;
			break;
		}
	return m->ambiguous;
}

/*
 * A timestamptz as PostgreSQL printed it in the report zone
 * ("2026-10-25 02:30:00+02"): its serial, with the offset shown when
 * the wall-clock time alone would not say which instant it was.
 */
static int
zoned_cell(struct run *r, struct sheet_run *s, int c, const char *v)
{
	struct period_date d;
	char offset[48], day[11];
	const char *p;
	double serial;
	long off, h, mi, sec;
	time_t t;

	if (xlsxout_parse_timestamp(v, &serial) != 0)
		return xlsxout_text(s->xs, (size_t)c, v);
	/* parsed above: "YYYY-MM-DD HH:MM:SS[.f][offset]" */
	memcpy(day, v, 10);
	day[10] = '\0';
	p = v + 19;
	while (*p == '.' || (*p >= '0' && *p <= '9'))
		p++;
	if (parse_offset(p, &off) != 0 || period_parse_date(day, &d) != 0)
		return xlsxout_serial(s->xs, (size_t)c, serial);
	h = (v[11] - '0') * 10 + (v[12] - '0');
	mi = (v[14] - '0') * 10 + (v[15] - '0');
	sec = (v[17] - '0') * 10 + (v[18] - '0');
	t = (time_t)(period_days(d) * 86400L + h * 3600 + mi * 60 + sec - off);
	if (!wall_ambiguous(r, t, off))
		return xlsxout_serial(s->xs, (size_t)c, serial);
	snprintf(offset, sizeof(offset), "%c%02ld:%02ld", off < 0 ? '-' : '+',
	    labs(off) / 3600, (labs(off) % 3600) / 60);
	return xlsxout_serial_offset(s->xs, (size_t)c, serial, offset);
}

/* The cellnote of a column: the note column's text, when there is one. */
static int
xlsx_note(struct sheet_run *s, const PGresult *res, int c)
{
	int n = s->cols[c].note_col;

	if (n < 0 || PQgetisnull(res, 0, n) || PQgetvalue(res, 0, n)[0] == '\0')
		return 0;
	return xlsxout_note(s->xs, (size_t)c, PQgetvalue(res, 0, n));
}

/* An XLSX cell from PostgreSQL's text for it. */
static int
xlsx_cell(struct run *r, struct sheet_run *s, const PGresult *res, int c,
    const char *v)
{
	const struct col *col = &s->cols[c];
	const char *cur;
	double d;
	char *end;

	switch (col->kind) {
	case K_TEXT:
		return xlsxout_text(s->xs, (size_t)c, v);
	case K_NUMBER:
	case K_PERCENT:
	case K_MONEY:
		d = strtod(v, &end);
		/* NaN and infinities have no Excel number: show the text */
		if (*end != '\0' || !isfinite(d))
			return xlsxout_text(s->xs, (size_t)c, v);
		if (col->kind != K_MONEY)
			return xlsxout_number(s->xs, (size_t)c, d);
		cur = col->currency;
		if (col->currency_col >= 0)
			cur = PQgetisnull(res, 0, col->currency_col) ? NULL :
			    PQgetvalue(res, 0, col->currency_col);
		return xlsxout_money(s->xs, (size_t)c, d, cur);
	case K_BOOL:
		return xlsxout_bool(s->xs, (size_t)c, v[0] == 't');
	case K_DATE:
		if (xlsxout_parse_date(v, &d) != 0)
			return xlsxout_text(s->xs, (size_t)c, v);
		return xlsxout_serial(s->xs, (size_t)c, d);
	case K_TIMESTAMP:
		if (col->zoned)
			return zoned_cell(r, s, c, v);
		if (xlsxout_parse_timestamp(v, &d) != 0)
			return xlsxout_text(s->xs, (size_t)c, v);
		return xlsxout_serial(s->xs, (size_t)c, d);
	}
	return TALLY_EINTERNAL;
}

void
cells_sheet_release(struct sheet_run *s)
{
	free(s->cols);
	free(s->totals);
	free(s->window);
	summary_lines_free(s);
}

/* A total row: one of the total directives' columns holds its value. */
static bool
total_row(const struct sheet_run *s, const PGresult *res)
{
	for (size_t i = 0; i < s->ntotals; i++) {
		int c = s->totals[i];

		if (!PQgetisnull(res, 0, c) &&
		    strcmp(PQgetvalue(res, 0, c), s->def->totals[i].value) == 0)
			return true;
	}
	return false;
}

int
cells_sheet_row(struct run *r, struct sheet_run *s, const PGresult *res)
{
	int rc;

	if (s->def->summary != NULL)
		return summary_row(r, s, res);
	if (s->xs != NULL && s->ntotals > 0 && total_row(s, res) &&
	    (rc = xlsxout_row_total(s->xs)) != 0) {
		strbuf_addf(&r->res->err, "%s: %s", s->def->file,
		    xlsxout_errmsg(r->x));
		return rc;
	}
	for (int c = 0; c < s->ncols; c++) {
		const char *v;
		size_t len;

		if (PQgetisnull(res, 0, c)) {
			if (s->fp != NULL)
				csvout_null(&s->csv_w);
			/* an empty cell may still say why it is empty */
			if (s->xs != NULL && (rc = xlsx_note(s, res, c)) != 0) {
				strbuf_addf(&r->res->err, "%s, row %llu: %s",
				    s->def->file, s->out->rows + 1,
				    xlsxout_errmsg(r->x));
				return rc;
			}
			continue;
		}
		v = PQgetvalue(res, 0, c);
		len = (size_t)PQgetlength(res, 0, c);
		if (s->fp != NULL) {
			if (s->cols[c].kind == K_TEXT)
				csvout_text(&s->csv_w, v, len);
			else if (s->cols[c].kind == K_BOOL)
				csvout_plain(&s->csv_w, v[0] == 't' ? "true" :
				    "false", v[0] == 't' ? 4 : 5);
			else
				csvout_plain(&s->csv_w, v, len);
		}
		if (s->xs != NULL && ((rc = xlsx_cell(r, s, res, c, v)) != 0 ||
		    (rc = xlsx_note(s, res, c)) != 0)) {
			strbuf_addf(&r->res->err, "%s, row %llu: %s",
			    s->def->file, s->out->rows + 1, xlsxout_errmsg(r->x));
			return rc;
		}
	}
	if (s->xs != NULL && (rc = xlsxout_end_row(s->xs)) != 0) {
		strbuf_addf(&r->res->err, "%s: %s", s->def->file,
		    xlsxout_errmsg(r->x));
		return rc;
	}
	if (s->fp != NULL && csvout_end_row(&s->csv_w) != 0) {
		strbuf_addf(&r->res->err, "writing %s: %s", s->csv->tmp,
		    strerror(errno));
		return TALLY_EIO;
	}
	s->out->rows++;
	if (s->out->rows % PROGRESS_EVERY == 0)
		progress_update(&s->prog, s->out->rows);
	return 0;
}
