/*
 * pgembed.h - the embedded PostgreSQL cluster: the default database when
 * TALLY_DATABASE_URL is not set.
 *
 * It lives under $TALLY_HOME/pg (default ./var/pg): data/, run/ (the unix
 * socket; the server listens on no TCP port), log/.  Run as root, the
 * server runs as an unprivileged user ($TALLY_PG_USER, default "postgres"),
 * because initdb and postgres refuse to run as root.  The binaries are
 * found in $TALLY_PG_BINDIR, else the newest /usr/lib/postgresql/N/bin.
 */
#ifndef TALLY_PGEMBED_H
#define TALLY_PGEMBED_H

#include <stdbool.h>

#include "base/strbuf.h"

#define PGEMBED_PORT 5432
#define PGEMBED_DBNAME "tally"
#define PGEMBED_SUPERUSER "tally"

/* Absolute $TALLY_HOME (default ./var); caller frees. */
char *pgembed_home(void);
/* Absolute socket directory under home (NULL: pgembed_home()); caller frees. */
char *pgembed_socket_dir(const char *home);

/*
 * Create the cluster on first use (initdb), start it if it is not running,
 * wait until it accepts connections, and create the tally database; and
 * the audit key (audit_key_create()) when it is missing.  Authentication
 * is peer over the unix socket: the OS user running this may log in as the
 * owner and as each program role (pg_hba.conf and pg_ident.conf are
 * rewritten at every start).
 * Progress goes to the log; a failure leaves a one-line reason in err and
 * returns TALLY_EMISSING (binaries absent: the message names the package),
 * TALLY_ECONFIG (wrong version, unusable directory) or TALLY_EUNAVAIL.
 */
int pgembed_up(struct strbuf *err);
/* Stop the cluster (fast shutdown).  Not running is not an error. */
int pgembed_down(struct strbuf *err);
/* Whether it runs; info gets a human description. */
int pgembed_status(bool *running, struct strbuf *info);

#endif
