/*
 * pgreplica.c - the embedded standby (pgreplica.h): pg_basebackup of the
 * embedded cluster over its unix socket, started and stopped like it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/err.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "pg/pgembed.h"
#include "pg/pgembed_int.h"
#include "pg/pgreplica.h"

/* After the primary's settings in the standby's tally.conf.  Feedback:
 * a report may read for minutes, and without it the primary's vacuum
 * would cancel it ("conflict with recovery"). */
static const char standby_settings[] =
    "# the embedded standby (tallyctl db replica up)\n"
    "hot_standby = on\n"
    "hot_standby_feedback = on\n";

char *
pgreplica_url(void)
{
	char *home = pgembed_home();
	struct strbuf sb = STRBUF_INIT;

	/* the socket directory is ours alone; no password is ever in it */
	strbuf_addf(&sb, "host=%s/replica/run port=%d dbname=%s user=%s", home,
	    PGEMBED_PORT, PGEMBED_DBNAME, PGEMBED_SUPERUSER);
	free(home);
	return strbuf_detach(&sb, NULL);
}

/* A superuser session on the embedded primary, or NULL (err says why). */
static PGconn *
primary_conn(const struct pgembed_layout *p, struct strbuf *err)
{
	char conninfo[PATH_MAX + 128];
	PGconn *c;

	snprintf(conninfo, sizeof(conninfo),
	    "host=%s port=%d dbname=postgres user=%s", p->run, PGEMBED_PORT,
	    PGEMBED_SUPERUSER);
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		strbuf_addf(err, "cannot connect to the embedded cluster: %s",
		    PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Drop the standby's slot unless a standby streams from it now. */
static int
drop_slot(PGconn *c, struct strbuf *err)
{
	const char *params[1] = { PGREPLICA_SLOT };
	PGresult *r;
	int rc = 0;

	r = PQexecParams(c, "SELECT pg_drop_replication_slot(slot_name)"
	    " FROM pg_replication_slots WHERE slot_name = $1 AND NOT active",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		strbuf_addf(err, "cannot drop the replication slot %s: %s",
		    PGREPLICA_SLOT, PQerrorMessage(c));
		rc = TALLY_EUNAVAIL;
	} else if (PQntuples(r) > 0) {
		log_info("dropped the replication slot %s", PGREPLICA_SLOT);
	}
	PQclear(r);
	return rc;
}

/* The copy: the whole primary, its WAL streamed alongside, a slot of its
 * own, primary_conninfo and standby.signal written (-R). */
static int
basebackup(const struct pgembed_layout *p, const struct pgembed_layout *r,
    struct strbuf *err)
{
	char prog[PATH_MAX + 32];
	struct strbuf from = STRBUF_INIT;
	PGconn *c;
	int st, rc;

	/* a slot left by a standby whose directory was deleted would
	 * make pg_basebackup -C fail, and hold WAL for nobody */
	if ((c = primary_conn(p, err)) == NULL)
		return TALLY_EUNAVAIL;
	rc = drop_slot(c, err);
	PQfinish(c);
	if (rc != 0)
		return rc;
	snprintf(prog, sizeof(prog), "%s/pg_basebackup", p->bindir);
	strbuf_addf(&from, "host=%s port=%d user=%s application_name=%s",
	    p->run, PGEMBED_PORT, PGEMBED_SUPERUSER, PGREPLICA_SLOT);
	log_info("copying the embedded cluster into %s", r->data);
	{
		char *const argv[] = { prog, (char *)"-D", r->data,
			(char *)"-d", from.buf, (char *)"-R", (char *)"-X",
			(char *)"stream", (char *)"-c", (char *)"fast",
			(char *)"-C", (char *)"-S", (char *)PGREPLICA_SLOT,
			(char *)"-w", NULL };

		/* as the server's user: the files are the standby's */
		st = pgembed_run_as(r, argv, true);
	}
	strbuf_release(&from);
	if (st != 0) {
		strbuf_addf(err, "pg_basebackup failed (exit %d); log %s:", st,
		    r->logfile);
		pgembed_log_tail(r, err);
		return TALLY_EUNAVAIL;
	}
	return 0;
}

int
pgreplica_up(struct strbuf *err)
{
	struct pgembed_layout p, r;
	const char *url = getenv("TALLY_DATABASE_URL");
	int rc, v;

	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	if (url != NULL && url[0] != '\0') {
		strbuf_addstr(err, "TALLY_DATABASE_URL is set: tallyctl db "
		    "replica copies the embedded cluster, which programs do "
		    "not use then; make a standby of that server with "
		    "pg_basebackup (docs/SCALING.md)");
		return TALLY_EUSAGE;
	}
	if ((rc = pgembed_layout_init(&p, "pg", err)) != 0 ||
	    (rc = pgembed_layout_init(&r, "replica", err)) != 0)
		goto out;
	if (pgembed_data_version(&p) == 0 || !pgembed_running(&p)) {
		strbuf_addf(err, "the embedded cluster (%s) is not running: "
		    "run 'tallyctl db up' first", p.data);
		rc = TALLY_EUNAVAIL;
		goto out;
	}
	if ((rc = pgembed_mkdir_owned(&r, r.pg, 0700, err)) != 0 ||
	    (rc = pgembed_mkdir_owned(&r, r.logdir, 0700, err)) != 0 ||
	    (rc = pgembed_mkdir_owned(&r, r.run, 0700, err)) != 0)
		goto out;
	v = pgembed_data_version(&r);
	if (v == 0) {
		if ((rc = basebackup(&p, &r, err)) != 0)
			goto out;
	} else if (v != pgembed_data_version(&p)) {
		strbuf_addf(err, "the standby in %s is PostgreSQL %d, the "
		    "embedded cluster %d: remove it (tallyctl db replica down "
		    "--drop) and make it again", r.data, v,
		    pgembed_data_version(&p));
		rc = TALLY_ECONFIG;
		goto out;
	}
	/* the copy brought the primary's settings: its socket, not ours */
	if ((rc = pgembed_write_settings(&r, standby_settings, err)) != 0)
		goto out;
	if (pgembed_running(&r)) {
		log_info("embedded standby already running (socket %s)", r.run);
	} else {
		if ((rc = pgembed_start(&r, err)) != 0)
			goto out;
		log_info("embedded standby started (socket %s)", r.run);
	}
out:
	pgembed_layout_free(&r);
	pgembed_layout_free(&p);
	return rc;
}

int
pgreplica_down(bool drop, struct strbuf *err)
{
	struct pgembed_layout p, r;
	PGconn *c;
	int rc;

	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	if ((rc = pgembed_layout_init(&p, "pg", err)) != 0 ||
	    (rc = pgembed_layout_init(&r, "replica", err)) != 0)
		goto out;
	if (pgembed_data_version(&r) != 0 && pgembed_running(&r)) {
		if ((rc = pgembed_stop(&r, err)) != 0)
			goto out;
		log_info("embedded standby stopped");
	}
	if (!drop)
		goto out;
	if (pgembed_data_version(&p) != 0 && pgembed_running(&p)) {
		if ((c = primary_conn(&p, err)) == NULL) {
			rc = TALLY_EUNAVAIL;
			goto out;
		}
		rc = drop_slot(c, err);
		PQfinish(c);
		if (rc != 0)
			goto out;
	} else {
		log_notice("the embedded cluster is not running: its slot %s "
		    "is dropped by the next 'tallyctl db replica up'",
		    PGREPLICA_SLOT);
	}
	if (fsutil_remove_tree(r.pg) != 0) {
		strbuf_addf(err, "cannot remove %s: %s", r.pg, strerror(errno));
		rc = TALLY_EIO;
		goto out;
	}
	log_info("removed %s", r.pg);
out:
	pgembed_layout_free(&r);
	pgembed_layout_free(&p);
	return rc;
}

int
pgreplica_status(bool *exists, bool *running, struct strbuf *info)
{
	struct pgembed_layout r;
	int rc, v;

	*exists = *running = false;
	memset(&r, 0, sizeof(r));
	if ((rc = pgembed_layout_init(&r, "replica", info)) != 0)
		goto out;
	v = pgembed_data_version(&r);
	if (v == 0) {
		strbuf_addf(info, "no embedded standby in %s", r.data);
		goto out;
	}
	*exists = true;
	*running = pgembed_running(&r);
	strbuf_addf(info, "embedded standby (PostgreSQL %d) in %s: %s, socket "
	    "%s", v, r.data, *running ? "running" : "stopped", r.run);
out:
	pgembed_layout_free(&r);
	return rc;
}
