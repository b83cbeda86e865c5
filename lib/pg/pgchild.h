/*
 * pgchild.h - PostgreSQL's own programs (pg_dump, pg_restore, ...) run as
 * child processes, never through a shell, with the password only in the
 * child's environment.
 */
#ifndef TALLY_PGCHILD_H
#define TALLY_PGCHILD_H

#include "base/strbuf.h"
#include "pg/db.h"

#include <sys/types.h>

/* How one child runs (pgchild_spawn). */
struct pgchild_spec {
	char *const *argv;	/* argv[0]: an absolute path */
	const char *password;	/* PGPASSWORD in its environment only, or NULL */
	int out_fd;		/* its stdout; -1: /dev/null */
	/* stdout and stderr appended to this file instead (mode 0600),
	 * opened by the child as the user it runs as; NULL: none */
	const char *log_path;
	const char *user;	/* run as this user (uid, gid); NULL: as we are */
	uid_t uid;
	gid_t gid;
};

/*
 * Run s->argv, never through a shell: stdin from /dev/null, stderr ours
 * unless log_path, no descriptor of ours beyond those three (a server it
 * starts must not hold our callers' pipes open).  Returns the exit status,
 * or -1 when it could not run or died of a signal (logged).
 */
int pgchild_spawn(const struct pgchild_spec *s);

/* pgchild_spawn() of argv with password and out_fd, as we are. */
int pgchild_run(char *const argv[], const char *password, int out_fd);

/*
 * The path of PostgreSQL program prog whose major version is at least
 * major: $TALLY_PG_BIN, then Debian's /usr/lib/postgresql/N/bin, then
 * PATH.  TALLY_EMISSING (logged) when there is none.
 */
int pgchild_find(const char *prog, int major, struct strbuf *path);

/* The server's major version (15 for 15.4). */
int pgchild_server_major(struct db *db);

/*
 * The conninfo to hand a child program: conninfo (a keyword=value string
 * or a URI) as keyword='value' pairs without the password, which goes to
 * *password instead (NULL when there is none; caller frees it with
 * pgchild_free_secret()) so that it never appears on a command line.
 * Adds connect_timeout=10 unless set.  Returns 0, or TALLY_ECONFIG with
 * the reason in err.
 */
int pgchild_conninfo(const char *conninfo, struct strbuf *out,
    char **password, struct strbuf *err);

/* pgchild_conninfo() of the database db_connect() uses. */
int pgchild_connection(struct strbuf *conninfo, char **password);

/* Wipe and free a secret string (NULL is fine). */
void pgchild_free_secret(char *s);

#endif
