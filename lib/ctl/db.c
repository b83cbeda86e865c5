#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ctl/db.h"
#include "ctl/backup.h"
#include "ctl/replica.h"
#include "ctl/status.h"
#include "ctl/alert_failed.h"
#include "pg/db.h"
#include "base/err.h"
#include "base/log.h"
#include "pg/migrate.h"
#include "pg/pgembed.h"
#include "pg/pgreplica.h"
#include "base/strbuf.h"

static const char db_usage[] =
    "usage: tallyctl db up | down | status | url | backup | restore |"
    " replica\n"
    "  up      create the embedded cluster under $TALLY_HOME/pg (default\n"
    "          ./var/pg) on first use, start it on a unix socket only,\n"
    "          wait until it accepts connections, apply migrations\n"
    "  down    stop the embedded cluster (and its standby, if one runs)\n"
    "  status  say whether it runs and where\n"
    "  url     print the connection string programs use (no password)\n"
    "  backup [--dir D] [--keep DAYS]\n"
    "          pg_dump -Fc into D (default $TALLY_HOME/backups), then remove\n"
    "          dumps older than DAYS (default 14)\n"
    "  restore FILE\n"
    "          pg_restore FILE into the configured database, which must be\n"
    "          empty\n"
    "  replica up | down [--drop] | url | status\n"
    "          a streaming hot standby of the embedded cluster for reports\n"
    "          (tallyctl db replica --help)\n";

static int
migrate_default(void)
{
	struct db *db = NULL;
	struct strbuf err = STRBUF_INIT;
	int rc, applied = 0;

	rc = db_connect(&db, "tallyctl", NULL);
	if (rc != 0)
		return tally_exit_code(rc);
	rc = migrate_run(db, NULL, &applied, &err);
	if (rc != 0)
		log_err("migration failed: %s", strbuf_str(&err));
	else
		log_info("%d migration%s applied", applied, applied == 1 ? "" : "s");
	strbuf_release(&err);
	db_free(db);
	return tally_exit_code(rc);
}

int
ctl_migrate(int argc, char **argv)
{
	if (argc > 1) {
		fputs(strcmp(argv[1], "--help") == 0 ? "" : "tallyctl migrate: "
		    "takes no arguments\n", stderr);
		fputs("usage: tallyctl migrate\n"
		    "  apply pending migrations (compiled into the program) to the\n"
		    "  configured database: TALLY_DATABASE_URL, else the embedded\n"
		    "  cluster\n", strcmp(argv[1], "--help") == 0 ? stdout : stderr);
		return strcmp(argv[1], "--help") == 0 ? EX_OK : EX_USAGE;
	}
	return migrate_default();
}

int
ctl_db(int argc, char **argv)
{
	struct strbuf msg = STRBUF_INIT;
	bool running, exists, standby;
	char *url;
	int rc;

	/* these two take arguments of their own (lib/ctl/ops.c) */
	if (argc >= 2 && strcmp(argv[1], "backup") == 0)
		return ctl_db_backup(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "restore") == 0)
		return ctl_db_restore(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "replica") == 0)
		return ctl_db_replica(argc - 1, argv + 1);
	if (argc != 2) {
		fputs(db_usage, stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0) {
		fputs(db_usage, stdout);
		return EX_OK;
	}
	if (strcmp(argv[1], "url") == 0) {
		url = db_default_url();
		puts(url);
		free(url);
		return EX_OK;
	}
	if (strcmp(argv[1], "up") == 0) {
		if (getenv("TALLY_DATABASE_URL") != NULL)
			log_notice("TALLY_DATABASE_URL is set: programs use that "
			    "server, not the embedded one");
		rc = pgembed_up(&msg);
		if (rc != 0) {
			log_err("db up: %s", strbuf_str(&msg));
			strbuf_release(&msg);
			return tally_exit_code(rc);
		}
		strbuf_release(&msg);
		if (getenv("TALLY_DATABASE_URL") != NULL)
			return EX_OK;
		return migrate_default();
	}
	if (strcmp(argv[1], "down") == 0) {
		/* a standby with no primary to follow is of no use; one that
		 * will not stop must not keep the primary up */
		if (pgreplica_down(false, &msg) != 0)
			log_warning("db down: the standby: %s",
			    strbuf_str(&msg));
		strbuf_reset(&msg);
		rc = pgembed_down(&msg);
		if (rc != 0)
			log_err("db down: %s", strbuf_str(&msg));
		strbuf_release(&msg);
		return tally_exit_code(rc);
	}
	if (strcmp(argv[1], "status") == 0) {
		rc = pgembed_status(&running, &msg);
		if (rc != 0) {
			log_err("db status: %s", strbuf_str(&msg));
		} else {
			puts(strbuf_str(&msg));
			strbuf_reset(&msg);
			if (pgreplica_status(&exists, &standby, &msg) == 0 &&
			    exists)
				puts(strbuf_str(&msg));
		}
		strbuf_release(&msg);
		if (rc != 0)
			return tally_exit_code(rc);
		return running ? EX_OK : EX_UNAVAILABLE;
	}
	fprintf(stderr, "tallyctl db: unknown command '%s'\n%s", argv[1],
	    db_usage);
	return EX_USAGE;
}
