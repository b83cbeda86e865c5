#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
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
#include "pg/audit.h"
#include "pg/pgchild.h"
#include "pg/pgembed.h"
#include "pg/pgembed_int.h"
#include "base/strbuf.h"

char *
pgembed_home(void)
{
	const char *home = getenv("TALLY_HOME");
	char cwd[PATH_MAX];
	struct strbuf sb = STRBUF_INIT;

	if (home == NULL || home[0] == '\0')
		home = "var";
	if (home[0] == '/')
		return xstrdup(home);
	/* the socket path goes into a conninfo that any directory may use */
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(home);
	strbuf_addf(&sb, "%s/%s", cwd, home);
	return strbuf_detach(&sb, NULL);
}

char *
pgembed_socket_dir(const char *home)
{
	char *h = home != NULL ? xstrdup(home) : pgembed_home();
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/pg/run", h);
	free(h);
	return strbuf_detach(&sb, NULL);
}

void
pgembed_layout_free(struct pgembed_layout *l)
{
	free(l->home);
	free(l->pg);
	free(l->data);
	free(l->run);
	free(l->logdir);
	free(l->logfile);
}

static char *
joinpath(const char *a, const char *b)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/%s", a, b);
	return strbuf_detach(&sb, NULL);
}

static bool
is_exec(const char *dir, const char *prog)
{
	char *p = joinpath(dir, prog);
	bool ok = access(p, X_OK) == 0;

	free(p);
	return ok;
}

/* $TALLY_PG_BINDIR, else the newest /usr/lib/postgresql/N/bin with initdb. */
static int
find_bindir(struct pgembed_layout *l, struct strbuf *err)
{
	const char *env = getenv("TALLY_PG_BINDIR");
	const char *libdir;
	DIR *d;
	struct dirent *de;
	int best = -1, v;
	char *end;

	if (env != NULL && env[0] != '\0') {
		if (!is_exec(env, "initdb") || !is_exec(env, "pg_ctl")) {
			strbuf_addf(err, "TALLY_PG_BINDIR=%s has no initdb/pg_ctl", env);
			return TALLY_EMISSING;
		}
		snprintf(l->bindir, sizeof(l->bindir), "%s", env);
		return 0;
	}
	/* TALLY_PG_LIBDIR only exists so tests can show the message for a
	 * machine without PostgreSQL */
	libdir = getenv("TALLY_PG_LIBDIR");
	if (libdir == NULL || libdir[0] == '\0')
		libdir = "/usr/lib/postgresql";
	d = opendir(libdir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		v = (int)strtol(de->d_name, &end, 10);
		if (end == de->d_name || *end != '\0' || v <= best)
			continue;
		snprintf(l->bindir, sizeof(l->bindir), "%s/%d/bin", libdir, v);
		if (is_exec(l->bindir, "initdb") && is_exec(l->bindir, "pg_ctl"))
			best = v;
	}
	if (d != NULL)
		closedir(d);
	if (best < 0) {
		strbuf_addf(err, "PostgreSQL server binaries not found "
		    "(no %s/N/bin/initdb): install the Debian ", libdir);
		strbuf_addstr(err,
		    "package 'postgresql' (apt-get install postgresql), or set "
		    "TALLY_PG_BINDIR, or set TALLY_DATABASE_URL to use a server");
		return TALLY_EMISSING;
	}
	snprintf(l->bindir, sizeof(l->bindir), "%s/%d/bin", libdir, best);
	l->version = best;
	return 0;
}

int
pgembed_layout_init(struct pgembed_layout *l, const char *sub,
    struct strbuf *err)
{
	const char *user;
	struct passwd *pw;
	int rc;

	memset(l, 0, sizeof(*l));
	l->home = pgembed_home();
	l->pg = joinpath(l->home, sub);
	l->data = joinpath(l->pg, "data");
	l->run = joinpath(l->pg, "run");
	l->logdir = joinpath(l->pg, "log");
	l->logfile = joinpath(l->logdir, "postgresql.log");
	l->uid = getuid();
	l->gid = getgid();
	/* 107 bytes is the most a unix socket path may hold */
	if (strlen(l->run) + sizeof("/.s.PGSQL.5432") > 107) {
		strbuf_addf(err, "socket directory %s is too long for a unix "
		    "socket: set TALLY_HOME to a shorter path", l->run);
		return TALLY_ECONFIG;
	}
	rc = find_bindir(l, err);
	if (rc != 0)
		return rc;
	if (geteuid() == 0) {
		user = getenv("TALLY_PG_USER");
		if (user == NULL || user[0] == '\0')
			user = "postgres";
		pw = getpwnam(user);
		if (pw == NULL || pw->pw_uid == 0) {
			strbuf_addf(err, "running as root, but PostgreSQL refuses "
			    "to: no unprivileged user '%s' to run it as (create "
			    "one, or set TALLY_PG_USER to one, or run as a normal "
			    "user)", user);
			return TALLY_ECONFIG;
		}
		l->user = user;
		l->uid = pw->pw_uid;
		l->gid = pw->pw_gid;
	}
	return 0;
}

