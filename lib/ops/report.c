/*
 * report.c - the report files the report programs wrote: listed from
 * job_runs, and one opened for download (ops/report.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/config.h"
#include "base/err.h"
#include "base/fsutil.h"
#include "ops/report.h"

#define NAME_MAX_LEN 200

/*
 * Every file of a finished run with its sha256, newest run first for
 * each path; $1 a program or NULL.  The columns an item shows, then the
 * path.
 */
#define REPORT_FILES \
	" FROM (SELECT DISTINCT ON (f->>'file')" \
	"        regexp_replace(f->>'file', '^.*/', '') AS file, j.program," \
	"        j.counts->>'period' AS period, j.id AS run_id, j.finished_at," \
	"        f->>'sha256' AS sha256, f->>'file' AS path" \
	"       FROM job_runs j" \
	"       CROSS JOIN LATERAL jsonb_array_elements(j.outputs) f" \
	"       WHERE j.status IN ('OK', 'PROBLEMS')" \
	"         AND jsonb_typeof(f) = 'object' AND f ? 'file' AND f ? 'sha256'" \
	"         AND ($1::text IS NULL OR j.program = $1)" \
	"       ORDER BY f->>'file', j.finished_at DESC, j.id DESC) r"
#define REPORT_COLS "r.file, r.program, r.period, r.run_id, r.finished_at," \
	" r.sha256"
#define REPORT_NCOLS 6

int
ops_report_list(struct ops *o, const struct ops_report_list_req *req,
    json_t **out)
{
	static const struct ops_list_sql q = {
		"listing report files",
		"SELECT count(*)" REPORT_FILES,
		"SELECT " REPORT_COLS REPORT_FILES
		" ORDER BY r.finished_at DESC, r.run_id DESC, r.file"
		OPS_LIMIT_OFFSET(2, 3), 1
	};
	const char *params[1] = { req->program };

	*out = NULL;
	ops_reset(o);
	return ops_list(o, &q, &req->page, params, out);
}

/* A plain file name: nothing that could name another directory. */
static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN || s[0] == '.' || strstr(s, "..") != NULL)
		return false;
	return ops_is_word(s);
}

static int
find_fn(struct ops *o, void *p, json_t **out)
{
	const char *name = p;
	const char *params[2] = { NULL, name };
	PGresult *res = NULL;
	int rc;

	rc = db_query(o->db, &res, "SELECT " REPORT_COLS ", r.path"
	    REPORT_FILES " WHERE r.file = $2"
	    " ORDER BY r.finished_at DESC, r.run_id DESC LIMIT 1", 2, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "finding the report file");
	if (PQntuples(res) == 0)
		rc = ops_fail(o, TALLY_ENOTFOUND, "file", "no report file '%s'",
		    name);
	else
		*out = ops_item_json(res, 0, 0);
	PQclear(res);
	return rc;
}

static const char *
content_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return "application/octet-stream";
	if (strcmp(dot, ".xlsx") == 0)
		return "application/vnd.openxmlformats-officedocument."
		    "spreadsheetml.sheet";
	if (strcmp(dot, ".csv") == 0)
		return "text/csv; charset=utf-8";
	if (strcmp(dot, ".json") == 0)
		return "application/json";
	if (strcmp(dot, ".pdf") == 0)
		return "application/pdf";
	return "application/octet-stream";
}

/* Open path if it lies inside dir (both with links resolved). */
static int
open_inside(struct ops *o, const char *path, const char *dir, int *fd)
{
	char rdir[PATH_MAX], rpath[PATH_MAX];
	struct stat st;
	size_t n;

	if (realpath(dir, rdir) == NULL)
		return ops_fail(o, TALLY_ENOTFOUND, "file", "the report directory "
		    "%s: %s", dir, strerror(errno));
	if (realpath(path, rpath) == NULL)
		return ops_fail(o, TALLY_ENOTFOUND, "file", "the report file is "
		    "gone: %s", strerror(errno));
	n = strlen(rdir);
	if (strncmp(rpath, rdir, n) != 0 || (rpath[n] != '/' && n > 1))
		return ops_fail(o, TALLY_ENOTFOUND, "file", "the recorded file is "
		    "not in the report directory (report_dir)");
	*fd = open(rpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (*fd < 0)
		return ops_fail(o, TALLY_ENOTFOUND, "file", "cannot open the "
		    "report file: %s", strerror(errno));
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(*fd);
		*fd = -1;
		return ops_fail(o, TALLY_ENOTFOUND, "file", "the report file is "
		    "not a regular file");
	}
	return 0;
}

int
ops_report_open(struct ops *o, const char *name, int *fd, json_t **out)
{
	const char *dir = o->cfg != NULL && o->cfg->report_dir != NULL ?
	    o->cfg->report_dir : "reports-out";
	unsigned long long bytes = 0;
	const char *want;
	char hex[65];
	int rc;

	*out = NULL;
	*fd = -1;
	ops_reset(o);
	if (name == NULL || !name_ok(name))
		return ops_fail(o, TALLY_EUSAGE, "file", "file must be a report "
		    "file's name: letters, digits, '.', '_' or '-', no '..'");
	if ((rc = ops_look(o, find_fn, (void *)name, out)) != 0)
		return rc;
	rc = open_inside(o, json_string_value(json_object_get(json_object_get(
	    *out, "item"), "path")), dir, fd);
	if (rc != 0)
		goto fail;
	want = json_string_value(json_object_get(json_object_get(*out, "item"),
	    "sha256"));
	if (fsutil_sha256_fd(*fd, hex, &bytes) != 0 ||
	    lseek(*fd, 0, SEEK_SET) != 0) {
		rc = ops_fail(o, TALLY_EIO, "file", "reading the report file: %s",
		    strerror(errno));
		goto fail;
	}
	if (want == NULL || strcmp(hex, want) != 0) {
		rc = ops_fail(o, TALLY_EREFUSED, "file", "the report file was "
		    "changed after the report wrote it (its sha256 is not the "
		    "recorded one)");
		goto fail;
	}
	json_object_del(json_object_get(*out, "item"), "path");
	json_object_set_new(json_object_get(*out, "item"), "bytes",
	    json_integer((json_int_t)bytes));
	json_object_set_new(*out, "content_type",
	    json_string(content_type(name)));
	return 0;
fail:
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	json_decref(*out);
	*out = NULL;
	return rc;
}
