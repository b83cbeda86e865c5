/*
 * pgreplica.h - the embedded standby: a streaming hot standby of the
 * embedded cluster (pgembed.h) for one host and for tests, under
 * $TALLY_HOME/replica (data/, run/ its unix socket, log/), listening on
 * no TCP port.  Made with pg_basebackup -R over the primary's socket,
 * with a replication slot (PGREPLICA_SLOT) so the primary keeps the WAL
 * it has not replayed yet (up to max_slot_wal_keep_size, 4GB, while it is
 * down).  Programs read from it when read_database_url names it
 * (pgreplica_url(); lib/pg/readdb.h).
 */
#ifndef TALLY_PGREPLICA_H
#define TALLY_PGREPLICA_H

#include <stdbool.h>

#include "base/strbuf.h"

/* The replication slot on the primary, and the standby's name in
 * pg_stat_replication (application_name). */
#define PGREPLICA_SLOT "tally_replica"

/* Its connection string (no password); caller frees. */
char *pgreplica_url(void);

/*
 * Make the standby on first use (pg_basebackup from the running embedded
 * cluster), start it if it is not running, and wait until it accepts
 * connections.  Refused (TALLY_EUSAGE) when TALLY_DATABASE_URL is set:
 * that server is not the embedded one.  TALLY_EUNAVAIL when the embedded
 * cluster is not running or the copy fails; the reason in err.
 */
int pgreplica_up(struct strbuf *err);

/* Stop it (fast).  With drop, also drop its slot on the primary and
 * delete $TALLY_HOME/replica.  Not there or not running is not an
 * error. */
int pgreplica_down(bool drop, struct strbuf *err);

/* Whether there is one and whether it runs; info gets a description. */
int pgreplica_status(bool *exists, bool *running, struct strbuf *info);

#endif
