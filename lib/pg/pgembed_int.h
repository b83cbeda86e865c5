/*
 * pgembed_int.h - what the embedded cluster (pgembed.c) and its embedded
 * standby (pgreplica.c) share: where a cluster lives under $TALLY_HOME
 * and how its server is run.  Not for other modules: they use
 * pgembed.h and pgreplica.h.
 */
#ifndef TALLY_PGEMBED_INT_H
#define TALLY_PGEMBED_INT_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "base/strbuf.h"

/* WAL a replication slot may hold back for a standby that is down
 * (max_slot_wal_keep_size); past it the standby must be made again. */
#define PGEMBED_SLOT_KEEP "4GB"

struct pgembed_layout {
	char *home;		/* $TALLY_HOME, absolute */
	char *pg;		/* $TALLY_HOME/SUB: pg, or replica */
	char *data, *run, *logdir, *logfile;
	char bindir[PATH_MAX];
	int version;		/* major version of the binaries */
	uid_t uid;		/* the user the server runs as */
	gid_t gid;
	const char *user;	/* NULL when we are not root */
};

/* The cluster under $TALLY_HOME/sub and the binaries that run it. */
int pgembed_layout_init(struct pgembed_layout *l, const char *sub,
    struct strbuf *err);
void pgembed_layout_free(struct pgembed_layout *l);

/* Run argv (argv[0] absolute) as the server's user, its output appended
 * to the cluster's log when quiet: the exit status, or -1. */
int pgembed_run_as(const struct pgembed_layout *l, char *const argv[],
    bool quiet);
/* mkdir (existing is fine), owned by the server's user, with mode. */
int pgembed_mkdir_owned(const struct pgembed_layout *l, const char *path,
    mode_t mode, struct strbuf *err);
/* The last lines of the cluster's log, appended to err. */
void pgembed_log_tail(const struct pgembed_layout *l, struct strbuf *err);
/* PG_VERSION of the data directory; 0 when there is none. */
int pgembed_data_version(const struct pgembed_layout *l);
/* data/tally.conf (the settings every start rewrites), extra lines
 * last. */
int pgembed_write_settings(const struct pgembed_layout *l, const char *extra,
    struct strbuf *err);
bool pgembed_running(const struct pgembed_layout *l);
/* pg_ctl start, waiting until it accepts connections (a standby: until
 * it is consistent); refused when another server holds the socket. */
int pgembed_start(const struct pgembed_layout *l, struct strbuf *err);
/* pg_ctl stop -m fast. */
int pgembed_stop(const struct pgembed_layout *l, struct strbuf *err);

#endif
