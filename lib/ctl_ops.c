/*
 * ctl_ops.c - tallyctl status, db backup, db restore, alert-failed.
 *
 * pg_dump and pg_restore are run as child programs, never through a shell:
 * the connection string goes on their command line without its password,
 * which travels in the child's environment (PGPASSWORD) only, so it never
 * shows in ps.  The receiver's health and the alerts go over HTTP with
 * libcurl.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "config.h"
#include "ctl_ops.h"
#include "db.h"
#include "embedded.h"
#include "err.h"
#include "jobrun.h"
#include "log.h"
#include "pgembed.h"
#include "strbuf.h"
#include "table.h"
#include "version.h"

#define BACKUP_PROGRAM "tally-backup"	/* its job_runs.program */
#define BACKUP_KEEP_DAYS 14
#define HEALTH_TIMEOUT_MS 2000L
#define ALERT_TIMEOUT_MS 10000L
#define ALERT_REPEAT_MINUTES 60L
/* The most of an HTTP answer we keep: we only ever show its first line. */
#define HTTP_BODY_MAX 1024

/* ---- child programs ------------------------------------------------------- */

extern char **environ;

/*
 * The environment for a child: ours, with PGPASSWORD set to password (or
 * left as it is when password is NULL).  Built before fork(), because
 * between fork() and exec() only async-signal-safe calls are allowed.
 * The caller wipes and frees it with free_child_env().
 */
static char **
child_env(const char *password)
{
	size_t n = 0, i, j = 0;
	char **env;
	struct strbuf pw = STRBUF_INIT;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 2, sizeof(*env));
	for (i = 0; i < n; i++)
		if (password == NULL || strncmp(environ[i], "PGPASSWORD=", 11) != 0)
			env[j++] = environ[i];
	if (password != NULL) {
		strbuf_addf(&pw, "PGPASSWORD=%s", password);
		env[j++] = strbuf_detach(&pw, NULL);
	}
	env[j] = NULL;
	return env;
}

static void
free_child_env(char **env, const char *password)
{
	size_t n = 0;

	while (env[n] != NULL)
		n++;
	/* the last entry is ours (the password) when one was added */
	if (password != NULL && n > 0) {
		explicit_bzero(env[n - 1], strlen(env[n - 1]));
		free(env[n - 1]);
	}
	free(env);
}

/*
 * Run argv[0] (an absolute path) with stdin from /dev/null; stdout goes to
 * out_fd, or to /dev/null when out_fd is -1; stderr stays ours, so the
 * child's own messages reach the terminal or the journal.  password, when
 * not NULL, is PGPASSWORD in the child's environment only.  Returns the
 * exit status, or -1 when it could not run or died of a signal (logged).
 */
static int
run_child(char *const argv[], const char *password, int out_fd)
{
	static const char cannot[] = "tallyctl: cannot run a PostgreSQL program\n";
	char **env = child_env(password);
	pid_t pid;
	int status, null_fd;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		log_err("cannot start %s: %s", argv[0], strerror(errno));
		free_child_env(env, password);
		return -1;
	}
	if (pid == 0) {
		null_fd = open("/dev/null", O_RDWR);
		if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
		    dup2(out_fd >= 0 ? out_fd : null_fd, STDOUT_FILENO) < 0)
			_exit(127);
		execve(argv[0], argv, env);
		/* only async-signal-safe calls here; the parent names it */
		if (write(STDERR_FILENO, cannot, sizeof(cannot) - 1) < 0)
			_exit(127);
		_exit(127);
	}
	free_child_env(env, password);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			log_err("waiting for %s: %s", argv[0], strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		log_err("%s could not be run", argv[0]);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	log_err("%s died of signal %d", argv[0], WTERMSIG(status));
	return -1;
}

/* Run argv and keep the first 4 KiB of its stdout in out. */
static int
run_capture(char *const argv[], struct strbuf *out)
{
	char buf[512];
	FILE *tmp;
	size_t n;
	int rc;

	/* a file, not a pipe: a child that writes more than a pipe holds
	 * can never block on us while we wait for it */
	tmp = tmpfile();
	if (tmp == NULL)
		return -1;
	rc = run_child(argv, NULL, fileno(tmp));
	rewind(tmp);
	while (out->len < 4096 && (n = fread(buf, 1, sizeof(buf), tmp)) > 0)
		strbuf_add(out, buf, n);
	fclose(tmp);
	return rc;
}

/* Major version of a PostgreSQL program ("pg_dump (PostgreSQL) 15.14"),
 * 0 when it cannot tell. */
static int
program_major(const char *path)
{
	char prog[PATH_MAX], opt[] = "--version";
	char *argv[] = { prog, opt, NULL };
	struct strbuf out = STRBUF_INIT;
	const char *p;
	int major = 0;

	snprintf(prog, sizeof(prog), "%s", path);
	if (run_capture(argv, &out) == 0) {
		p = strstr(strbuf_str(&out), ") ");
		if (p != NULL)
			major = (int)strtol(p + 2, NULL, 10);
	}
	strbuf_release(&out);
	return major;
}

static bool
executable(const char *dir, const char *prog, struct strbuf *path)
{
	strbuf_reset(path);
	strbuf_addf(path, "%s/%s", dir, prog);
	return access(strbuf_str(path), X_OK) == 0;
}

/*
 * The pg_dump or pg_restore that fits a server of major version `major`:
 * $TALLY_PG_BINDIR (the operator's explicit choice, as for the embedded
 * cluster), else Debian's /usr/lib/postgresql/MAJOR/bin, else the oldest
 * newer one there (a newer pg_dump reads an older server; an older one
 * refuses a newer server), else the first on PATH that is new enough.
 */
static int
find_pg_program(const char *prog, int major, struct strbuf *path)
{
	const char *env = getenv("TALLY_PG_BINDIR");
	const char *p, *end;
	struct strbuf dir = STRBUF_INIT;
	int v;

	if (env != NULL && env[0] != '\0' && executable(env, prog, path))
		return 0;
	for (v = major; v < major + 20; v++) {
		strbuf_reset(&dir);
		strbuf_addf(&dir, "/usr/lib/postgresql/%d/bin", v);
		if (executable(strbuf_str(&dir), prog, path)) {
			strbuf_release(&dir);
			return 0;
		}
	}
	for (p = getenv("PATH"); p != NULL && *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ":");
		strbuf_reset(&dir);
		strbuf_add(&dir, p, (size_t)(end - p));
		if (dir.len > 0 && executable(strbuf_str(&dir), prog, path) &&
		    program_major(strbuf_str(path)) >= major) {
			strbuf_release(&dir);
			return 0;
		}
	}
	strbuf_release(&dir);
	log_err("no %s for PostgreSQL %d: install postgresql-client-%d "
	    "(apt-get install postgresql-client-%d), or set TALLY_PG_BINDIR",
	    prog, major, major, major);
	return TALLY_EMISSING;
}

/* ---- connection strings --------------------------------------------------- */

static void
add_conn_value(struct strbuf *sb, const char *key, const char *val)
{
	const char *p;

	if (sb->len > 0)
		strbuf_addch(sb, ' ');
	strbuf_addf(sb, "%s='", key);
	for (p = val; *p != '\0'; p++) {
		if (*p == '\'' || *p == '\\')
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *p);
	}
	strbuf_addch(sb, '\'');
}

