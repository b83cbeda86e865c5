/*
 * backup.c - tallyctl db backup and db restore: pg_dump -Fc into a file
 * that is read back before it is given its name, and pg_restore into an
 * empty database in one transaction.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>

#include "base/config.h"
#include "pg/db.h"
#include "pg/embedded.h"
#include "base/err.h"
#include "pg/audit.h"
#include "pg/jobrun.h"
#include "base/log.h"
#include "pg/pgembed.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "ctl/backup.h"
#include "jobs/batchjob.h"
#include "pg/pgchild.h"

#define BACKUP_PROGRAM "tally-backup"	/* its job_runs.program */
#define BACKUP_KEEP_DAYS 14


static int
digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

bool
ctl_backup_time(const char *name, time_t *t)
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
		if (!ctl_backup_time(de->d_name, &t) &&
		    !(strncmp(de->d_name, ".tally-", 7) == 0 && len > 8 &&
		    strcmp(de->d_name + len - 8, ".partial") == 0))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	qsort(names, n, sizeof(*names), compare_names);
	for (i = 0; i < n; i++)
		if (ctl_backup_time(names[i], &t) && t > newest)
			newest = t;
	for (i = 0; i < n; i++) {
		if (ctl_backup_time(names[i], &t)) {
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

struct backup_job {
	const char *dir;
	long keep;
	struct strbuf final, tmp, conninfo, prog;
	char *password;
	long long bytes;
	int deleted;
};

/* pg_dump into job->tmp, read it back, give it its final name. */
static int
backup_write(struct backup_job *job, struct db *db)
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

	rc = pgchild_find("pg_dump", pgchild_server_major(db), &job->prog);
	if (rc != 0)
		return rc;
	fd = open(strbuf_str(&job->tmp), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		log_err("%s: %s", strbuf_str(&job->tmp), strerror(errno));
		return TALLY_EIO;
	}
	close(fd);
	snprintf(p_prog, sizeof(p_prog), "%s", strbuf_str(&job->prog));
	snprintf(p_file, sizeof(p_file), "--file=%s", strbuf_str(&job->tmp));
	dump_argv[5] = job->conninfo.buf;
	log_info("pg_dump (%s) into %s", strbuf_str(&job->prog),
	    strbuf_str(&job->final));
	rc = pgchild_run(dump_argv, job->password, -1);
	if (rc != 0) {
		log_err("pg_dump failed (%s%d); nothing was kept",
		    rc < 0 ? "" : "exit ", rc);
		return TALLY_EDB;
	}
	if (fsutil_fsync_path(strbuf_str(&job->tmp), O_RDONLY) != 0) {
		log_err("%s: %s", strbuf_str(&job->tmp), strerror(errno));
		return TALLY_EIO;
	}
	/* a dump we cannot read back is no backup */
	rc = pgchild_find("pg_restore", pgchild_server_major(db), &job->prog);
	if (rc != 0)
		return rc;
	snprintf(p_prog, sizeof(p_prog), "%s", strbuf_str(&job->prog));
	snprintf(p_file, sizeof(p_file), "%s", strbuf_str(&job->tmp));
	if (pgchild_run(list_argv, NULL, -1) != 0) {
		log_err("pg_restore --list cannot read the new dump back; "
		    "nothing was kept");
		return TALLY_EIO;
	}
	if (access(strbuf_str(&job->final), F_OK) == 0) {
		log_err("%s already exists", strbuf_str(&job->final));
		return TALLY_EIO;
	}
	if (rename(strbuf_str(&job->tmp), strbuf_str(&job->final)) != 0 ||
	    fsutil_fsync_path(job->dir, O_RDONLY | O_DIRECTORY) != 0) {
		log_err("%s: %s", strbuf_str(&job->final), strerror(errno));
		return TALLY_EIO;
	}
	if (stat(strbuf_str(&job->final), &sb) == 0)
		job->bytes = (long long)sb.st_size;
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
backup_write_manifest(const struct backup_job *job,
    const struct audit_anchor *anchor)
{
	struct strbuf path = STRBUF_INIT, tmp = STRBUF_INIT, text = STRBUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	char a[AUDIT_ANCHOR_TEXT];
	const char *base = strrchr(strbuf_str(&job->final), '/');
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int mdlen = 0, i;
	size_t n;
	FILE *in = fopen(strbuf_str(&job->final), "rb"), *out = NULL;
	int fd, rc = 0;

	if (in == NULL || ctx == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		rc = TALLY_EIO;
	while (rc == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (EVP_DigestUpdate(ctx, buf, n) != 1)
			rc = TALLY_EIO;
	if (rc == 0 && (ferror(in) || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1))
		rc = TALLY_EIO;
	if (in != NULL)
		fclose(in);
	EVP_MD_CTX_free(ctx);
	strbuf_addf(&text, "# tally backup manifest\ndump %s\nbytes %lld\n"
	    "sha256 ", base != NULL ? base + 1 : strbuf_str(&job->final),
	    job->bytes);
	for (i = 0; i < mdlen; i++)
		strbuf_addf(&text, "%02x", md[i]);
	audit_anchor_format(anchor, a, sizeof(a));
	strbuf_addf(&text, "\naudit_anchor %s\n", anchor->id > 0 ? a : "none");
	strbuf_addf(&path, "%s.manifest", strbuf_str(&job->final));
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

/* One backup per process: the options and the job live here. */
static struct backup_job job = { .keep = BACKUP_KEEP_DAYS };
static struct strbuf default_dir = STRBUF_INIT;

static const struct batchjob_opt backup_opts[] = {
	{ "dir", 0, BATCHJOB_TEXT, &job.dir, 0, 0, 0, "DIR",
	  "default $TALLY_HOME/backups ($TALLY_HOME: ./var)" },
	{ "keep", 0, BATCHJOB_INT, &job.keep, 0, 36500, 0, "DAYS",
	  "default " BATCHJOB_STR(BACKUP_KEEP_DAYS) "; 0 keeps every dump" },
	{ NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL }
};

/* The directory, before the run is recorded: one that cannot be made is
 * exit 73 and no job_runs row. */
static int
backup_prepare(struct batchjob_ctx *ctx)
{
	char *home;

	(void)ctx;
	if (job.dir == NULL) {
		home = pgembed_home();
		strbuf_addf(&default_dir, "%s/backups", home);
		free(home);
		job.dir = strbuf_str(&default_dir);
	}
	if (fsutil_mkdir_p(job.dir, 0700) != 0) {
		log_err("%s: %s", job.dir, strerror(errno));
		return TALLY_EIO;
	}
	return 0;
}

static int
backup_run(struct batchjob_ctx *ctx)
{
	struct audit_anchor anchor;
	char stamp[32];
	struct tm tm;
	time_t now;
	int rc;

	rc = pgchild_connection(&job.conninfo, &job.password);
	if (rc != 0)
		return rc;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	strbuf_addf(&job.final, "%s/tally-%s.dump", job.dir, stamp);
	strbuf_addf(&job.tmp, "%s/.tally-%s.dump.partial", job.dir, stamp);
	/* the head before the dump starts: the dump reaches it */
	if ((rc = audit_head(ctx->db, &anchor)) != 0) {
		log_err("reading the audit log's head: %s", db_errmsg(ctx->db));
		return rc;
	}
	rc = backup_write(&job, ctx->db);
	if (rc != 0) {
		unlink(strbuf_str(&job.tmp));
		return rc;
	}
	if ((rc = backup_write_manifest(&job, &anchor)) != 0)
		return rc;
	jobrun_output(ctx->jr, strbuf_str(&job.final));
	jobrun_count(ctx->jr, "bytes", job.bytes);
	rc = prune_backups(job.dir, job.keep, now, &job.deleted);
	jobrun_count(ctx->jr, "removed", job.deleted);
	if (rc == TALLY_EPROBLEMS)
		strbuf_addstr(&ctx->why, "the dump is made; old dumps could not "
		    "all be removed");
	log_info("backup %s: %lld bytes; %d old dump%s removed",
	    strbuf_str(&job.final), job.bytes, job.deleted,
	    job.deleted == 1 ? "" : "s");
	puts(strbuf_str(&job.final));
	return rc;
}

static const struct batchjob backup_def = {
	.program = BACKUP_PROGRAM,
	.command = "tallyctl db backup",
	.summary = "pg_dump -Fc of the configured database (TALLY_DATABASE_URL, "
	    "else the\nembedded cluster) into DIR/tally-YYYYMMDDTHHMMSSZ.dump "
	    "(UTC), mode\n0600.  The dump is written under a temporary name and "
	    "read back with\npg_restore --list before it gets its name, so a "
	    "file with that name\nis always a complete dump.  Then dumps in DIR "
	    "older than DAYS are\nremoved, never the newest; other files are "
	    "never touched.  Prints\nthe new file's path.  Beside it, "
	    "DUMP.manifest holds its size, sha256\nand the audit chain's head "
	    "when it began (audit_anchor ID:HEX: give\nit to tallyctl audit "
	    "verify --anchor).  One backup at a time: exit\n75 if one runs.\n",
	.trailer = "pg_dump: $TALLY_PG_BINDIR, else /usr/lib/postgresql/N/bin "
	    "for the\nserver's major version N, else PATH.  The login must be "
	    "able to read\nevery table and sequence (the database owner, say).\n"
	    "Restore with: tallyctl db restore FILE\n",
	.role = NULL,		/* the login's own: it reads everything */
	.noun = "backup of this database",
	/* the dump matters more than its record: a login that may not
	 * write job_runs still gets its backup */
	.flags = BATCHJOB_ROW_OPTIONAL,
	.opts = backup_opts,
	.prepare = backup_prepare,
	.run = backup_run,
};

int
ctl_db_backup(int argc, char **argv)
{
	int rc;

	strbuf_init(&job.final);
	strbuf_init(&job.tmp);
	strbuf_init(&job.conninfo);
	strbuf_init(&job.prog);
	rc = batchjob_main(&backup_def, argc, argv);
	pgchild_free_secret(job.password);
	strbuf_release(&job.final);
	strbuf_release(&job.tmp);
	strbuf_release(&job.conninfo);
	strbuf_release(&job.prog);
	strbuf_release(&default_dir);
	return rc;
}

/* ---- db restore ------------------------------------------------------------- */

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

static const char restore_usage[] =
    "usage: tallyctl db restore FILE\n"
    "  restore a dump made by 'tallyctl db backup' (any pg_dump -Fc) into\n"
    "  the configured database (TALLY_DATABASE_URL, else the embedded\n"
    "  cluster).  That database must be empty: a non-empty one is refused\n"
    "  and left alone (exit 65).  The restore runs in one transaction, so\n"
    "  a failure leaves the database empty.  Objects belong to the login\n"
    "  that restores (pg_restore --no-owner): restore as the database's\n"
    "  owner.  The roles the grants name (tally_receiver, tally_batch,\n"
    "  tally_admin, tally_report) must exist in the cluster.\n";

static int
restore_run(const char *file)
{
	struct db *db = NULL;
	struct strbuf prog = STRBUF_INIT, conninfo = STRBUF_INIT;
	char *password = NULL, *tables = NULL;
	char p_prog[PATH_MAX], p_file[PATH_MAX], p_list[] = "--list",
	    p_noown[] = "--no-owner", p_single[] = "--single-transaction",
	    p_exit[] = "--exit-on-error", p_nopw[] = "--no-password",
	    p_dbopt[] = "--dbname";
	char *argv[10];
	int rc;

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
	if (db_query_value(db, &tables,
	    "SELECT count(*)::text FROM pg_class c"
	    " JOIN pg_namespace n ON n.oid = c.relnamespace"
	    " WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public'",
	    0, NULL) == 0)
		printf("restored %s into %s: %s tables\n", file,
		    PQdb(db_conn(db)), tables != NULL ? tables : "?");
	restore_note_migrations(db);
	rc = fflush(stdout) == 0 ? 0 : TALLY_EIO;
out:
	free(tables);
	pgchild_free_secret(password);
	strbuf_release(&prog);
	strbuf_release(&conninfo);
	db_free(db);
	return rc;
}

int
ctl_db_restore(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		fputs(restore_usage, stdout);
		return EX_OK;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fputs(restore_usage, stderr);
		return EX_USAGE;
	}
	return tally_exit_code(restore_run(argv[1]));
}