/*
 * Run argv (argv[0] an absolute path) as the server's user, stdout and
 * stderr appended to the cluster log (so a failure can be quoted from it).
 * Returns the exit status, or -1 if it could not run.
 */
int
pgembed_run_as(const struct pgembed_layout *l, char *const argv[], bool quiet)
{
	struct pgchild_spec s;

	memset(&s, 0, sizeof(s));
	s.argv = argv;
	s.out_fd = quiet ? -1 : STDOUT_FILENO;
	s.log_path = quiet ? l->logfile : NULL;
	s.user = l->user;
	s.uid = l->uid;
	s.gid = l->gid;
	return pgchild_spawn(&s);
}

int
pgembed_mkdir_owned(const struct pgembed_layout *l, const char *path,
    mode_t mode, struct strbuf *err)
{
	if (mkdir(path, mode) != 0 && errno != EEXIST) {
		strbuf_addf(err, "cannot create %s: %s", path, strerror(errno));
		return TALLY_ECONFIG;
	}
	if (l->user != NULL && chown(path, l->uid, l->gid) != 0) {
		strbuf_addf(err, "cannot give %s to user %s: %s", path, l->user,
		    strerror(errno));
		return TALLY_ECONFIG;
	}
	if (chmod(path, mode) != 0) {
		strbuf_addf(err, "cannot chmod %s: %s", path, strerror(errno));
		return TALLY_ECONFIG;
	}
	return 0;
}

/* The last few lines of the server log, for an error message. */
void
pgembed_log_tail(const struct pgembed_layout *l, struct strbuf *err)
{
	FILE *f = fopen(l->logfile, "r");
	char line[512], last[3][512];
	int n = 0, i;

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '\0')
			snprintf(last[n++ % 3], sizeof(last[0]), "%s", line);
	}
	fclose(f);
	for (i = n > 3 ? n - 3 : 0; i < n; i++)
		strbuf_addf(err, " | %s", last[i % 3]);
}