int
ctl_ops_child_conninfo(const char *conninfo, struct strbuf *out,
    char **password, struct strbuf *err)
{
	PQconninfoOption *opts, *o;
	char *msg = NULL;
	bool timeout = false;

	*password = NULL;
	opts = PQconninfoParse(conninfo, &msg);
	if (opts == NULL) {
		strbuf_addf(err, "not a valid connection string: %s",
		    msg != NULL ? msg : "out of memory");
		PQfreemem(msg);
		return TALLY_ECONFIG;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "password") == 0) {
			free(*password);
			*password = xstrdup(o->val);
			explicit_bzero(o->val, strlen(o->val));
			continue;
		}
		if (strcmp(o->keyword, "connect_timeout") == 0)
			timeout = true;
		add_conn_value(out, o->keyword, o->val);
	}
	/* an unattended backup must not wait forever for a dead server */
	if (!timeout)
		add_conn_value(out, "connect_timeout", "10");
	PQconninfoFree(opts);
	return 0;
}

static void
free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* The conninfo and password for pg_dump / pg_restore: the same database
 * db_connect() uses. */
static int
child_connection(struct strbuf *conninfo, char **password)
{
	struct strbuf err = STRBUF_INIT;
	char *url = db_default_url();
	int rc;

	rc = ctl_ops_child_conninfo(url, conninfo, password, &err);
	if (rc != 0)
		log_err("TALLY_DATABASE_URL: %s", strbuf_str(&err));
	free_secret(url);
	strbuf_release(&err);
	return rc;
}

/* ---- small helpers ---------------------------------------------------------- */

static int
mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
fsync_path(const char *path, int flags)
{
	int fd, rc;

	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Parse a non-negative decimal option value. */
static int
parse_count(const char *opt, const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max) {
		fprintf(stderr, "tallyctl: %s wants a whole number from 0 to "
		    "%ld, not '%s'\n", opt, max, s);
		return TALLY_EUSAGE;
	}
	*out = v;
	return 0;
}

static int
server_major(struct db *db)
{
	return PQserverVersion(db_conn(db)) / 10000;
}

/* ---- db backup ---------------------------------------------------------------- */

static int
digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

bool
ctl_ops_backup_time(const char *name, time_t *t)
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
		if (!ctl_ops_backup_time(de->d_name, &t) &&
		    !(strncmp(de->d_name, ".tally-", 7) == 0 && len > 8 &&
		    strcmp(de->d_name + len - 8, ".partial") == 0))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	qsort(names, n, sizeof(*names), compare_names);
	for (i = 0; i < n; i++)
		if (ctl_ops_backup_time(names[i], &t) && t > newest)
			newest = t;
	for (i = 0; i < n; i++) {
		if (ctl_ops_backup_time(names[i], &t)) {
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
		log_info("removed %s/%s", dir, names[i]);
		(*deleted)++;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

static const char backup_usage[] =
    "usage: tallyctl db backup [--dir DIR] [--keep DAYS]\n"
    "  pg_dump -Fc of the configured database (TALLY_DATABASE_URL, else the\n"
    "  embedded cluster) into DIR/tally-YYYYMMDDTHHMMSSZ.dump (UTC), mode\n"
    "  0600.  The dump is written under a temporary name and read back with\n"
    "  pg_restore --list before it gets its name, so a file with that name\n"
    "  is always a complete dump.  Then dumps in DIR older than DAYS are\n"
    "  removed, never the newest; other files are never touched.  Prints\n"
    "  the new file's path.  One backup at a time: exit 75 if one runs.\n"
    "  --dir DIR    default $TALLY_HOME/backups ($TALLY_HOME: ./var)\n"
    "  --keep DAYS  default 14; 0 keeps every dump\n"
    "  pg_dump: $TALLY_PG_BINDIR, else /usr/lib/postgresql/N/bin for the\n"
    "  server's major version N, else PATH.  The login must be able to read\n"
    "  every table and sequence (the database owner, say).\n"
    "  Restore with: tallyctl db restore FILE\n";

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

	rc = find_pg_program("pg_dump", server_major(db), &job->prog);
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
	rc = run_child(dump_argv, job->password, -1);
	if (rc != 0) {
		log_err("pg_dump failed (%s%d); nothing was kept",
		    rc < 0 ? "" : "exit ", rc);
		return TALLY_EDB;
	}
	if (fsync_path(strbuf_str(&job->tmp), O_RDONLY) != 0) {
		log_err("%s: %s", strbuf_str(&job->tmp), strerror(errno));
		return TALLY_EIO;
	}
	/* a dump we cannot read back is no backup */
	rc = find_pg_program("pg_restore", server_major(db), &job->prog);
	if (rc != 0)
		return rc;
	snprintf(p_prog, sizeof(p_prog), "%s", strbuf_str(&job->prog));
	snprintf(p_file, sizeof(p_file), "%s", strbuf_str(&job->tmp));
	if (run_child(list_argv, NULL, -1) != 0) {
		log_err("pg_restore --list cannot read the new dump back; "
		    "nothing was kept");
		return TALLY_EIO;
	}
	if (access(strbuf_str(&job->final), F_OK) == 0) {
		log_err("%s already exists", strbuf_str(&job->final));
		return TALLY_EIO;
	}
	if (rename(strbuf_str(&job->tmp), strbuf_str(&job->final)) != 0 ||
	    fsync_path(job->dir, O_RDONLY | O_DIRECTORY) != 0) {
		log_err("%s: %s", strbuf_str(&job->final), strerror(errno));
		return TALLY_EIO;
	}
	if (stat(strbuf_str(&job->final), &sb) == 0)
		job->bytes = (long long)sb.st_size;
	return 0;
}

static int
backup_run(struct backup_job *job)
{
	struct db *db = NULL;
	struct jobrun *jr = NULL;
	char stamp[32];
	struct tm tm;
	time_t now;
	int rc;

	if (mkdir_p(job->dir, 0700) != 0) {
		log_err("%s: %s", job->dir, strerror(errno));
		return TALLY_EIO;
	}
	rc = db_connect(&db, "tallyctl-backup", NULL);
	if (rc != 0)
		return rc;
	rc = db_try_lock(db, BACKUP_PROGRAM);
	if (rc == TALLY_ELOCKED)
		log_err("another backup of this database is running; "
		    "try again when it has finished");
	if (rc != 0)
		goto out;
	/* the dump matters more than its record: a login that may not
	 * write job_runs still gets its backup */
	if (jobrun_reap(db, BACKUP_PROGRAM, NULL) != 0 ||
	    jobrun_start(db, BACKUP_PROGRAM, NULL, &jr) != 0)
		log_warning("this backup is not recorded in job_runs");
	rc = child_connection(&job->conninfo, &job->password);
	if (rc != 0)
		goto out;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	strbuf_addf(&job->final, "%s/tally-%s.dump", job->dir, stamp);
	strbuf_addf(&job->tmp, "%s/.tally-%s.dump.partial", job->dir, stamp);
	rc = backup_write(job, db);
	if (rc != 0) {
		unlink(strbuf_str(&job->tmp));
		goto out;
	}
	jobrun_output(jr, strbuf_str(&job->final));
	jobrun_count(jr, "bytes", job->bytes);
	rc = prune_backups(job->dir, job->keep, now, &job->deleted);
	jobrun_count(jr, "removed", job->deleted);
	log_info("backup %s: %lld bytes; %d old dump%s removed",
	    strbuf_str(&job->final), job->bytes, job->deleted,
	    job->deleted == 1 ? "" : "s");
	puts(strbuf_str(&job->final));
	if (fflush(stdout) != 0 && rc == 0)
		rc = TALLY_EIO;
out:
	if (jr != NULL)
		jobrun_finish(jr, rc, rc == TALLY_EPROBLEMS ?
		    "the dump is made; old dumps could not all be removed" : NULL);
	db_free(db);
	return rc;
}

int
ctl_db_backup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "keep", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct backup_job job;
	char *home = NULL;
	struct strbuf dflt = STRBUF_INIT;
	int c, rc;

	memset(&job, 0, sizeof(job));
	strbuf_init(&job.final);
	strbuf_init(&job.tmp);
	strbuf_init(&job.conninfo);
	strbuf_init(&job.prog);
	job.keep = BACKUP_KEEP_DAYS;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			job.dir = optarg;
			break;
		case 'k':
			if (parse_count("--keep", optarg, 36500, &job.keep) != 0)
				return EX_USAGE;
			break;
		case 'h':
			fputs(backup_usage, stdout);
			return EX_OK;
		default:
			fputs(backup_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tallyctl db backup: unexpected '%s'\n%s",
		    argv[optind], backup_usage);
		return EX_USAGE;
	}
	if (job.dir == NULL) {
		home = pgembed_home();
		strbuf_addf(&dflt, "%s/backups", home);
		job.dir = strbuf_str(&dflt);
	}
	rc = backup_run(&job);
	free_secret(job.password);
	strbuf_release(&job.final);
	strbuf_release(&job.tmp);
	strbuf_release(&job.conninfo);
	strbuf_release(&job.prog);
	strbuf_release(&dflt);
	free(home);
	return tally_exit_code(rc);
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
	rc = find_pg_program("pg_restore", server_major(db), &prog);
	if (rc != 0)
		goto out;
	snprintf(p_prog, sizeof(p_prog), "%s", strbuf_str(&prog));
	snprintf(p_file, sizeof(p_file), "%s", file);
	argv[0] = p_prog;
	argv[1] = p_list;
	argv[2] = p_file;
	argv[3] = NULL;
	if (run_child(argv, NULL, -1) != 0) {
		log_err("%s is not a dump pg_restore can read (tallyctl db backup "
		    "makes them); nothing was changed", file);
		rc = TALLY_EDATA;
		goto out;
	}
	rc = restore_check_empty(db);
	if (rc == 0)
		rc = child_connection(&conninfo, &password);
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
	rc = run_child(argv, password, -1);
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
	free_secret(password);
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

