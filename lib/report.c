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

#include "csvout.h"
#include "db.h"
#include "embedded.h"
#include "err.h"
#include "log.h"
#include "period.h"
#include "report.h"
#include "report_sql.h"
#include "strbuf.h"
#include "version.h"
#include "xlsxout.h"

/* PostgreSQL type oids (catalog/pg_type.h is server-side only). */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25
#define OID_OID 26
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_DATE 1082
#define OID_TIMESTAMP 1114
#define OID_TIMESTAMPTZ 1184
#define OID_NUMERIC 1700
#define OID_JSONB 3802

#define NFIXED 5		/* $1..$5 */
#define CSV_BUFFER (1 << 20)
#define PROGRESS_EVERY 8192

enum col_kind {
	K_TEXT,
	K_NUMBER,
	K_BOOL,
	K_DATE,
	K_TIMESTAMP,
	K_MONEY,
	K_PERCENT
};

struct col {
	enum col_kind kind;
	int currency_col;	/* money: the column naming the currency, or -1 */
	const char *currency;	/* money: a fixed code, or NULL */
};

/* A file being written: its temporary and final paths. */
struct out_file {
	char *tmp;
	char *final;
	char *name;		/* final's file name, for results */
};

struct run {
	struct db *db;
	const char *report;
	const struct report_opts *o;
	struct report_result *res;
	const char *dir;
	unsigned formats;
	struct report_sql_sheet *defs;
	size_t ndefs;
	const char **values;	/* query parameters */
	Oid *types;
	int nparams;
	char start[PERIOD_ISO_MAX], end[PERIOD_ISO_MAX], as_of[PERIOD_ISO_MAX];
	struct xlsxout *x;
	struct out_file *files;	/* xlsx first (if any), then the CSVs */
	size_t nfiles;
};

/* What one sheet needs while its rows stream by. */
struct sheet_run {
	const struct report_sql_sheet *def;
	struct report_sheet_result *out;
	struct col *cols;
	int ncols;
	struct xlsxout_sheet *xs;
	FILE *fp;
	struct out_file *csv;
	struct csvout csv_w;
	struct progress prog;
};

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

char *
report_settings_json(const struct config *cfg)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "inactive_model_days",
	    json_integer(cfg->inactive_model_days));
	json_object_set_new(o, "fulfil_sla_minutes",
	    json_integer(cfg->fulfil_sla_minutes));
	json_object_set_new(o, "ending_soon_days",
	    json_integer(cfg->ending_soon_days));
	json_object_set_new(o, "alert_seat_threshold",
	    json_integer(cfg->alert_seat_threshold));
	json_object_set_new(o, "alert_suspensions",
	    json_integer(cfg->alert_suspensions));
	json_object_set_new(o, "amount_tolerance",
	    json_integer(cfg->amount_tolerance));
	json_object_set_new(o, "settlement_grace_days",
	    json_integer(cfg->settlement_grace_days));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		abort();	/* jansson fails only when out of memory */
	return s;
}