/* PG_VERSION of an existing cluster, or 0 when there is none. */
int
pgembed_data_version(const struct pgembed_layout *l)
{
	char *p = joinpath(l->data, "PG_VERSION");
	FILE *f = fopen(p, "r");
	int v = 0;

	free(p);
	if (f == NULL)
		return 0;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int
pgembed_write_settings(const struct pgembed_layout *l, const char *extra,
    struct strbuf *err)
{
	char *p = joinpath(l->data, "tally.conf");
	FILE *f = fopen(p, "w");
	int rc = 0;

	if (f == NULL) {
		strbuf_addf(err, "cannot write %s: %s", p, strerror(errno));
		free(p);
		return TALLY_ECONFIG;
	}
	/* rewritten at every start, so a moved $TALLY_HOME keeps working */
	fprintf(f, "# written by tallyctl db up at every start\n"
	    "listen_addresses = ''\n"
	    "unix_socket_directories = '%s'\n"
	    "unix_socket_permissions = 0700\n"
	    "port = %d\n"
	    "max_connections = 200\n"
	    "shared_buffers = 256MB\n"
	    "wal_buffers = 16MB\n"
	    "max_wal_size = 2GB\n"
	    "logging_collector = off\n"
	    "log_min_messages = warning\n"
	    "timezone = 'UTC'\n"
	    /* a standby (tallyctl db replica up) streams over the socket; a
	     * stopped one holds back at most this much WAL in its slot */
	    "wal_level = replica\n"
	    "max_wal_senders = 10\n"
	    "max_replication_slots = 10\n"
	    "max_slot_wal_keep_size = " PGEMBED_SLOT_KEEP "\n"
	    /* lets a standby tell it is idle, not behind (lib/pg/readdb.c) */
	    "track_commit_timestamp = on\n"
	    "%s", l->run, PGEMBED_PORT, extra != NULL ? extra : "");
	/* Throwaway test clusters only: durability costs a flush per commit
	 * and per CREATE DATABASE, and a test run never survives a crash
	 * anyway.  Never set for a cluster that holds real data (the
	 * benchmarks leave it unset too: they measure durable commits). */
	if (getenv("TALLY_PG_NO_FSYNC") != NULL)
		fputs("fsync = off\nsynchronous_commit = off\n"
		    "full_page_writes = off\n", f);
	if (fclose(f) != 0)
		rc = TALLY_ECONFIG;
	if (rc == 0 && l->user != NULL && chown(p, l->uid, l->gid) != 0)
		rc = TALLY_ECONFIG;
	if (rc != 0)
		strbuf_addf(err, "cannot write %s", p);
	free(p);
	return rc;
}

/* The roles the embedded cluster's OS user may log in as. */
static const char *const login_roles[] = {
	PGEMBED_SUPERUSER, "tally_receiver", "tally_batch", "tally_admin",
	"tally_admin_api", "tally_report",
};

static int
write_owned(const struct pgembed_layout *l, const char *name, const char *text,
    struct strbuf *err)
{
	char *p = joinpath(l->data, name);
	FILE *f = fopen(p, "w");
	int rc = 0;

	if (f == NULL || fputs(text, f) < 0)
		rc = TALLY_ECONFIG;
	if (f != NULL && fclose(f) != 0)
		rc = TALLY_ECONFIG;
	if (rc == 0 && l->user != NULL && chown(p, l->uid, l->gid) != 0)
		rc = TALLY_ECONFIG;
	if (rc == 0 && chmod(p, 0600) != 0)
		rc = TALLY_ECONFIG;
	if (rc != 0)
		strbuf_addf(err, "cannot write %s: %s", p, strerror(errno));
	free(p);
	return rc;
}

/*
 * Who may log in, rewritten at every start (an older cluster made with
 * --auth=trust is converted): the unix socket only, peer authentication,
 * and only the OS user that runs tallyctl db up may log in, as the owner or
 * as each program's role.  The socket directory (0700) already keeps other
 * users out; peer authentication makes the role name a claim the kernel
 * vouches for instead of a free choice.
 */
static int
write_auth(const struct pgembed_layout *l, struct strbuf *err)
{
	struct strbuf hba = STRBUF_INIT, ident = STRBUF_INIT;
	struct passwd *pw = getpwuid(geteuid());
	size_t i;
	int rc;

	if (pw == NULL || pw->pw_name == NULL) {
		strbuf_addf(err, "no user name for uid %u: peer authentication "
		    "needs one", (unsigned)geteuid());
		return TALLY_ECONFIG;
	}
	/* replication (tallyctl db replica): pg_basebackup and the standby's
	 * walreceiver run as the server's OS user and connect as the owner */
	strbuf_addstr(&hba, "# written by tallyctl db up at every start: unix "
	    "socket, peer authentication\n"
	    "local all all peer map=tally\n"
	    "local replication " PGEMBED_SUPERUSER " peer map=tally\n");
	strbuf_addstr(&ident, "# written by tallyctl db up at every start: the "
	    "OS user it ran as may log in as each tally role\n");
	for (i = 0; i < sizeof(login_roles) / sizeof(login_roles[0]); i++)
		strbuf_addf(&ident, "tally %s %s\n", pw->pw_name, login_roles[i]);
	if (l->user != NULL && strcmp(l->user, pw->pw_name) != 0)
		strbuf_addf(&ident, "tally %s %s\n", l->user, PGEMBED_SUPERUSER);
	rc = write_owned(l, "pg_hba.conf", strbuf_str(&hba), err);
	if (rc == 0)
		rc = write_owned(l, "pg_ident.conf", strbuf_str(&ident), err);
	strbuf_release(&hba);
	strbuf_release(&ident);
	return rc;
}

static int
initdb(const struct pgembed_layout *l, struct strbuf *err)
{
	char prog[PATH_MAX + 16];
	char *conf;
	FILE *f;
	int st;

	snprintf(prog, sizeof(prog), "%s/initdb", l->bindir);
	log_info("creating the embedded cluster in %s", l->data);
	{
		char *const argv[] = { prog, (char *)"-D", l->data,
			(char *)"-U", (char *)PGEMBED_SUPERUSER,
			(char *)"--auth-local=peer",
			(char *)"--auth-host=reject", (char *)"--encoding=UTF8",
			(char *)"--locale=C.UTF-8", (char *)"--no-instructions",
			NULL };
		st = pgembed_run_as(l, argv, true);
	}
	if (st != 0) {
		strbuf_addf(err, "initdb failed (exit %d) for %s", st, l->data);
		if (l->user != NULL)
			strbuf_addf(err, " as user %s: every directory above it "
			    "must be searchable by that user, or set TALLY_HOME "
			    "to one that is (e.g. /var/lib/tally)", l->user);
		pgembed_log_tail(l, err);
		return TALLY_ECONFIG;
	}
	conf = joinpath(l->data, "postgresql.conf");
	f = fopen(conf, "a");
	if (f == NULL || fputs("include_if_exists = 'tally.conf'\n", f) < 0 ||
	    fclose(f) != 0) {
		strbuf_addf(err, "cannot append to %s", conf);
		free(conf);
		return TALLY_ECONFIG;
	}
	free(conf);
	return 0;
}

static int
ctl_status(const struct pgembed_layout *l)
{
	char prog[PATH_MAX + 16];
	char *const argv[] = { prog, (char *)"status", (char *)"-D", l->data,
		NULL };

	snprintf(prog, sizeof(prog), "%s/pg_ctl", l->bindir);
	return pgembed_run_as(l, argv, true);
}

/* Is some other server already answering on our socket? */
static bool
socket_answers(const struct pgembed_layout *l)
{
	char conninfo[PATH_MAX + 64];

	snprintf(conninfo, sizeof(conninfo), "host=%s port=%d", l->run,
	    PGEMBED_PORT);
	return PQping(conninfo) == PQPING_OK;
}

static int
create_database(const struct pgembed_layout *l, struct strbuf *err)
{
	char conninfo[PATH_MAX + 128];
	PGconn *c;
	PGresult *r;
	const char *params[1] = { PGEMBED_DBNAME };
	int rc = 0;

	snprintf(conninfo, sizeof(conninfo),
	    "host=%s port=%d dbname=postgres user=%s", l->run, PGEMBED_PORT,
	    PGEMBED_SUPERUSER);
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		strbuf_addf(err, "embedded cluster started but refuses "
		    "connections: %s", PQerrorMessage(c));
		PQfinish(c);
		return TALLY_EUNAVAIL;
	}
	r = PQexecParams(c, "SELECT 1 FROM pg_database WHERE datname = $1", 1,
	    NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 0) {
		PQclear(r);
		/* an identifier cannot be a parameter; the name is ours */
		r = PQexec(c, "CREATE DATABASE " PGEMBED_DBNAME);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			strbuf_addf(err, "cannot create database %s: %s",
			    PGEMBED_DBNAME, PQerrorMessage(c));
			rc = TALLY_EUNAVAIL;
		} else {
			log_info("created database %s", PGEMBED_DBNAME);
		}
	} else if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		strbuf_addf(err, "cannot list databases: %s", PQerrorMessage(c));
		rc = TALLY_EUNAVAIL;
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

