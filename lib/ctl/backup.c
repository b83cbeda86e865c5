/*
 * backup.c - tallyctl db backup and db restore: the options, the help and
 * what is printed.  The dump, its manifest, retention and the restore are
 * lib/pg/backup.c; the lifecycle (lock, job_runs, alerts) the spine's.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/err.h"
#include "ctl/backup.h"
#include "jobs/batchjob.h"
#include "pg/backup.h"

#define BACKUP_PROGRAM "tally-backup"	/* its job_runs.program */

/* One backup per process: the options fill it, the run makes it. */
static struct backup job;

static const struct batchjob_opt backup_opts[] = {
	{ "dir", 0, BATCHJOB_TEXT, &job.dir, 0, 0, 0, "DIR",
	  "default $TALLY_HOME/backups ($TALLY_HOME: ./var)" },
	{ "keep", 0, BATCHJOB_INT, &job.keep, 0, 36500, 0, "DAYS",
	  "default " BATCHJOB_STR(BACKUP_KEEP_DAYS) "; 0 keeps every dump" },
	{ NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL }
};

/* The directory, before the run is recorded: one that cannot be made is
 * exit 73 and no job_runs row. */
static int
backup_prepare(struct batchjob_ctx *ctx)
{
	(void)ctx;
	return backup_dir(&job);
}

/* The new dump's path on stdout once it and its manifest are written,
 * also when old dumps could not all be removed. */
static int
backup_run(struct batchjob_ctx *ctx)
{
	int rc = backup_make(&job, ctx->db, ctx->jr, &ctx->why);

	if (rc == 0 || rc == TALLY_EPROBLEMS)
		puts(strbuf_str(&job.path));
	return rc;
}

static const struct batchjob backup_def = {
	.program = BACKUP_PROGRAM,
	.command = "tallyctl db backup",
	.summary = "pg_dump -Fc of the configured database (TALLY_DATABASE_URL, "
	    "else the\nembedded cluster) into DIR/tally-YYYYMMDDTHHMMSSZ.dump "
	    "(UTC), mode\n0600.  The dump is written under a temporary name and "
	    "read back with\npg_restore --list before it gets its name, so a "
	    "file with that name\nis always a complete dump.  Then dumps in DIR "
	    "older than DAYS are\nremoved, never the newest; other files are "
	    "never touched.  Prints\nthe new file's path.  Beside it, "
	    "DUMP.manifest holds its size, sha256\nand the audit chain's head "
	    "when it began (audit_anchor ID:HEX: give\nit to tallyctl audit "
	    "verify --anchor).  One backup at a time: exit\n75 if one runs.\n",
	.trailer = "pg_dump: $TALLY_PG_BINDIR, else /usr/lib/postgresql/N/bin "
	    "for the\nserver's major version N, else PATH.  The login must be "
	    "able to read\nevery table and sequence (the database owner, say).\n"
	    "Restore with: tallyctl db restore FILE\n",
	.role = NULL,		/* the login's own: it reads everything */
	.noun = "backup of this database",
	/* the dump matters more than its record: a login that may not
	 * write job_runs still gets its backup */
	.flags = BATCHJOB_ROW_OPTIONAL,
	.opts = backup_opts,
	.prepare = backup_prepare,
	.run = backup_run,
};

int
ctl_db_backup(int argc, char **argv)
{
	int rc;

	backup_init(&job);
	rc = batchjob_main(&backup_def, argc, argv);
	backup_release(&job);
	return rc;
}

/* ---- db restore ------------------------------------------------------------- */

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
	struct backup_restored r;
	int rc = backup_restore(file, &r);

	if (rc == 0 && r.tables != NULL)
		printf("restored %s into %s: %s tables\n", file, r.database,
		    r.tables);
	backup_restored_release(&r);
	if (rc == 0 && fflush(stdout) != 0)
		rc = TALLY_EIO;
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
