/*
 * files.c - a report's files: written under hidden temporary names,
 * fsynced and hashed, the manifest last, then renamed into place.
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

#include "out/csvout.h"
#include "pg/db.h"
#include "pg/embedded.h"
#include "base/err.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/period.h"
#include "report/engine.h"
#include "report/run.h"
#include "report/sql.h"
#include "base/strbuf.h"
#include "base/version.h"
#include "out/xlsxout.h"


/* A hidden temporary file beside final name; the fd is the caller's. */
int
files_temp(struct run *r, const char *name, int *fd)
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

void
files_discard(struct run *r)
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
	if (fsutil_sha256_file(path, true, rf->sha256, &rf->bytes) == 0)
		return 0;
	strbuf_addf(&r->res->err, "cannot sync or read back %s: %s", path,
	    strerror(errno));
	return TALLY_EIO;
}

int
files_open_csv(struct run *r, struct sheet_run *s)
{
	struct strbuf name = STRBUF_INIT;
	int fd, rc;

	strbuf_addf(&name, "%s-%s-%s.csv", r->report, r->o->period->label,
	    s->def->slug);
	rc = files_temp(r, name.buf, &fd);
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

int
files_close_csv(struct run *r, struct sheet_run *s, bool ok)
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

json_t *
report_rows_json(const struct report_result *res)
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
	/* a period not over at the as-of instant: its figures will change */
	json_object_set_new(m, "partial", json_boolean(r->partial));
	json_object_set_new(m, "title", json_string(r->title));
	json_object_set_new(m, "period_words", json_string(r->period_words));
	json_object_set_new(m, "actions", r->actions != NULL ?
	    json_incref(r->actions) : json_array());
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
	rc = files_temp(r, name.buf, &fd);
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

int
files_open_xlsx(struct run *r)
{
	struct strbuf name = STRBUF_INIT;
	int fd, rc;

	strbuf_addf(&name, "%s-%s.xlsx", r->report, r->o->period->label);
	rc = files_temp(r, name.buf, &fd);
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
int
files_finish(struct run *r)
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
