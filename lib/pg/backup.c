/*
 * backup.c - pg_dump of the database with a manifest and retention, and
 * pg_restore into an empty database (see pg/backup.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/err.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "pg/audit.h"
#include "pg/backup.h"
#include "pg/db.h"
#include "pg/embedded.h"
#include "pg/pgchild.h"
#include "pg/pgembed.h"

static int
digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

bool
backup_file_time(const char *name, time_t *t)
{
	struct tm tm, back;
	time_t when;
	int i;

	/* tally-YYYYMMDDTHHMMSSZ.dump: 6 + 8 + 1 + 6 + 6 characters */
	if (strlen(name) != 27 || strncmp(name, "tally-", 6) != 0 ||
	    name[14] != 'T' || strcmp(name + 21, "Z.dump") != 0)
		return false;
	for (i = 6; i < 21; i++)
		if (i != 14 && !isdigit((unsigned char)name[i]))
			return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = digits(name + 6, 4) - 1900;
	tm.tm_mon = digits(name + 10, 2) - 1;
	tm.tm_mday = digits(name + 12, 2);
	tm.tm_hour = digits(name + 15, 2);
	tm.tm_min = digits(name + 17, 2);
	tm.tm_sec = digits(name + 19, 2);
	back = tm;
	/* timegm normalises 2026-02-30 to March 2nd, in tm too: only a
	 * date that comes back as it was written was a real one */
	when = timegm(&back);
	if (when == (time_t)-1 || gmtime_r(&when, &back) == NULL ||
	    back.tm_year != tm.tm_year || back.tm_mon != tm.tm_mon ||
	    back.tm_mday != tm.tm_mday || back.tm_hour != tm.tm_hour ||
	    back.tm_min != tm.tm_min || back.tm_sec != tm.tm_sec)
		return false;
	*t = when;
	return true;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A dump's manifest goes with it (none is not an error). */
static void
prune_manifest(DIR *d, const char *dir, const char *dump)
{
	char name[PATH_MAX];

	snprintf(name, sizeof(name), "%s.manifest", dump);
	if (unlinkat(dirfd(d), name, 0) != 0 && errno != ENOENT)
		log_warning("cannot remove %s/%s: %s", dir, name, strerror(errno));
}

/*
 * Remove our dumps older than keep_days, never the newest one; and
 * temporary files a crashed backup left behind more than a day ago.
 * Other files in the directory are never touched.
 */