/* Collect the report's sheets and parse their headers. */
static int
load_sheets(struct run *r)
{
	struct strbuf prefix = STRBUF_INIT;
	int rc = 0;

	if (r->o->sources != NULL) {
		r->defs = xcalloc(r->o->nsources, sizeof(*r->defs));
		for (size_t i = 0; i < r->o->nsources && rc == 0; i++) {
			rc = report_sql_parse(&r->defs[i], r->o->sources[i].name,
			    r->o->sources[i].sql, &r->res->err);
			r->ndefs = i + 1;
		}
	} else {
		strbuf_addf(&prefix, "reports/%s/", r->report);
		for (const struct embedded_file *f = embedded_files;
		    f->name != NULL && rc == 0; f++) {
			size_t n = strlen(f->name);

			if (strncmp(f->name, prefix.buf, prefix.len) != 0 ||
			    strchr(f->name + prefix.len, '/') != NULL || n < 5 ||
			    strcmp(f->name + n - 4, ".sql") != 0)
				continue;
			r->defs = xrealloc(r->defs, (r->ndefs + 1) *
			    sizeof(*r->defs));
			rc = report_sql_parse(&r->defs[r->ndefs], f->name, f->data,
			    &r->res->err);
			r->ndefs++;
		}
	}
	strbuf_release(&prefix);
	if (rc != 0)
		return rc;
	if (r->ndefs == 0) {
		strbuf_addf(&r->res->err, "no report named \"%s\"", r->report);
		return TALLY_ENOTFOUND;
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

static int
mkdir_p(const char *dir)
{
	char *p = xstrdup(dir);
	struct stat st;
	int rc = 0;

	for (char *s = p + 1; rc == 0; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, 0750) != 0 && errno != EEXIST)
			rc = -1;
		*s = c;
		if (c == '\0')
			break;
	}
	if (rc == 0 && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
		rc = -1;
	free(p);
	return rc;
}

/* A hidden temporary file beside final name; the fd is the caller's. */
static int
temp_file(struct run *r, const char *name, int *fd)
{
	struct out_file *f;
	struct strbuf tmp = STRBUF_INIT, fin = STRBUF_INIT;

	strbuf_addf(&fin, "%s/%s", r->dir, name);
	strbuf_addf(&tmp, "%s/.%s.XXXXXX", r->dir, name);
	*fd = mkstemp(tmp.buf);
	if (*fd < 0 || fchmod(*fd, 0640) != 0) {
		strbuf_addf(&r->res->err, "cannot create %s: %s", tmp.buf,
		    strerror(errno));
		if (*fd >= 0) {
			close(*fd);
			unlink(tmp.buf);
		}
		strbuf_release(&tmp);
		strbuf_release(&fin);
		return TALLY_EIO;
	}
	r->files = xrealloc(r->files, (r->nfiles + 1) * sizeof(*r->files));
	f = &r->files[r->nfiles++];
	f->tmp = strbuf_detach(&tmp, NULL);
	f->final = strbuf_detach(&fin, NULL);
	f->name = xstrdup(name);
	return 0;
}

static void
discard_files(struct run *r)
{
	for (size_t i = 0; i < r->nfiles; i++) {
		if (r->files[i].tmp != NULL)
			unlink(r->files[i].tmp);
		free(r->files[i].tmp);
		free(r->files[i].final);
		free(r->files[i].name);
	}
	free(r->files);
	r->files = NULL;
	r->nfiles = 0;
}

/* fsync a finished file and hash it (sha256, hex) with its size. */
static int
seal_file(struct run *r, const char *path, struct report_file *rf)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = NULL;
	ssize_t n;
	int fd, rc = TALLY_EIO;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		goto done;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto done;
	rf->bytes = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			goto done;
		rf->bytes += (unsigned long long)n;
	}
	if (n < 0 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		goto done;
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(rf->sha256 + 2 * i, 3, "%02x", md[i]);
	rc = 0;
done:
	if (rc != 0)
		strbuf_addf(&r->res->err, "cannot sync or read back %s: %s", path,
		    strerror(errno));
	EVP_MD_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return rc;
}

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
static int
sheet_begin(struct run *r, struct sheet_run *s, const PGresult *res)
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

static int
sheet_row(struct run *r, struct sheet_run *s, const PGresult *res)
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

static int
open_csv(struct run *r, struct sheet_run *s)
{
	struct strbuf name = STRBUF_INIT;
	int fd, rc;

	strbuf_addf(&name, "%s-%s-%s.csv", r->report, r->o->period->label,
	    s->def->slug);
	rc = temp_file(r, name.buf, &fd);
	strbuf_release(&name);
	if (rc != 0)
		return rc;
	s->csv = &r->files[r->nfiles - 1];
	s->fp = fdopen(fd, "w");
	if (s->fp == NULL) {
		close(fd);
		strbuf_addf(&r->res->err, "fdopen: %s", strerror(errno));
		return TALLY_EIO;
	}
	setvbuf(s->fp, NULL, _IOFBF, CSV_BUFFER);
	csvout_init(&s->csv_w, s->fp);
	s->out->csv = xstrdup(s->csv->name);
	return 0;
}