/* ---- HTTP --------------------------------------------------------------------- */

int
ctl_ops_health_url(const char *listen, struct strbuf *url,
    struct strbuf *unix_path)
{
	const char *colon, *host, *port;
	size_t hostlen;
	char *end;
	long p;

	strbuf_reset(url);
	strbuf_reset(unix_path);
	if (strncmp(listen, "unix:", 5) == 0)
		listen += 5;
	if (listen[0] == '/') {
		strbuf_addstr(unix_path, listen);
		strbuf_addstr(url, "http://localhost/healthz");
		return 0;
	}
	if (listen[0] == '[') {
		end = strchr(listen, ']');
		if (end == NULL || end[1] != ':')
			return TALLY_ECONFIG;
		host = listen + 1;
		hostlen = (size_t)(end - host);
		port = end + 2;
	} else {
		colon = strrchr(listen, ':');
		if (colon == NULL || memchr(listen, ':',
		    (size_t)(colon - listen)) != NULL)
			return TALLY_ECONFIG;
		host = listen;
		hostlen = (size_t)(colon - listen);
		port = colon + 1;
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (errno != 0 || end == port || *end != '\0' || p < 1 || p > 65535)
		return TALLY_ECONFIG;
	strbuf_addstr(url, "http://");
	/* a wildcard address is reached on loopback */
	if (hostlen == 0 || (hostlen == 1 && host[0] == '*') ||
	    (hostlen == 7 && strncmp(host, "0.0.0.0", 7) == 0))
		strbuf_addstr(url, "127.0.0.1");
	else if (hostlen == 2 && strncmp(host, "::", 2) == 0)
		strbuf_addstr(url, "[::1]");
	else if (memchr(host, ':', hostlen) != NULL) {
		strbuf_addch(url, '[');
		strbuf_add(url, host, hostlen);
		strbuf_addch(url, ']');
	} else
		strbuf_add(url, host, hostlen);
	strbuf_addf(url, ":%ld/healthz", p);
	return 0;
}

static size_t
keep_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct strbuf *body = arg;
	size_t n = size * nmemb;

	if (body->len < HTTP_BODY_MAX)
		strbuf_add(body, data, n < HTTP_BODY_MAX - body->len ?
		    n : HTTP_BODY_MAX - body->len);
	return n;
}

struct http_result {
	long status;		/* 0: no answer */
	long ms;
	char error[CURL_ERROR_SIZE];
};

/*
 * One HTTP exchange: a GET, or a POST of json when json is not NULL.
 * The URL may hold a token (chat webhooks do): it is never logged here.
 */
static int
http_exchange(const char *url, const char *unix_path, const char *json,
    long timeout_ms, bool use_proxy, struct http_result *out)
{
	CURL *c;
	CURLcode cc;
	struct curl_slist *hdrs = NULL;
	struct strbuf body = STRBUF_INIT;
	curl_off_t us = 0;

	memset(out, 0, sizeof(*out));
	c = curl_easy_init();
	if (c == NULL) {
		snprintf(out->error, sizeof(out->error), "cannot start libcurl");
		return TALLY_ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, out->error);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "tally/" TALLY_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	/* an admin's http_proxy must not carry a loopback health check away */
	if (!use_proxy)
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (unix_path != NULL && unix_path[0] != '\0')
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, unix_path);
	if (json != NULL) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &us);
		out->ms = (long)(us / 1000);
	} else if (out->error[0] == '\0') {
		snprintf(out->error, sizeof(out->error), "%s",
		    curl_easy_strerror(cc));
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	strbuf_release(&body);
	return cc == CURLE_OK ? 0 : TALLY_EUNAVAIL;
}

/* ---- status ------------------------------------------------------------------- */

enum check_state { CHECK_OK, CHECK_WARN, CHECK_FAIL, CHECK_NONE };

static const char *const check_names[] = {
	[CHECK_OK] = "ok",
	[CHECK_WARN] = "warn",
	[CHECK_FAIL] = "fail",
	[CHECK_NONE] = "-",
};

struct status {
	const struct config *cfg;
	json_t *root;		/* every fact, for --json */
	struct strbuf text;	/* the summary lines, for people */
	enum check_state worst;
	struct table *programs;
};

/*
 * One line of the summary: a check's name, its state and what a person
 * should read; facts (owned by the callee) are the same for --json.
 */