bool
pgembed_running(const struct pgembed_layout *l)
{
	return ctl_status(l) == 0;
}

int
pgembed_start(const struct pgembed_layout *l, struct strbuf *err)
{
	char prog[PATH_MAX + 16];
	char *const argv[] = { prog, (char *)"start", (char *)"-w",
		(char *)"-t", (char *)"60", (char *)"-D", l->data,
		(char *)"-l", l->logfile, NULL };
	int st;

	if (socket_answers(l)) {
		strbuf_addf(err, "another server already listens on "
		    "%s/.s.PGSQL.%d but it is not this cluster: stop it "
		    "or use another TALLY_HOME", l->run, PGEMBED_PORT);
		return TALLY_EUNAVAIL;
	}
	snprintf(prog, sizeof(prog), "%s/pg_ctl", l->bindir);
	st = pgembed_run_as(l, argv, true);
	if (st != 0) {
		strbuf_addf(err, "pg_ctl start failed (exit %d); server "
		    "log %s:", st, l->logfile);
		pgembed_log_tail(l, err);
		return TALLY_EUNAVAIL;
	}
	return 0;
}

int
pgembed_stop(const struct pgembed_layout *l, struct strbuf *err)
{
	char prog[PATH_MAX + 16];
	char *const argv[] = { prog, (char *)"stop", (char *)"-w",
		(char *)"-m", (char *)"fast", (char *)"-D", l->data, NULL };
	int st;

	snprintf(prog, sizeof(prog), "%s/pg_ctl", l->bindir);
	st = pgembed_run_as(l, argv, true);
	if (st != 0) {
		strbuf_addf(err, "pg_ctl stop failed (exit %d)", st);
		pgembed_log_tail(l, err);
		return TALLY_EUNAVAIL;
	}
	return 0;
}

