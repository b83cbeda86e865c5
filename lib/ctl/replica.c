/*
 * replica.c - tallyctl db replica: the embedded standby, made, started,
 * stopped and named (lib/pg/pgreplica.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/err.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "ctl/replica.h"
#include "pg/pgreplica.h"

static const char replica_usage[] =
    "usage: tallyctl db replica up | down [--drop] | url | status\n"
    "  up      make a streaming hot standby of the embedded cluster under\n"
    "          $TALLY_HOME/replica on first use (pg_basebackup over its unix\n"
    "          socket, with the replication slot " PGREPLICA_SLOT "), start\n"
    "          it on a unix socket only, wait until it accepts connections\n"
    "  down    stop it; with --drop also drop its slot and delete it\n"
    "  url     print its connection string: reports and reconcile read\n"
    "          there when read_database_url (TALLY_READ_DATABASE_URL) is it\n"
    "  status  say whether it runs and where (its lag: tallyctl status)\n";

static int
fail(const char *what, int rc, struct strbuf *msg)
{
	log_err("db replica %s: %s", what, strbuf_str(msg));
	strbuf_release(msg);
	return tally_exit_code(rc);
}

int
ctl_db_replica(int argc, char **argv)
{
	struct strbuf msg = STRBUF_INIT;
	bool exists, running, drop = false;
	char *url;
	int rc;

	if (argc == 3 && strcmp(argv[1], "down") == 0 &&
	    strcmp(argv[2], "--drop") == 0)
		drop = true;
	else if (argc != 2) {
		fputs(replica_usage, stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0) {
		fputs(replica_usage, stdout);
		return EX_OK;
	}
	if (strcmp(argv[1], "url") == 0) {
		url = pgreplica_url();
		puts(url);
		free(url);
		return EX_OK;
	}
	if (strcmp(argv[1], "up") == 0) {
		if ((rc = pgreplica_up(&msg)) != 0)
			return fail("up", rc, &msg);
		strbuf_release(&msg);
		return EX_OK;
	}
	if (strcmp(argv[1], "down") == 0) {
		if ((rc = pgreplica_down(drop, &msg)) != 0)
			return fail("down", rc, &msg);
		strbuf_release(&msg);
		return EX_OK;
	}
	if (strcmp(argv[1], "status") == 0) {
		if ((rc = pgreplica_status(&exists, &running, &msg)) != 0)
			return fail("status", rc, &msg);
		puts(strbuf_str(&msg));
		strbuf_release(&msg);
		return running ? EX_OK : EX_UNAVAILABLE;
	}
	fprintf(stderr, "tallyctl db replica: unknown command '%s'\n%s",
	    argv[1], replica_usage);
	return EX_USAGE;
}