static int
close_csv(struct run *r, struct sheet_run *s, bool ok)
{
	int rc = 0;

	if (s->fp == NULL)
		return 0;
	if (ok && (csvout_finish(&s->csv_w) != 0 || fsync(fileno(s->fp)) != 0)) {
		strbuf_addf(&r->res->err, "writing %s: %s", s->csv->tmp,
		    strerror(errno));
		rc = TALLY_EIO;
	}
	if (fclose(s->fp) != 0 && ok && rc == 0) {
		strbuf_addf(&r->res->err, "closing %s: %s", s->csv->tmp,
		    strerror(errno));
		rc = TALLY_EIO;
	}
	s->fp = NULL;
	return rc;
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
	if ((r->formats & REPORT_CSV) && !r->o->dry_run &&
	    (rc = open_csv(r, &s)) != 0)
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
					rc = sheet_begin(r, &s, res);
				}
				/* a dry run only counts */
				if (rc == 0 && st == PGRES_SINGLE_TUPLE) {
					if (r->o->dry_run)
						s.out->rows++;
					else
						rc = sheet_row(r, &s, res);
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
done:
	if (begun) {
		s.prog.done = s.out->rows;
		progress_done(&s.prog);
	}
	rc2 = close_csv(r, &s, rc == 0);
	if (rc == 0)
		rc = rc2;
	free(s.cols);
	return rc;
}

static json_t *
period_json(const struct run *r)
{
	static const char *const kinds[] = {
		[PERIOD_DAY] = "day", [PERIOD_WEEK] = "week",
		[PERIOD_MONTH] = "month", [PERIOD_RANGE] = "range",
		[PERIOD_WINDOW] = "window",
	};
	const struct period *p = r->o->period;
	char first[16], last[16];
	json_t *o = json_object();

	snprintf(first, sizeof(first), "%04d-%02d-%02d", p->first.year % 10000,
	    p->first.month % 100, p->first.day % 100);
	snprintf(last, sizeof(last), "%04d-%02d-%02d", p->last.year % 10000,
	    p->last.month % 100, p->last.day % 100);
	json_object_set_new(o, "label", json_string(p->label));
	json_object_set_new(o, "kind", json_string(kinds[p->kind]));
	json_object_set_new(o, "start", json_string(r->start));
	json_object_set_new(o, "end", json_string(r->end));
	json_object_set_new(o, "first_day", json_string(first));
	json_object_set_new(o, "last_day", json_string(last));
	return o;
}

static json_t *
rows_json(const struct report_result *res)
{
	json_t *o = json_object();

	for (size_t i = 0; i < res->nsheets; i++)
		if (res->sheets[i].name != NULL)
			json_object_set_new(o, res->sheets[i].name,
			    json_integer((json_int_t)res->sheets[i].rows));
	return o;
}

/* The manifest, written like the others and renamed last. */
static int
write_manifest(struct run *r)
{
	json_t *m = json_object(), *sheets = json_array(), *files = json_array();
	struct strbuf name = STRBUF_INIT;
	char *text = NULL;
	int fd = -1, rc;
	size_t len;

	json_object_set_new(m, "report", json_string(r->report));
	json_object_set_new(m, "period", period_json(r));
	json_object_set_new(m, "as_of", json_string(r->as_of));
	json_object_set_new(m, "tz", json_string(r->values[3]));
	for (size_t i = 0; i < r->res->nsheets; i++) {
		json_t *s = json_object();

		json_object_set_new(s, "name", json_string(r->res->sheets[i].name));
		json_object_set_new(s, "rows",
		    json_integer((json_int_t)r->res->sheets[i].rows));
		json_object_set_new(s, "csv", r->res->sheets[i].csv != NULL ?
		    json_string(r->res->sheets[i].csv) : json_null());
		json_array_append_new(sheets, s);
	}
	json_object_set_new(m, "sheets", sheets);
	for (size_t i = 0; i < r->res->nfiles; i++) {
		json_t *f = json_object();

		json_object_set_new(f, "name", json_string(r->res->files[i].name));
		json_object_set_new(f, "bytes",
		    json_integer((json_int_t)r->res->files[i].bytes));
		json_object_set_new(f, "sha256",
		    json_string(r->res->files[i].sha256));
		json_array_append_new(files, f);
	}
	json_object_set_new(m, "files", files);
	json_object_set_new(m, "tally_version", json_string(TALLY_VERSION));
	text = json_dumps(m, JSON_INDENT(2));
	json_decref(m);
	if (text == NULL)
		abort();	/* jansson fails only when out of memory */
	strbuf_addf(&name, "%s-%s.manifest.json", r->report,
	    r->o->period->label);
	rc = temp_file(r, name.buf, &fd);
	strbuf_release(&name);
	if (rc == 0) {
		len = strlen(text);
		text[len] = '\n';	/* replaces the NUL: written by length */
		if (write(fd, text, len + 1) != (ssize_t)(len + 1) ||
		    fsync(fd) != 0) {
			strbuf_addf(&r->res->err, "writing %s: %s",
			    r->files[r->nfiles - 1].tmp, strerror(errno));
			rc = TALLY_EIO;
		}
		close(fd);
	}
	free(text);
	return rc;
}