static void status_add(struct status *st, const char *name,
    enum check_state s, json_t *facts, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
status_add(struct status *st, const char *name, enum check_state s,
    json_t *facts, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_object_set_new(facts, "state", json_string(check_names[s]));
	json_object_set_new(facts, "summary", json_string(line));
	json_object_set_new(st->root, name, facts);
	strbuf_addf(&st->text, "%-10s %-5s %s\n", name, check_names[s], line);
	if (s != CHECK_NONE && (st->worst == CHECK_NONE || s > st->worst))
		st->worst = s;
}

/* "42 s", "5 min", "3 h", "2 d" */
static void
age_text(long long secs, char *buf, size_t n)
{
	if (secs < 120)
		snprintf(buf, n, "%lld s", secs < 0 ? 0 : secs);
	else if (secs < 2 * 3600)
		snprintf(buf, n, "%lld min", secs / 60);
	else if (secs < 2 * 86400)
		snprintf(buf, n, "%lld h", secs / 3600);
	else
		snprintf(buf, n, "%lld d", secs / 86400);
}

static json_t *
json_ll_or_null(const PGresult *res, int row, int col)
{
	const char *v = db_value(res, row, col);

	return v != NULL ? json_integer(strtoll(v, NULL, 10)) : json_null();
}

static json_t *
json_str_or_null(const char *v)
{
	return v != NULL ? json_string(v) : json_null();
}

static void
status_receiver(struct status *st)
{
	struct strbuf url = STRBUF_INIT, sock = STRBUF_INIT;
	struct http_result r;
	json_t *facts = json_object();

	if (ctl_ops_health_url(st->cfg->listen, &url, &sock) != 0) {
		status_add(st, "receiver", CHECK_FAIL, facts,
		    "cannot tell where it listens from listen = %s",
		    st->cfg->listen);
		goto out;
	}
	json_object_set_new(facts, "url", json_string(strbuf_str(&url)));
	if (sock.len > 0)
		json_object_set_new(facts, "socket", json_string(sock.buf));
	http_exchange(strbuf_str(&url), strbuf_str(&sock), NULL,
	    HEALTH_TIMEOUT_MS, false, &r);
	json_object_set_new(facts, "http_status", r.status > 0 ?
	    json_integer(r.status) : json_null());
	if (r.status == 0) {
		json_object_set_new(facts, "error", json_string(r.error));
		status_add(st, "receiver", CHECK_FAIL, facts, "%s: no answer (%s)",
		    strbuf_str(&url), r.error);
	} else if (r.status >= 200 && r.status < 300) {
		json_object_set_new(facts, "ms", json_integer(r.ms));
		status_add(st, "receiver", CHECK_OK, facts,
		    "%s answered %ld in %ld ms", strbuf_str(&url), r.status, r.ms);
	} else {
		status_add(st, "receiver", CHECK_FAIL, facts,
		    "%s answered %ld%s", strbuf_str(&url), r.status,
		    r.status == 503 ? " (it cannot reach the database)" : "");
	}
out:
	strbuf_release(&url);
	strbuf_release(&sock);
}

static int
status_events(struct status *st, struct db *db)
{
	PGresult *res = NULL;
	json_t *facts;
	long long waiting, oldest, failed;
	char age[32] = "";
	enum check_state s = CHECK_OK;
	int rc;

	/* both counts use the partial indexes on status of 001_core.sql */
	rc = db_query(db, &res,
	    "SELECT (SELECT count(*) FROM raw_events WHERE status = 'NEW'),"
	    " (SELECT extract(epoch FROM now() - min(received_at))::bigint"
	    "    FROM raw_events WHERE status = 'NEW'),"
	    " (SELECT count(*) FROM raw_events WHERE status = 'FAILED')", 0, NULL);
	if (rc != 0)
		return rc;
	waiting = db_value_ll(res, 0, 0, 0);
	oldest = db_value_ll(res, 0, 1, -1);
	failed = db_value_ll(res, 0, 2, 0);
	facts = json_pack("{s:I, s:o, s:I}", "waiting", (json_int_t)waiting,
	    "oldest_waiting_seconds", json_ll_or_null(res, 0, 1),
	    "failed", (json_int_t)failed);
	PQclear(res);
	/* tally-allocate runs every minute: ten minutes of waiting means it
	 * is not running, or not keeping up */
	if (waiting > 0 && oldest > 600)
		s = CHECK_WARN;
	if (failed > 0)
		s = CHECK_WARN;
	if (oldest >= 0)
		age_text(oldest, age, sizeof(age));
	status_add(st, "events", s, facts,
	    "%lld waiting%s%s%s; %lld failed%s", waiting,
	    waiting > 0 ? " (oldest " : "", age, waiting > 0 ? ")" : "",
	    failed, failed > 0 ? " (tallyctl event list --failed)" : "");
	return 0;
}

static int
status_pool(struct status *st, struct db *db)
{
	PGresult *res = NULL;
	json_t *facts;
	long long accounts, suspended, with_room, free_seats;
	int rc;

	rc = db_query(db, &res,
	    "SELECT count(*),"
	    " count(*) FILTER (WHERE status = 'SUSPENDED'),"
	    " count(*) FILTER (WHERE status = 'AVAILABLE'),"
	    " coalesce(sum(coalesce(max_seats, 1) - current_seats_used)"
	    "   FILTER (WHERE status <> 'SUSPENDED'), 0)"
	    " FROM pool_accounts", 0, NULL);
	if (rc != 0)
		return rc;
	accounts = db_value_ll(res, 0, 0, 0);
	suspended = db_value_ll(res, 0, 1, 0);
	with_room = db_value_ll(res, 0, 2, 0);
	free_seats = db_value_ll(res, 0, 3, 0);
	PQclear(res);
	facts = json_pack("{s:I, s:I, s:I, s:I, s:I}",
	    "free_seats", (json_int_t)free_seats,
	    "accounts", (json_int_t)accounts,
	    "accounts_with_room", (json_int_t)with_room,
	    "suspended", (json_int_t)suspended,
	    "threshold", (json_int_t)st->cfg->alert_seat_threshold);
	status_add(st, "pool",
	    free_seats < st->cfg->alert_seat_threshold ? CHECK_WARN : CHECK_OK,
	    facts, "%lld free seat%s (alert below %ld) on %lld of %lld "
	    "accounts; %lld suspended", free_seats, free_seats == 1 ? "" : "s",
	    st->cfg->alert_seat_threshold, with_room, accounts, suspended);
	return 0;
}

static int
status_orders(struct status *st, struct db *db)
{
	PGresult *res = NULL;
	char sla[32], age[32] = "";
	const char *params[1] = { sla };
	json_t *facts;
	long long n, late, oldest;
	int rc;

	snprintf(sla, sizeof(sla), "%ld", st->cfg->fulfil_sla_minutes);
	rc = db_query(db, &res,
	    "SELECT count(*),"
	    " count(*) FILTER (WHERE coalesce(o.paid_at, o.created_at)"
	    "   < now() - make_interval(mins => $1::integer)),"
	    " extract(epoch FROM now() - min(coalesce(o.paid_at, o.created_at)))"
	    "   ::bigint"
	    " FROM orders o WHERE o.status = 'PAID'"
	    "  AND NOT EXISTS (SELECT 1 FROM fulfilments f WHERE f.order_id = o.id)",
	    1, params);
	if (rc != 0)
		return rc;
	n = db_value_ll(res, 0, 0, 0);
	late = db_value_ll(res, 0, 1, 0);
	oldest = db_value_ll(res, 0, 2, -1);
	facts = json_pack("{s:I, s:I, s:I, s:o}", "unfulfilled", (json_int_t)n,
	    "late", (json_int_t)late, "sla_minutes",
	    (json_int_t)st->cfg->fulfil_sla_minutes,
	    "oldest_seconds", json_ll_or_null(res, 0, 2));
	PQclear(res);
	if (oldest >= 0)
		age_text(oldest, age, sizeof(age));
	if (n == 0)
		status_add(st, "orders", CHECK_OK, facts,
		    "no paid order waits for its seat or credits");
	else
		status_add(st, "orders", late > 0 ? CHECK_WARN : CHECK_OK, facts,
		    "%lld paid, not fulfilled; %lld for more than %ld min "
		    "(oldest %s)", n, late, st->cfg->fulfil_sla_minutes, age);
	return 0;
}

static int
table_exists(struct db *db, const char *table, bool *yes)
{
	const char *params[1] = { table };
	char *v = NULL;
	int rc;

	rc = db_query_value(db, &v, "SELECT (to_regclass($1) IS NOT NULL)::text",
	    1, params);
	*yes = rc == 0 && v != NULL && strcmp(v, "true") == 0;
	free(v);
	return rc;
}

/* info < warning < error, as reconcile_severity orders them */
static int
severity_rank(const char *s)
{
	return strcmp(s, "error") == 0 ? 2 : strcmp(s, "warning") == 0 ? 1 : 0;
}

/*
 * Open reconcile cases (sql/030_reconcile.sql), by severity.  The check
 * warns at the severity from which tally-reconcile itself exits 1
 * (reconcile_severity), so both tell the same story.  A database from
 * before that migration has no such table: nothing to say.
 */
static int
status_reconcile(struct status *st, struct db *db)
{
	PGresult *res = NULL;
	long long open, err, warn, info, accepted, over;
	int rank = severity_rank(st->cfg->reconcile_severity);
	bool exists;
	int rc;

	rc = table_exists(db, "reconcile_cases", &exists);
	if (rc != 0)
		return rc;
	if (!exists) {
		status_add(st, "reconcile", CHECK_NONE, json_object(),
		    "no reconcile_cases table in this database");
		return 0;
	}
	rc = db_query(db, &res,
	    "SELECT count(*) FILTER (WHERE status = 'OPEN'),"
	    " count(*) FILTER (WHERE status = 'OPEN' AND severity = 'error'),"
	    " count(*) FILTER (WHERE status = 'OPEN' AND severity = 'warning'),"
	    " count(*) FILTER (WHERE status = 'OPEN' AND severity = 'info'),"
	    " count(*) FILTER (WHERE status = 'ACCEPTED')"
	    " FROM reconcile_cases WHERE status <> 'CLOSED'", 0, NULL);
	if (rc != 0)
		return rc;
	open = db_value_ll(res, 0, 0, 0);
	err = db_value_ll(res, 0, 1, 0);
	warn = db_value_ll(res, 0, 2, 0);
	info = db_value_ll(res, 0, 3, 0);
	accepted = db_value_ll(res, 0, 4, 0);
	PQclear(res);
	over = err + (rank <= 1 ? warn : 0) + (rank == 0 ? info : 0);
	status_add(st, "reconcile", over > 0 ? CHECK_WARN : CHECK_OK,
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:s}", "open", (json_int_t)open,
	    "error", (json_int_t)err, "warning", (json_int_t)warn,
	    "info", (json_int_t)info, "accepted", (json_int_t)accepted,
	    "severity_threshold", st->cfg->reconcile_severity),
	    "%lld open case%s (%lld error, %lld warning, %lld info); %lld "
	    "accepted%s", open, open == 1 ? "" : "s", err, warn, info, accepted,
	    open > 0 ? " (tallyctl case list --open)" : "");
	return 0;
}