int
pgembed_up(struct strbuf *err)
{
	struct pgembed_layout l;
	int rc, v;

	rc = pgembed_layout_init(&l, "pg", err);
	if (rc != 0)
		goto out;
	if ((rc = pgembed_mkdir_owned(&l, l.home, 0755, err)) != 0 ||
	    (rc = pgembed_mkdir_owned(&l, l.pg, 0700, err)) != 0 ||
	    (rc = pgembed_mkdir_owned(&l, l.logdir, 0700, err)) != 0 ||
	    (rc = pgembed_mkdir_owned(&l, l.run, 0700, err)) != 0)
		goto out;
	if (l.user != NULL && access(l.home, F_OK) == 0) {
		/* root may have created $TALLY_HOME itself with mode 0700 */
		struct stat st_home;

		if (stat(l.home, &st_home) == 0 && (st_home.st_mode & 0005) == 0)
			chmod(l.home, st_home.st_mode | 0005);
	}

	v = pgembed_data_version(&l);
	if (v == 0) {
		rc = initdb(&l, err);
		if (rc != 0)
			goto out;
	} else if (v != l.version && l.version != 0) {
		strbuf_addf(err, "the embedded cluster in %s belongs to "
		    "PostgreSQL %d but the binaries found are %d (%s): install "
		    "postgresql-%d, or set TALLY_PG_BINDIR to its bin directory, "
		    "or upgrade the cluster with pg_upgradecluster", l.data, v,
		    l.version, l.bindir, v);
		rc = TALLY_ECONFIG;
		goto out;
	}
	rc = pgembed_write_settings(&l, NULL, err);
	if (rc == 0)
		rc = write_auth(&l, err);
	if (rc != 0)
		goto out;

	if (pgembed_running(&l)) {
		log_info("embedded cluster already running (socket %s)", l.run);
		/* the authentication files were just rewritten */
		{
			char prog[PATH_MAX + 16];

			snprintf(prog, sizeof(prog), "%s/pg_ctl", l.bindir);
			char *const argv[] = { prog, (char *)"reload", (char *)"-D",
				l.data, NULL };

			if (pgembed_run_as(&l, argv, true) != 0)
				log_warning("pg_ctl reload failed: the cluster keeps "
				    "its previous authentication settings");
		}
	} else {
		if ((rc = pgembed_start(&l, err)) != 0)
			goto out;
		log_info("embedded cluster started (socket %s)", l.run);
	}
	rc = create_database(&l, err);
	/* the audit chain's key, which never goes into the database */
	if (rc == 0)
		rc = audit_key_create(NULL, err);
out:
	pgembed_layout_free(&l);
	return rc;
}

int
pgembed_down(struct strbuf *err)
{
	struct pgembed_layout l;
	int rc;

	rc = pgembed_layout_init(&l, "pg", err);
	if (rc != 0)
		goto out;
	if (pgembed_data_version(&l) == 0 || !pgembed_running(&l)) {
		log_info("embedded cluster is not running");
		goto out;
	}
	if ((rc = pgembed_stop(&l, err)) != 0)
		goto out;
	log_info("embedded cluster stopped");
out:
	pgembed_layout_free(&l);
	return rc;
}

int
pgembed_status(bool *running, struct strbuf *info)
{
	struct pgembed_layout l;
	int rc, v;

	*running = false;
	rc = pgembed_layout_init(&l, "pg", info);
	if (rc != 0)
		goto out;
	v = pgembed_data_version(&l);
	if (v == 0) {
		strbuf_addf(info, "no embedded cluster in %s (run 'tallyctl db up')",
		    l.data);
		goto out;
	}
	*running = pgembed_running(&l);
	strbuf_addf(info, "embedded PostgreSQL %d cluster in %s: %s, socket %s",
	    v, l.data, *running ? "running" : "stopped", l.run);
out:
	pgembed_layout_free(&l);
	return rc;
}