/* Every file complete: rename them over their final names, manifest last. */
static int
publish(struct run *r)
{
	int dfd;

	for (size_t i = 0; i < r->nfiles; i++) {
		if (rename(r->files[i].tmp, r->files[i].final) != 0) {
			strbuf_addf(&r->res->err, "renaming %s to %s: %s",
			    r->files[i].tmp, r->files[i].final, strerror(errno));
			return TALLY_EIO;
		}
		free(r->files[i].tmp);
		r->files[i].tmp = NULL;
	}
	/* the renames themselves are durable once the directory is synced */
	dfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		strbuf_addf(&r->res->err, "syncing %s: %s", r->dir,
		    strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return TALLY_EIO;
	}
	close(dfd);
	return 0;
}

static int
job_start(struct run *r)
{
	char host[256] = "", pid[16];
	char *id = NULL;
	const char *params[4];
	int rc;

	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	params[0] = r->o->program;
	params[1] = r->as_of;
	params[2] = host;
	params[3] = pid;
	rc = db_query_value(r->db, &id,
	    "insert into job_runs (program, as_of, status, host, pid) "
	    "values ($1, $2::timestamptz, 'RUNNING', $3, $4::integer) "
	    "returning id", 4, params);
	if (rc != 0) {
		strbuf_addf(&r->res->err, "cannot record the run in job_runs: %s",
		    db_errmsg(r->db));
		free(id);
		return rc;
	}
	r->res->job_id = id != NULL ? strtoll(id, NULL, 10) : 0;
	free(id);
	return 0;
}