/*
 * Alerts (sql/010_allocate.sql): those firing now, and those whose
 * delivery to alert_url keeps failing.
 */
static int
status_alerts(struct status *st, struct db *db)
{
	PGresult *res = NULL;
	long long firing, pending;
	const char *keys, *error;
	bool exists;
	int rc;

	rc = table_exists(db, "alerts", &exists);
	if (rc != 0)
		return rc;
	if (!exists) {
		status_add(st, "alerts", CHECK_NONE, json_object(),
		    "no alerts table in this database");
		return 0;
	}
	rc = db_query(db, &res,
	    "SELECT count(*) FILTER (WHERE active),"
	    " array_to_string((array_agg(key ORDER BY key)"
	    "   FILTER (WHERE active))[1:3], ', '),"
	    " count(*) FILTER (WHERE delivery_pending),"
	    " (array_agg(last_error ORDER BY updated_at DESC)"
	    "   FILTER (WHERE delivery_pending AND last_error IS NOT NULL))[1]"
	    " FROM alerts", 0, NULL);
	if (rc != 0)
		return rc;
	firing = db_value_ll(res, 0, 0, 0);
	keys = db_value(res, 0, 1);
	pending = db_value_ll(res, 0, 2, 0);
	error = db_value(res, 0, 3);
	status_add(st, "alerts", firing + pending > 0 ? CHECK_WARN : CHECK_OK,
	    json_pack("{s:I, s:I, s:o}", "firing", (json_int_t)firing,
	    "undelivered", (json_int_t)pending,
	    "last_delivery_error", json_str_or_null(error)),
	    "%lld firing%s%s%s; %lld undelivered%s%s", firing,
	    keys != NULL ? " (" : "", keys != NULL ? keys : "",
	    keys != NULL ? (firing > 3 ? ", ...)" : ")") : "", pending,
	    error != NULL ? ": " : "", error != NULL ? error : "");
	PQclear(res);
	return 0;
}

/* The programs systemd runs, and how often: a program whose last run is
 * much older than that has stopped running (a disabled timer, a crash
 * that left its job_runs row RUNNING). */
static const struct scheduled {
	const char *program;
	long every;		/* seconds between timer runs */
} scheduled[] = {
	{ "tally-allocate", 60 },
	{ "tally-expire", 300 },
	{ "tally-reconcile", 86400 },
	{ "tally-model-stats", 86400 },
	{ "tally-backup", 86400 },
	{ "tally-weekly-report", 7 * 86400 },
	{ "tally-monthly-review", 31 * 86400 },
};

static long
overdue_after(const char *program)
{
	size_t i;
	long every;

	for (i = 0; i < sizeof(scheduled) / sizeof(scheduled[0]); i++)
		if (strcmp(scheduled[i].program, program) == 0) {
			every = scheduled[i].every;
			/* three periods, and at least the period plus an
			 * hour for the timers' randomised delays */
			return every * 3 > every + 3600 ? every * 3 : every + 3600;
		}
	return 0;
}

/* Cut s to at most max bytes on a UTF-8 character boundary, marking the
 * cut with "..."; the text table escapes the rest. */
static void
shorten(struct strbuf *out, const char *s, size_t max)
{
	size_t n = strlen(s);

	strbuf_reset(out);
	if (n <= max) {
		strbuf_addstr(out, s);
		return;
	}
	n = max - 3;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	strbuf_add(out, s, n);
	strbuf_addstr(out, "...");
}

