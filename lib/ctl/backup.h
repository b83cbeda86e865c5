/*
 * backup.h - tallyctl db backup and db restore.  Each entry point takes
 * the arguments from its subcommand on (argv[0] is "backup" or "restore")
 * and returns a process exit code, like lib/ctl/db.h.
 */
#ifndef TALLY_CTL_BACKUP_H
#define TALLY_CTL_BACKUP_H

/*
 * pg_dump -Fc of the configured database into DIR (default
 * $TALLY_HOME/backups) as tally-YYYYMMDDTHHMMSSZ.dump, mode 0600, written
 * under a temporary name, read back with pg_restore --list and only then
 * given its name; then dumps older than DAYS (default 14; 0 keeps all) are
 * removed, never the newest.  One backup at a time (exit 75 otherwise).
 * Records a job_runs row (program tally-backup) and prints the file's path.
 */
int ctl_db_backup(int argc, char **argv);

/*
 * pg_restore of FILE into the configured database, which must be empty
 * (refused otherwise: exit 65, nothing touched), in one transaction: a
 * failed restore leaves the database as empty as it was.
 */
int ctl_db_restore(int argc, char **argv);

#endif