static int
prune_backups(const char *dir, long keep_days, time_t now, int *deleted)
{
	DIR *d;
	struct dirent *de;
	struct stat sb;
	char **names = NULL;
	size_t n = 0, i;
	time_t t, newest = 0;
	size_t len;
	int rc = 0;

	*deleted = 0;
	d = opendir(dir);
	if (d == NULL) {
		log_err("%s: %s", dir, strerror(errno));
		return TALLY_EPROBLEMS;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (!backup_file_time(de->d_name, &t) &&
		    !(strncmp(de->d_name, ".tally-", 7) == 0 && len > 8 &&
		    strcmp(de->d_name + len - 8, ".partial") == 0))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	qsort(names, n, sizeof(*names), compare_names);
	for (i = 0; i < n; i++)
		if (backup_file_time(names[i], &t) && t > newest)
			newest = t;
	for (i = 0; i < n; i++) {
		if (backup_file_time(names[i], &t)) {
			if (keep_days == 0 || t == newest ||
			    t >= now - (time_t)keep_days * 86400)
				continue;
		} else if (fstatat(dirfd(d), names[i], &sb, 0) != 0 ||
		    sb.st_mtime >= now - 86400) {
			/* a backup may be writing it right now */
			continue;
		}
		if (unlinkat(dirfd(d), names[i], 0) != 0) {
			log_warning("cannot remove %s/%s: %s", dir, names[i],
			    strerror(errno));
			rc = TALLY_EPROBLEMS;
			continue;
		}
		prune_manifest(d, dir, names[i]);
		log_info("removed %s/%s", dir, names[i]);
		(*deleted)++;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

/* pg_dump into b->tmp, read it back, give it its final name. */
static int
backup_write(struct backup *b, struct db *db)
{
	char p_prog[PATH_MAX], p_fmt[] = "--format=custom",
	    p_nopw[] = "--no-password", p_file[PATH_MAX + 16],
	    p_list[] = "--list", p_dbopt[] = "--dbname";
	/* the conninfo is an argument of its own after --dbname: no quoting
	 * of ours meets the quotes inside it */
	char *dump_argv[] = { p_prog, p_fmt, p_nopw, p_file, p_dbopt, NULL, NULL };
	char *list_argv[] = { p_prog, p_list, p_file, NULL };
	struct stat sb;
	int fd, rc;

	rc = pgchild_find("pg_dump", pgchild_server_major(db), &b->prog);
	if (rc != 0)
		return rc;
	fd = open(strbuf_str(&b->tmp), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		log_err("%s: %s", strbuf_str(&b->tmp), strerror(errno));
		return TALLY_EIO;
	}
	close(fd);
	snprintf(p_prog, sizeof(p_prog), "%s", strbuf_str(&b->prog));
	snprintf(p_file, sizeof(p_file), "--file=%s", strbuf_str(&b->tmp));
	dump_argv[5] = b->conninfo.buf;
	log_info("pg_dump (%s) into %s", strbuf_str(&b->prog),
	    strbuf_str(&b->path));
	rc = pgchild_run(dump_argv, b->password, -1);
	if (rc != 0) {
		log_err("pg_dump failed (%s%d); nothing was kept",
		    rc < 0 ? "" : "exit ", rc);
		return TALLY_EDB;
	}
	if (fsutil_fsync_path(strbuf_str(&b->tmp), O_RDONLY) != 0) {
		log_err("%s: %s", strbuf_str(&b->tmp), strerror(errno));
		return TALLY_EIO;
	}
	/* a dump we cannot read back is no backup */
	rc = pgchild_find("pg_restore", pgchild_server_major(db), &b->prog);
	if (rc != 0)
		return rc;
	snprintf(p_prog, sizeof(p_prog), "%s", strbuf_str(&b->prog));
	snprintf(p_file, sizeof(p_file), "%s", strbuf_str(&b->tmp));
	if (pgchild_run(list_argv, NULL, -1) != 0) {
		log_err("pg_restore --list cannot read the new dump back; "
		    "nothing was kept");
		return TALLY_EIO;
	}
	if (access(strbuf_str(&b->path), F_OK) == 0) {
		log_err("%s already exists", strbuf_str(&b->path));
		return TALLY_EIO;
	}
	if (rename(strbuf_str(&b->tmp), strbuf_str(&b->path)) != 0 ||
	    fsutil_fsync_path(b->dir, O_RDONLY | O_DIRECTORY) != 0) {
		log_err("%s: %s", strbuf_str(&b->path), strerror(errno));
		return TALLY_EIO;
	}
	if (stat(strbuf_str(&b->path), &sb) == 0)
		b->bytes = (long long)sb.st_size;
	return 0;
}

/*
 * The manifest beside a dump (DUMP.manifest, mode 0600): its name, size
 * and sha256, and the audit chain's head read before pg_dump began, so the
 * dump's audit_log reaches it.  It is an anchor outside the database
 * (lib/pg/audit.h): `tallyctl audit verify --anchor ID:HEX` on a restored
 * or a live database finds the newest rows removed or the chain rewritten.
 * Written under a temporary name, then renamed.
 */
static int
backup_write_manifest(const struct backup *b,
    const struct audit_anchor *anchor)
{
	struct strbuf path = STRBUF_INIT, tmp = STRBUF_INIT, text = STRBUF_INIT;
	char a[AUDIT_ANCHOR_TEXT], hex[65];
	const char *base = strrchr(strbuf_str(&b->path), '/');
	FILE *out = NULL;
	int fd, rc = 0;

	if (fsutil_sha256_file(strbuf_str(&b->path), false, hex, NULL) != 0)
		rc = TALLY_EIO;
	strbuf_addf(&text, "# tally backup manifest\ndump %s\nbytes %lld\n"
	    "sha256 %s", base != NULL ? base + 1 : strbuf_str(&b->path),
	    b->bytes, rc == 0 ? hex : "");
	audit_anchor_format(anchor, a, sizeof(a));
	strbuf_addf(&text, "\naudit_anchor %s\n", anchor->id > 0 ? a : "none");
	strbuf_addf(&path, "%s.manifest", strbuf_str(&b->path));
	strbuf_addf(&tmp, "%s.partial", strbuf_str(&path));
	fd = rc == 0 ? open(strbuf_str(&tmp), O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0600) : -1;
	if (fd >= 0 && (out = fdopen(fd, "w")) == NULL)
		close(fd);
	if (out == NULL || fputs(strbuf_str(&text), out) < 0 ||
	    fflush(out) != 0 || fsync(fileno(out)) != 0)
		rc = TALLY_EIO;
	if (out != NULL && fclose(out) != 0)
		rc = TALLY_EIO;
	if (rc == 0 && rename(strbuf_str(&tmp), strbuf_str(&path)) != 0)
		rc = TALLY_EIO;
	if (rc != 0) {
		log_err("%s: cannot write the manifest: %s", strbuf_str(&path),
		    strerror(errno));
		unlink(strbuf_str(&tmp));
	} else {
		log_info("%s: audit anchor %s", strbuf_str(&path),
		    anchor->id > 0 ? a : "none (the audit log is empty)");
	}
	strbuf_release(&path);
	strbuf_release(&tmp);
	strbuf_release(&text);
	return rc;
}

void
backup_init(struct backup *b)
{
	memset(b, 0, sizeof(*b));
	b->keep = BACKUP_KEEP_DAYS;
	strbuf_init(&b->path);
	strbuf_init(&b->tmp);
	strbuf_init(&b->conninfo);
	strbuf_init(&b->prog);
	strbuf_init(&b->default_dir);
}

void
backup_release(struct backup *b)
{
	pgchild_free_secret(b->password);
	b->password = NULL;
	strbuf_release(&b->path);
	strbuf_release(&b->tmp);
	strbuf_release(&b->conninfo);
	strbuf_release(&b->prog);
	strbuf_release(&b->default_dir);
}

int
backup_dir(struct backup *b)
{
	char *home;

	if (b->dir == NULL) {
		home = pgembed_home();
		strbuf_addf(&b->default_dir, "%s/backups", home);
		free(home);
		b->dir = strbuf_str(&b->default_dir);
	}
	if (fsutil_mkdir_p(b->dir, 0700) != 0) {
		log_err("%s: %s", b->dir, strerror(errno));
		return TALLY_EIO;
	}
	return 0;
}

int
backup_make(struct backup *b, struct db *db, struct jobrun *jr,
    struct strbuf *why)
{
	struct audit_anchor anchor;
	char stamp[32];
	struct tm tm;
	time_t now;
	int rc;

	rc = pgchild_connection(&b->conninfo, &b->password);
	if (rc != 0)
		return rc;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	strbuf_reset(&b->path);
	strbuf_reset(&b->tmp);
	strbuf_addf(&b->tmp, "%s/.tally-%s.dump.partial", b->dir, stamp);
	/* the head before the dump starts: the dump reaches it */
	if ((rc = audit_head(db, &anchor)) != 0) {
		log_err("reading the audit log's head: %s", db_errmsg(db));
		return rc;
	}
	strbuf_addf(&b->path, "%s/tally-%s.dump", b->dir, stamp);
	rc = backup_write(b, db);
	if (rc != 0) {
		unlink(strbuf_str(&b->tmp));
		strbuf_reset(&b->path);
		return rc;
	}
	if ((rc = backup_write_manifest(b, &anchor)) != 0)
		return rc;
	jobrun_output(jr, strbuf_str(&b->path));
	jobrun_count(jr, "bytes", b->bytes);
	rc = prune_backups(b->dir, b->keep, now, &b->removed);
	jobrun_count(jr, "removed", b->removed);
	if (rc == TALLY_EPROBLEMS)
		strbuf_addstr(why, "the dump is made; old dumps could not all "
		    "be removed");
	log_info("backup %s: %lld bytes; %d old dump%s removed",
	    strbuf_str(&b->path), b->bytes, b->removed,
	    b->removed == 1 ? "" : "s");
	return rc;
}

/* ---- restore ---------------------------------------------------------------- */

/* Objects that make a database "not empty": anything outside the system
 * schemas (tables, sequences, views, functions, types, schemas).  The
 * public schema itself comes with every new database. */
static const char user_objects_sql[] =
    "WITH user_ns AS ("
    "  SELECT oid, nspname FROM pg_namespace"
    "   WHERE nspname NOT IN ('pg_catalog', 'information_schema')"
    "     AND nspname !~ '^pg_(toast|temp_|toast_temp_)'),"
    " objects AS ("
    "  SELECT c.relname::text AS name FROM pg_class c"
    "    JOIN user_ns n ON n.oid = c.relnamespace"
    "  UNION ALL SELECT p.proname || '()' FROM pg_proc p"
    "    JOIN user_ns n ON n.oid = p.pronamespace"
    "  UNION ALL SELECT t.typname::text FROM pg_type t"
    "    JOIN user_ns n ON n.oid = t.typnamespace"
    "   WHERE t.typrelid = 0 AND t.typcategory <> 'A'"
    "  UNION ALL SELECT 'schema ' || nspname FROM user_ns"
    "   WHERE nspname <> 'public')"
    " SELECT count(*)::text,"
    "  coalesce(array_to_string((array_agg(name ORDER BY name))[1:5], ', '), '')"
    " FROM objects";

static int
restore_check_empty(struct db *db)
{
	PGresult *res = NULL;
	long long n;
	int rc;

	rc = db_query(db, &res, user_objects_sql, 0, NULL);
	if (rc != 0) {
		log_err("cannot inspect the target database: %s", db_errmsg(db));
		return rc;
	}
	n = db_value_ll(res, 0, 0, -1);
	if (n != 0) {
		log_err("database %s is not empty (%lld objects, such as %s): "
		    "tallyctl db restore only restores into an empty database, "
		    "so that nothing of what is there is mixed with or lost to "
		    "the backup.  Create one (CREATE DATABASE tally_restored "
		    "OWNER ...), point TALLY_DATABASE_URL at it, and run the "
		    "restore again.  Nothing was changed.",
		    PQdb(db_conn(db)), n, db_value(res, 0, 1) ?
		    db_value(res, 0, 1) : "?");
		rc = TALLY_EREFUSED;
	}
	PQclear(res);
	return rc;
}

/* After a restore: a backup from before a migration this program knows
 * wants `tallyctl migrate`; say so. */
static void
restore_note_migrations(struct db *db)
{
	const struct embedded_file *f;
	PGresult *res = NULL;
	int pending = 0, i, nrows;
	bool found;

	if (db_query(db, &res, "SELECT name FROM schema_migrations", 0,
	    NULL) != 0) {
		log_notice("the restored database has no schema_migrations: "
		    "is this a tally backup?");
		return;
	}
	nrows = PQntuples(res);
	for (f = embedded_files; f->name != NULL; f++) {
		if (strncmp(f->name, "sql/", 4) != 0)
			continue;
		found = false;
		for (i = 0; i < nrows && !found; i++)
			found = strcmp(PQgetvalue(res, i, 0), f->name + 4) == 0;
		if (!found)
			pending++;
	}
	PQclear(res);
	if (pending > 0)
		log_notice("the backup predates %d migration%s of this tallyctl: "
		    "run 'tallyctl migrate'", pending, pending == 1 ? "" : "s");
}

int
backup_restore(const char *file, struct backup_restored *out)
{
	struct db *db = NULL;
	struct strbuf prog = STRBUF_INIT, conninfo = STRBUF_INIT;
	char *password = NULL;
	char p_prog[PATH_MAX], p_file[PATH_MAX], p_list[] = "--list",
	    p_noown[] = "--no-owner", p_single[] = "--single-transaction",
	    p_exit[] = "--exit-on-error", p_nopw[] = "--no-password",
	    p_dbopt[] = "--dbname";
	char *argv[10];
	int rc;

	memset(out, 0, sizeof(*out));
	if (access(file, R_OK) != 0) {
		log_err("%s: %s", file, strerror(errno));
		return TALLY_ENOTFOUND;
	}
	rc = db_connect(&db, "tallyctl-restore", NULL);
	if (rc != 0)
		return rc;
	rc = pgchild_find("pg_restore", pgchild_server_major(db), &prog);
	if (rc != 0)
		goto out;
	snprintf(p_prog, sizeof(p_prog), "%s", strbuf_str(&prog));
	snprintf(p_file, sizeof(p_file), "%s", file);
	argv[0] = p_prog;
	argv[1] = p_list;
	argv[2] = p_file;
	argv[3] = NULL;
	if (pgchild_run(argv, NULL, -1) != 0) {
		log_err("%s is not a dump pg_restore can read (tallyctl db backup "
		    "makes them); nothing was changed", file);
		rc = TALLY_EDATA;
		goto out;
	}
	rc = restore_check_empty(db);
	if (rc == 0)
		rc = pgchild_connection(&conninfo, &password);
	if (rc != 0)
		goto out;
	argv[1] = p_noown;
	argv[2] = p_single;
	argv[3] = p_exit;
	argv[4] = p_nopw;
	argv[5] = p_dbopt;
	argv[6] = conninfo.buf;
	argv[7] = p_file;
	argv[8] = NULL;
	log_info("pg_restore (%s) of %s into %s", p_prog, file,
	    PQdb(db_conn(db)));
	rc = pgchild_run(argv, password, -1);
	if (rc != 0) {
		log_err("pg_restore failed (%s%d); its one transaction was "
		    "rolled back, the database is as empty as before",
		    rc < 0 ? "" : "exit ", rc);
		rc = TALLY_EDB;
		goto out;
	}
	/* pg_restore copies no planner statistics: without them the first
	 * queries after a restore plan badly.  Only the restored tables: a
	 * database-wide ANALYZE by a non-superuser owner warns about every
	 * shared catalog it may not touch. */
	if (db_simple(db,
	    "DO $$ DECLARE t regclass; BEGIN"
	    " FOR t IN SELECT c.oid FROM pg_class c"
	    "  JOIN pg_namespace n ON n.oid = c.relnamespace"
	    "  WHERE c.relkind IN ('r', 'p', 'm')"
	    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
	    "   AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'"
	    " LOOP EXECUTE format('ANALYZE %s', t); END LOOP; END $$") != 0)
		log_warning("ANALYZE after the restore failed: %s", db_errmsg(db));
	out->database = xstrdup(PQdb(db_conn(db)));
	if (db_query_value(db, &out->tables,
	    "SELECT count(*)::text FROM pg_class c"
	    " JOIN pg_namespace n ON n.oid = c.relnamespace"
	    " WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public'",
	    0, NULL) != 0)
		out->tables = NULL;
	restore_note_migrations(db);
out:
	pgchild_free_secret(password);
	strbuf_release(&prog);
	strbuf_release(&conninfo);
	db_free(db);
	return rc;
}

void
backup_restored_release(struct backup_restored *r)
{
	free(r->database);
	free(r->tables);
	r->database = r->tables = NULL;
}