static const char programs_sql[] =
    /* every program that ever ran, found by skipping through the
     * (program, started_at) index instead of reading every run */
    "WITH RECURSIVE seen(program) AS ("
    "  (SELECT program FROM job_runs ORDER BY program LIMIT 1)"
    "  UNION ALL"
    "  SELECT (SELECT j.program FROM job_runs j WHERE j.program > s.program"
    "           ORDER BY j.program LIMIT 1)"
    "    FROM seen s WHERE s.program IS NOT NULL),"
    " names AS ("
    "  SELECT program FROM seen WHERE program IS NOT NULL"
    "  UNION SELECT unnest($1::text[]))"
    " SELECT n.program, r.status,"
    "  to_char(r.started_at, 'YYYY-MM-DD HH24:MI'),"
    "  to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "  to_char(r.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "  extract(epoch FROM now() - r.started_at)::bigint,"
    "  round(extract(epoch FROM r.finished_at - r.started_at)::numeric, 1)::text,"
    "  r.message,"
    "  to_char(ok.at, 'YYYY-MM-DD HH24:MI'),"
    "  to_char(ok.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM names n"
    " LEFT JOIN LATERAL (SELECT j.status, j.started_at, j.finished_at, j.message"
    "   FROM job_runs j WHERE j.program = n.program"
    "   ORDER BY j.started_at DESC LIMIT 1) r ON true"
    " LEFT JOIN LATERAL (SELECT max(j.started_at) AS at FROM job_runs j"
    "   WHERE j.program = n.program AND j.status = 'OK') ok ON true"
    " ORDER BY n.program";

static int
status_programs(struct status *st, struct db *db)
{
	struct strbuf names = STRBUF_INIT, note = STRBUF_INIT, last = STRBUF_INIT;
	const char *params[1];
	PGresult *res = NULL;
	json_t *list = json_array(), *facts, *run;
	int rc, i, nfail = 0, nwarn = 0, nnever = 0;
	size_t k;

	strbuf_addch(&names, '{');
	for (k = 0; k < sizeof(scheduled) / sizeof(scheduled[0]); k++)
		strbuf_addf(&names, "%s%s", k > 0 ? "," : "", scheduled[k].program);
	strbuf_addch(&names, '}');
	params[0] = names.buf;
	rc = db_query(db, &res, programs_sql, 1, params);
	strbuf_release(&names);
	if (rc != 0) {
		json_decref(list);
		return rc;
	}
	st->programs = table_new(7);
	table_set_column(st->programs, 0, "program", TABLE_STRING);
	table_set_column(st->programs, 1, "state", TABLE_STRING);
	table_set_column(st->programs, 2, "last run", TABLE_STRING);
	table_set_column(st->programs, 3, "result", TABLE_STRING);
	table_set_column(st->programs, 4, "took s", TABLE_NUMBER);
	table_set_column(st->programs, 5, "last success", TABLE_STRING);
	table_set_column(st->programs, 6, "note", TABLE_STRING);
	for (i = 0; i < PQntuples(res); i++) {
		const char *program = db_value(res, i, 0);
		const char *status = db_value(res, i, 1);
		const char *message = db_value(res, i, 7);
		long long age = db_value_ll(res, i, 5, -1);
		long limit = overdue_after(program);
		bool overdue = status != NULL && limit > 0 && age > limit;
		enum check_state s = CHECK_OK;
		char agebuf[32] = "";
		const char *cells[7];

		if (status == NULL) {
			s = CHECK_NONE;
			nnever++;
		} else if (strcmp(status, "FAILED") == 0) {
			s = CHECK_FAIL;
		} else if (strcmp(status, "PROBLEMS") == 0 || overdue) {
			s = CHECK_WARN;
		}
		if (s == CHECK_FAIL)
			nfail++;
		else if (s == CHECK_WARN)
			nwarn++;
		strbuf_reset(&last);
		if (status != NULL) {
			age_text(age, agebuf, sizeof(agebuf));
			strbuf_addf(&last, "%s (%s ago)", db_value(res, i, 2), agebuf);
		}
		strbuf_reset(&note);
		if (overdue) {
			age_text(limit, agebuf, sizeof(agebuf));
			strbuf_addf(&note, "overdue: no run for %s", agebuf);
		}
		if (message != NULL) {
			struct strbuf cut = STRBUF_INIT;

			shorten(&cut, message, 60);
			strbuf_addf(&note, "%s%s", note.len > 0 ? "; " : "", cut.buf);
			strbuf_release(&cut);
		}
		cells[0] = program;
		cells[1] = check_names[s];
		cells[2] = status != NULL ? last.buf : "never";
		cells[3] = status;
		cells[4] = db_value(res, i, 6);
		cells[5] = db_value(res, i, 8);
		cells[6] = note.len > 0 ? note.buf : NULL;
		table_add_row(st->programs, cells);

		run = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:b}",
		    "program", program, "state", check_names[s],
		    "status", json_str_or_null(status),
		    "started_at", json_str_or_null(db_value(res, i, 3)),
		    "finished_at", json_str_or_null(db_value(res, i, 4)),
		    "seconds", db_value(res, i, 6) != NULL ?
		    json_real(strtod(db_value(res, i, 6), NULL)) : json_null(),
		    "message", json_str_or_null(message),
		    "last_success", json_str_or_null(db_value(res, i, 9)),
		    "overdue", overdue);
		json_array_append_new(list, run);
	}
	PQclear(res);
	strbuf_release(&note);
	strbuf_release(&last);
	facts = json_object();
	json_object_set_new(facts, "runs", list);
	status_add(st, "programs",
	    nfail > 0 ? CHECK_FAIL : nwarn > 0 ? CHECK_WARN : CHECK_OK, facts,
	    "%d failed, %d need a look, %d never ran (table below)",
	    nfail, nwarn, nnever);
	return 0;
}

/* Everything that needs the database, in one read-only snapshot so the
 * figures agree with each other. */
static int
status_database(struct status *st, struct db *db)
{
	const char *params[1] = { st->cfg->tz };
	char *version = NULL;
	int rc;

	rc = db_begin(db, DB_REPEATABLE_READ_RO);
	if (rc != 0)
		return rc;
	/* times for people in the report time zone; a zone PostgreSQL does
	 * not know is a configuration error, said as such */
	rc = db_query_value(db, &version,
	    "SELECT set_config('timezone', $1, true)", 1, params);
	free(version);
	version = NULL;
	if (rc != 0) {
		log_err("tz = %s: %s", st->cfg->tz, db_errmsg(db));
		db_rollback(db);
		return TALLY_ECONFIG;
	}
	rc = db_query_value(db, &version, "SELECT current_setting('server_version')",
	    0, NULL);
	if (rc == 0)
		status_add(st, "database", CHECK_OK,
		    json_pack("{s:s, s:s}", "database", PQdb(db_conn(db)),
		    "server_version", version != NULL ? version : ""),
		    "%s, PostgreSQL %s", PQdb(db_conn(db)),
		    version != NULL ? version : "?");
	free(version);
	if (rc == 0)
		rc = status_events(st, db);
	if (rc == 0)
		rc = status_pool(st, db);
	if (rc == 0)
		rc = status_orders(st, db);
	if (rc == 0)
		rc = status_reconcile(st, db);
	if (rc == 0)
		rc = status_alerts(st, db);
	if (rc == 0)
		rc = status_programs(st, db);
	if (rc != 0)
		log_err("status: %s", db_errmsg(db));
	db_rollback(db);
	return rc;
}