/* Close the job_runs row: OK, or FAILED with the message. */
static void
job_finish(struct run *r, int rc)
{
	json_t *counts, *outputs;
	char id[32], *c, *o;
	const char *params[5];

	if (r->res->job_id == 0)
		return;
	counts = json_object();
	outputs = json_array();
	json_object_set_new(counts, "period", json_string(r->o->period->label));
	json_object_set_new(counts, "rows", rows_json(r->res));
	for (size_t i = 0; i < r->res->nfiles; i++) {
		json_t *f = json_object();
		struct strbuf p = STRBUF_INIT;

		strbuf_addf(&p, "%s/%s", r->dir, r->res->files[i].name);
		json_object_set_new(f, "file", json_string(p.buf));
		json_object_set_new(f, "sha256",
		    json_string(r->res->files[i].sha256));
		json_array_append_new(outputs, f);
		strbuf_release(&p);
	}
	if (r->res->manifest != NULL) {
		json_t *f = json_object();
		struct strbuf p = STRBUF_INIT;

		strbuf_addf(&p, "%s/%s", r->dir, r->res->manifest);
		json_object_set_new(f, "file", json_string(p.buf));
		json_array_append_new(outputs, f);
		strbuf_release(&p);
	}
	c = json_dumps(counts, JSON_COMPACT);
	o = json_dumps(outputs, JSON_COMPACT);
	json_decref(counts);
	json_decref(outputs);
	if (c == NULL || o == NULL)
		abort();
	snprintf(id, sizeof(id), "%lld", r->res->job_id);
	params[0] = id;
	params[1] = rc == 0 ? "OK" : "FAILED";
	params[2] = c;
	params[3] = o;
	params[4] = rc == 0 ? NULL : strbuf_str(&r->res->err);
	/* a run that failed because the server went away still gets its
	 * row closed if the server is back */
	if (!db_ok(r->db))
		(void)db_reconnect(r->db);
	if (db_command(r->db, NULL, "update job_runs set finished_at = "
	    "clock_timestamp(), status = $2, counts = $3::jsonb, "
	    "outputs = $4::jsonb, message = $5 where id = $1::bigint", 5,
	    params) != 0)
		log_warning("cannot close job_runs row %s: %s", id,
		    db_errmsg(r->db));
	free(c);
	free(o);
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
	period_format_utc(o->period->start, r->start);
	period_format_utc(o->period->end, r->end);
	period_format_utc(o->as_of, r->as_of);
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

static int
open_xlsx(struct run *r)
{
	struct strbuf name = STRBUF_INIT;
	int fd, rc;

	strbuf_addf(&name, "%s-%s.xlsx", r->report, r->o->period->label);
	rc = temp_file(r, name.buf, &fd);
	strbuf_release(&name);
	if (rc != 0)
		return rc;
	/* libxlsxwriter opens the path itself when the workbook closes */
	close(fd);
	rc = xlsxout_open(&r->x, r->files[r->nfiles - 1].tmp, r->dir,
	    r->o->as_of);
	if (rc != 0) {
		strbuf_addf(&r->res->err, "cannot start the workbook %s",
		    r->files[r->nfiles - 1].tmp);
		return rc;
	}
	if (r->o->sheet_rows > 0)
		xlsxout_set_sheet_rows(r->x, r->o->sheet_rows);
	return 0;
}

/* After the queries: close the workbook, seal every file, publish. */
static int
finish_outputs(struct run *r)
{
	int rc;

	if (r->x != NULL) {
		unsigned long long cut = xlsxout_truncated(r->x);

		rc = xlsxout_close(r->x);
		r->x = NULL;
		if (rc != 0) {
			strbuf_addf(&r->res->err, "cannot write %s",
			    r->files[0].tmp);
			return rc;
		}
		if (cut > 0)
			log_warning("report %s: %llu text cells were cut to "
			    "Excel's 32767 characters (the CSV has them whole)",
			    r->report, cut);
	}
	r->res->files = xcalloc(r->nfiles, sizeof(*r->res->files));
	for (size_t i = 0; i < r->nfiles; i++) {
		r->res->files[i].name = xstrdup(r->files[i].name);
		r->res->nfiles = i + 1;
		if ((rc = seal_file(r, r->files[i].tmp, &r->res->files[i])) != 0)
			return rc;
	}
	if ((rc = write_manifest(r)) != 0)
		return rc;
	if ((rc = publish(r)) != 0)
		return rc;
	r->res->manifest = xstrdup(r->files[r->nfiles - 1].name);
	return 0;
}

int
report_run(struct db *db, const char *report, const struct report_opts *opts,
    struct report_result *res)
{
	struct run r;
	bool in_txn = false;
	int rc;

	memset(&r, 0, sizeof(r));
	r.db = db;
	r.report = report;
	r.o = opts;
	r.res = res;
	r.formats = opts->formats != 0 ? opts->formats : REPORT_XLSX | REPORT_CSV;
	r.dir = opts->out_dir != NULL && opts->out_dir[0] != '\0' ?
	    opts->out_dir : REPORT_DEFAULT_DIR;
	res->out_dir = xstrdup(r.dir);

	if (!report_name_ok(report) || opts->period == NULL) {
		strbuf_addf(&res->err, "bad report name or no period");
		return TALLY_EUSAGE;
	}
	if ((rc = set_params(&r)) != 0 || (rc = load_sheets(&r)) != 0)
		goto done;
	res->sheets = xcalloc(r.ndefs, sizeof(*res->sheets));
	res->nsheets = r.ndefs;
	if (opts->program != NULL && !opts->dry_run &&
	    (rc = job_start(&r)) != 0)
		goto done;
	if (!opts->dry_run) {
		if (mkdir_p(r.dir) != 0) {
			strbuf_addf(&res->err, "cannot create the output "
			    "directory %s: %s", r.dir, strerror(errno));
			rc = TALLY_EIO;
			goto done;
		}
		if ((r.formats & REPORT_XLSX) && (rc = open_xlsx(&r)) != 0)
			goto done;
	}
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
		rc = finish_outputs(&r);
done:
	if (in_txn)
		db_rollback(db);
	if (r.x != NULL)
		xlsxout_abandon(r.x);
	discard_files(&r);
	job_finish(&r, rc);
	for (size_t i = 0; i < r.ndefs; i++)
		report_sql_release(&r.defs[i]);
	free(r.defs);
	free(r.values);
	free(r.types);
	return rc;
}
