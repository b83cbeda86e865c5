/*
 * pgchild.c - PostgreSQL's own programs (pg_dump, pg_restore, ...) run as
 * children, never through a shell: the connection string goes on their
 * command line without its password, which travels in the child's
 * environment (PGPASSWORD) only, so it never shows in ps.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/err.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "pg/db.h"
#include "pg/pgchild.h"

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

/* Between fork() and exec(): only async-signal-safe calls, no return. */
static void
child(const struct pgchild_spec *s, char **env)
{
	static const char cannot[] = "cannot run a PostgreSQL program\n";
	int null_fd, fd;

	/* initgroups() reads the group database: the one call here that is
	 * not async-signal-safe; we are single-threaded when we fork */
	if (s->user != NULL && (setgid(s->gid) != 0 ||
	    initgroups(s->user, s->gid) != 0 || setuid(s->uid) != 0))
		_exit(126);
	null_fd = open("/dev/null", O_RDWR);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
	    dup2(s->out_fd >= 0 ? s->out_fd : null_fd, STDOUT_FILENO) < 0)
		_exit(127);
	if (s->log_path != NULL) {
		fd = open(s->log_path, O_WRONLY | O_APPEND | O_CREAT, 0600);
		if (fd >= 0 && (dup2(fd, STDOUT_FILENO) < 0 ||
		    dup2(fd, STDERR_FILENO) < 0))
			_exit(127);
	}
	for (fd = 3; fd < 1024; fd++)
		close(fd);
	execve(s->argv[0], s->argv, env);
	/* the parent names the program */
	if (write(STDERR_FILENO, cannot, sizeof(cannot) - 1) < 0)
		_exit(127);
	_exit(127);
}

int
pgchild_spawn(const struct pgchild_spec *s)
{
	char **env = child_env(s->password);
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		log_err("cannot start %s: %s", s->argv[0], strerror(errno));
		free_child_env(env, s->password);
		return -1;
	}
	if (pid == 0)
		child(s, env);
	free_child_env(env, s->password);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			log_err("waiting for %s: %s", s->argv[0], strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		log_err("%s could not be run", s->argv[0]);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 126 && s->user != NULL)
		log_err("%s: cannot become user %s", s->argv[0], s->user);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	log_err("%s died of signal %d", s->argv[0], WTERMSIG(status));
	return -1;
}

int
pgchild_run(char *const argv[], const char *password, int out_fd)
{
	struct pgchild_spec s;

	memset(&s, 0, sizeof(s));
	s.argv = argv;
	s.password = password;
	s.out_fd = out_fd;
	return pgchild_spawn(&s);
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
	rc = pgchild_run(argv, NULL, fileno(tmp));
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
int
pgchild_find(const char *prog, int major, struct strbuf *path)
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
pgchild_conninfo(const char *conninfo, struct strbuf *out,
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

void
pgchild_free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* The conninfo and password for pg_dump / pg_restore: the same database
 * db_connect() uses. */
int
pgchild_connection(struct strbuf *conninfo, char **password)
{
	struct strbuf err = STRBUF_INIT;
	char *url = db_default_url();
	int rc;

	rc = pgchild_conninfo(url, conninfo, password, &err);
	if (rc != 0)
		log_err("TALLY_DATABASE_URL: %s", strbuf_str(&err));
	pgchild_free_secret(url);
	strbuf_release(&err);
	return rc;
}


int
pgchild_server_major(struct db *db)
{
	return PQserverVersion(db_conn(db)) / 10000;
}