static const char status_usage[] =
    "usage: tallyctl status [-c FILE] [--json]\n"
    "  tally at a glance, one line per check with its state (ok, warn,\n"
    "  fail, or - when it does not apply), then the last run of every\n"
    "  program:\n"
    "    receiver   GET /healthz where tally.conf's listen says (2 s)\n"
    "    database   reachable, and which\n"
    "    events     raw events waiting for tally-allocate, and failed ones\n"
    "    pool       free seats, against alert_seat_threshold\n"
    "    orders     paid orders without their seat or credits, and those\n"
    "               older than fulfil_sla_minutes\n"
    "    reconcile  open reconcile cases, warning from reconcile_severity\n"
    "    alerts     alerts firing, and alerts alert_url did not take\n"
    "    programs   job_runs: the last run of each program and its result,\n"
    "               the last success, and whether a scheduled one is overdue\n"
    "  --json  the same facts as one JSON object\n"
    "  Exit 0 when every check is ok, 1 when one wants attention, 69 when\n"
    "  the database cannot be reached, 78 for a bad configuration.\n";

int
ctl_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	struct status st;
	struct db *db = NULL;
	const char *path = NULL;
	bool json = false;
	char at[32];
	time_t now = time(NULL);
	struct tm tm;
	int c, rc, code;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(status_usage, stdout);
			return EX_OK;
		default:
			fputs(status_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tallyctl status: unexpected '%s'\n%s",
		    argv[optind], status_usage);
		return EX_USAGE;
	}
	rc = config_load(&cfg, path, &err);
	if (rc != 0) {
		fputs(strbuf_str(&err), stderr);
		strbuf_release(&err);
		config_free(&cfg);
		return tally_exit_code(rc);
	}
	memset(&st, 0, sizeof(st));
	st.cfg = &cfg;
	st.root = json_object();
	st.worst = CHECK_NONE;
	strbuf_init(&st.text);
	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(st.root, "at", json_string(at));

	curl_global_init(CURL_GLOBAL_DEFAULT);
	status_receiver(&st);
	curl_global_cleanup();
	/* the status of a tally whose database is down is still worth
	 * printing: the receiver line says whether webhooks are refused */
	rc = db_connect(&db, "tallyctl-status", "tally_report");
	if (rc != 0)
		status_add(&st, "database", CHECK_FAIL, json_object(),
		    "%s (see the message above)", tally_strerror(rc));
	else
		rc = status_database(&st, db);
	db_free(db);

	json_object_set_new(st.root, "state",
	    json_string(check_names[st.worst == CHECK_NONE ? CHECK_OK : st.worst]));
	if (json) {
		if (json_dumpf(st.root, stdout, JSON_INDENT(2)) != 0)
			rc = rc != 0 ? rc : TALLY_EIO;
		putchar('\n');
	} else {
		fputs(strbuf_str(&st.text), stdout);
		if (st.programs != NULL) {
			putchar('\n');
			if (table_write(st.programs, stdout, TABLE_TEXT) != 0)
				rc = rc != 0 ? rc : TALLY_EIO;
		}
	}
	if (fflush(stdout) != 0 && rc == 0)
		rc = TALLY_EIO;

	if (rc != 0)
		code = tally_exit_code(rc);
	else
		code = st.worst == CHECK_WARN || st.worst == CHECK_FAIL ? 1 : EX_OK;
	table_free(st.programs);
	json_decref(st.root);
	strbuf_release(&st.text);
	strbuf_release(&err);
	config_free(&cfg);
	return code;
}

/* ---- alert-failed -------------------------------------------------------------- */

/* A systemd unit name: what systemd itself allows, and never a path. */
static bool
valid_unit_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255 || s[0] == '.')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(":-_.\\@", *s) == NULL)
			return false;
	return true;
}

/* What a sysexits status means, for the people reading the alert. */
static const char *
exit_meaning(const char *status)
{
	static const struct {
		int code;
		const char *meaning;
	} meanings[] = {
		{ 1, "done, but found problems" },
		{ 64, "usage error" },
		{ 65, "bad input data" },
		{ 69, "database or service unavailable" },
		{ 70, "internal error" },
		{ 73, "cannot create output" },
		{ 75, "temporary failure, or another run holds the lock" },
		{ 78, "configuration error" },
	};
	char *end;
	long v;
	size_t i;

	if (status == NULL)
		return NULL;
	v = strtol(status, &end, 10);
	if (end == status || *end != '\0')
		return NULL;
	for (i = 0; i < sizeof(meanings) / sizeof(meanings[0]); i++)
		if (meanings[i].code == v)
			return meanings[i].meaning;
	return NULL;
}

/* The program's last job_runs row, when the database answers: NULL (and
 * a note in why) when it does not, which is often why the unit failed. */
