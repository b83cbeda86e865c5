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

static int
column_index(const PGresult *res, const char *name)
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
		s->cols[c].currency_col = -1;
	}
	for (size_t i = 0; i < d->nmoney; i++) {
		if ((c = column_index(res, d->money[i].column)) < 0)
			return no_column(r, d, "money", d->money[i].column);
		if (s->cols[c].kind != K_NUMBER) {
			strbuf_addf(&r->res->err, "%s: money column \"%s\" is not "
			    "numeric", d->file, d->money[i].column);
			return TALLY_EINTERNAL;
		}
		s->cols[c].kind = K_MONEY;
		cc = column_index(res, d->money[i].currency);
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
		if ((c = column_index(res, d->percent[i])) < 0)
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
	size_t *idx = NULL, n;
	int c, rc = 0;

	for (size_t i = 0; i < d->ncharts && rc == 0; i++) {
		const struct report_sql_chart *ch = &d->charts[i];
		int cat = column_index(res, ch->category);

		if (cat < 0) {
			rc = no_column(r, d, "a chart's category", ch->category);
			break;
		}
		idx = xrealloc(idx, ch->nvalues * sizeof(*idx));
		for (n = 0; n < ch->nvalues; n++) {
			if ((c = column_index(res, ch->values[n])) < 0) {
				rc = no_column(r, d, "a chart's values",
				    ch->values[n]);
				break;
			}
			idx[n] = (size_t)c;
		}
		if (rc == 0 && s->xs != NULL &&
		    (rc = xlsxout_chart(s->xs, ch->kind, (size_t)cat, idx, n,
		    ch->title)) != 0)
			strbuf_addf(&r->res->err, "%s: %s", d->file,
			    xlsxout_errmsg(r->x));
	}
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
			if ((c = column_index(res, d->heatmap[i])) < 0)
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

/* The first result of a sheet: columns known, headers written. */
int
cells_sheet_begin(struct run *r, struct sheet_run *s, const PGresult *res)
{
	struct xlsxout_column *xc = NULL;
	int rc;

	if ((rc = resolve_columns(r, s, res)) != 0)
		return rc;
	if (r->x != NULL) {
		xc = xcalloc((size_t)s->ncols, sizeof(*xc));
		for (int c = 0; c < s->ncols; c++) {
			xc[c].name = PQfname(res, c);
			xc[c].type = xlsx_type(s->cols[c].kind);
		}
		rc = xlsxout_sheet_add(r->x, &s->xs, s->def->name, xc,
		    (size_t)s->ncols);
		free(xc);
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

/* An XLSX cell from PostgreSQL's text for it. */
static int
xlsx_cell(struct sheet_run *s, const PGresult *res, int c, const char *v)
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
		if (xlsxout_parse_timestamp(v, &d) != 0)
			return xlsxout_text(s->xs, (size_t)c, v);
		return xlsxout_serial(s->xs, (size_t)c, d);
	}
	return TALLY_EINTERNAL;
}

int
cells_sheet_row(struct run *r, struct sheet_run *s, const PGresult *res)
{
	int rc;

	for (int c = 0; c < s->ncols; c++) {
		const char *v;
		size_t len;

		if (PQgetisnull(res, 0, c)) {
			if (s->fp != NULL)
				csvout_null(&s->csv_w);
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
		if (s->xs != NULL && (rc = xlsx_cell(s, res, c, v)) != 0) {
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