static json_t *
last_run(const char *program, struct strbuf *why)
{
	const char *params[1] = { program };
	struct db *db = NULL;
	PGresult *res = NULL;
	json_t *run = NULL;

	if (db_connect(&db, "tallyctl-alert", "tally_report") != 0) {
		strbuf_addstr(why, "the database does not answer");
		return NULL;
	}
	if (db_query(db, &res,
	    "SELECT status, message,"
	    "  to_char(started_at AT TIME ZONE 'UTC',"
	    "   'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    "  to_char(finished_at AT TIME ZONE 'UTC',"
	    "   'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	    " FROM job_runs WHERE program = $1"
	    " ORDER BY started_at DESC LIMIT 1", 1, params) != 0) {
		strbuf_addf(why, "job_runs cannot be read: %s", db_errmsg(db));
	} else if (PQntuples(res) == 0) {
		strbuf_addf(why, "%s has no run in job_runs", program);
	} else {
		run = json_pack("{s:s, s:o, s:o, s:o}",
		    "status", db_value(res, 0, 0),
		    "message", json_str_or_null(db_value(res, 0, 1)),
		    "started_at", json_str_or_null(db_value(res, 0, 2)),
		    "finished_at", json_str_or_null(db_value(res, 0, 3)));
	}
	PQclear(res);
	db_free(db);
	return run;
}

/* Where the time of a unit's last alert is kept: $STATE_DIRECTORY (the
 * unit's StateDirectory=, the first of several) or $TALLY_HOME. */
static void
alert_state_path(const char *unit, struct strbuf *dir, struct strbuf *file)
{
	const char *sd = getenv("STATE_DIRECTORY");
	char *home;

	if (sd != NULL && sd[0] != '\0') {
		strbuf_add(dir, sd, strcspn(sd, ":"));
	} else {
		home = pgembed_home();
		strbuf_addstr(dir, home);
		free(home);
	}
	strbuf_addstr(dir, "/alerts");
	strbuf_addf(file, "%s/%s", dir->buf, unit);
}

/* Whether unit was alerted less than repeat minutes ago. */
static bool
alerted_recently(const char *file, long repeat, time_t now, time_t *when)
{
	struct stat sb;

	if (repeat == 0 || stat(file, &sb) != 0)
		return false;
	*when = sb.st_mtime;
	return sb.st_mtime > now - repeat * 60 && sb.st_mtime <= now;
}

static void
remember_alert(const char *dir, const char *file, const char *at)
{
	FILE *f;

	if (mkdir_p(dir, 0750) != 0 || (f = fopen(file, "w")) == NULL) {
		log_warning("%s: %s: the next failure will be alerted again",
		    file, strerror(errno));
		return;
	}
	fprintf(f, "%s\n", at);
	if (fclose(f) != 0)
		log_warning("%s: %s", file, strerror(errno));
}

static const char alert_usage[] =
    "usage: tallyctl alert-failed [-c FILE] [--repeat MINUTES] UNIT\n"
    "  tell someone that systemd unit UNIT failed: POST a JSON message\n"
    "  {\"text\": ..., \"unit\": ..., \"host\": ..., \"exit_status\": ...,\n"
    "  \"last_run\": {...}} to tally.conf's alert_url (a chat webhook that\n"
    "  takes a \"text\" field), or only log it when alert_url is empty.\n"
    "  Run by tally-alert@UNIT.service, which every tally unit names in\n"
    "  OnFailure=; systemd's MONITOR_SERVICE_RESULT, MONITOR_EXIT_CODE and\n"
    "  MONITOR_EXIT_STATUS say how it failed, and the program's last\n"
    "  job_runs row what it was doing.\n"
    "  --repeat MINUTES  a unit alerted less than MINUTES ago is only\n"
    "                    logged (default 60; 0 posts every failure).  The\n"
    "                    time is kept in $STATE_DIRECTORY/alerts/UNIT\n"
    "                    ($TALLY_HOME/alerts outside systemd)\n"
    "  Exit 0 when the alert was posted or only logged, 69 when alert_url\n"
    "  did not take it (the next failure tries again).\n";

struct alert {
	const char *unit;
	long repeat;
	const char *config_path;
};

static int
alert_send(const struct alert *a, const struct config *cfg)
{
	const char *result = getenv("MONITOR_SERVICE_RESULT");
	const char *code = getenv("MONITOR_EXIT_CODE");
	const char *status = getenv("MONITOR_EXIT_STATUS");
	const char *inv = getenv("MONITOR_INVOCATION_ID");
	const char *meaning = exit_meaning(status);
	struct strbuf program = STRBUF_INIT, text = STRBUF_INIT,
	    why = STRBUF_INIT, dir = STRBUF_INIT, file = STRBUF_INIT;
	char host[256] = "", at[32];
	size_t n = strlen(a->unit);
	json_t *run, *payload;
	char *body = NULL;
	struct http_result r;
	time_t now = time(NULL), before = 0;
	struct tm tm;
	int rc = 0;

	gethostname(host, sizeof(host) - 1);
	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* tally-allocate.service records its runs as tally-allocate */
	strbuf_add(&program, a->unit, n > 8 && strcmp(a->unit + n - 8,
	    ".service") == 0 ? n - 8 : n);
	run = last_run(program.buf, &why);

	strbuf_addf(&text, "%s failed on %s", a->unit, host);
	/* MONITOR_SERVICE_RESULT says why systemd gave up (exit-code,
	 * timeout, watchdog, ...); MONITOR_EXIT_CODE how the process ended
	 * (exited, killed, dumped) and MONITOR_EXIT_STATUS with what */
	if (result != NULL && strcmp(result, "exit-code") != 0)
		strbuf_addf(&text, ": %s", result);
	if (code != NULL && status != NULL && strcmp(code, "exited") == 0)
		strbuf_addf(&text, "%s exited with status %s%s%s%s",
		    result != NULL && strcmp(result, "exit-code") != 0 ? "," : ":",
		    status, meaning != NULL ? " (" : "",
		    meaning != NULL ? meaning : "", meaning != NULL ? ")" : "");
	else if (code != NULL && status != NULL)
		strbuf_addf(&text, "%s %s by signal %s",
		    result != NULL && strcmp(result, "exit-code") != 0 ? "," : ":",
		    code, status);
	if (run != NULL) {
		const char *msg = json_string_value(json_object_get(run, "message"));
		const char *started = json_string_value(json_object_get(run,
		    "started_at"));

		strbuf_addf(&text, ". Its last job_runs row: %s, started %s",
		    json_string_value(json_object_get(run, "status")),
		    started != NULL ? started : "?");
		if (msg != NULL)
			strbuf_addf(&text, ": %s", msg);
	} else {
		strbuf_addf(&text, ". Last run unknown: %s", why.buf);
	}
	strbuf_addf(&text, ". Logs: journalctl -u %s", a->unit);
	if (inv != NULL)
		strbuf_addf(&text, " _SYSTEMD_INVOCATION_ID=%s", inv);

	payload = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
	    "text", text.buf, "event", "unit_failed", "unit", a->unit,
	    "host", host, "at", at,
	    "result", json_str_or_null(result),
	    "exit_code", json_str_or_null(code),
	    "exit_status", json_str_or_null(status),
	    "invocation_id", json_str_or_null(inv),
	    "last_run", run != NULL ? run : json_null());
	body = json_dumps(payload, JSON_COMPACT);

	alert_state_path(a->unit, &dir, &file);
	if (cfg->alert_url == NULL || cfg->alert_url[0] == '\0') {
		log_warning("alert (no alert_url configured): %s", text.buf);
	} else if (alerted_recently(file.buf, a->repeat, now, &before)) {
		gmtime_r(&before, &tm);
		strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S UTC", &tm);
		log_notice("alert not posted again (last one %s, --repeat %ld "
		    "min): %s", at, a->repeat, text.buf);
	} else if (body == NULL) {
		rc = TALLY_ENOMEM;
	} else {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		/* alert_url carries a token in chat webhooks: never logged */
		http_exchange(cfg->alert_url, NULL, body, ALERT_TIMEOUT_MS, true,
		    &r);
		curl_global_cleanup();
		if (r.status >= 200 && r.status < 300) {
			log_notice("alert posted: %s", text.buf);
			remember_alert(dir.buf, file.buf, at);
		} else {
			if (r.status > 0)
				log_err("alert_url answered HTTP %ld; the alert "
				    "was: %s", r.status, text.buf);
			else
				log_err("alert_url cannot be reached (%s); the "
				    "alert was: %s", r.error, text.buf);
			rc = TALLY_EUNAVAIL;
		}
	}
	free(body);
	json_decref(payload);
	strbuf_release(&program);
	strbuf_release(&text);
	strbuf_release(&why);
	strbuf_release(&dir);
	strbuf_release(&file);
	return rc;
}

int
ctl_alert_failed(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct alert a = { NULL, ALERT_REPEAT_MINUTES, NULL };
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a.config_path = optarg;
			break;
		case 'r':
			if (parse_count("--repeat", optarg, 525600, &a.repeat) != 0)
				return EX_USAGE;
			break;
		case 'h':
			fputs(alert_usage, stdout);
			return EX_OK;
		default:
			fputs(alert_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind + 1 != argc || !valid_unit_name(argv[optind])) {
		if (optind + 1 == argc)
			fprintf(stderr, "tallyctl alert-failed: '%s' is not a "
			    "systemd unit name\n", argv[optind]);
		fputs(alert_usage, stderr);
		return EX_USAGE;
	}
	a.unit = argv[optind];
	rc = config_load(&cfg, a.config_path, &err);
	if (rc != 0) {
		/* the alert still reaches the journal, if nothing else */
		fputs(strbuf_str(&err), stderr);
		log_err("alert: %s failed (and tally.conf cannot be read to post "
		    "it)", a.unit);
	} else {
		rc = alert_send(&a, &cfg);
	}
	strbuf_release(&err);
	config_free(&cfg);
	return tally_exit_code(rc);
}
