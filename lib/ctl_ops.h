/*
 * ctl_ops.h - tallyctl's operations commands: what an operator runs, or a
 * systemd unit runs for him.
 *
 *   tallyctl status [-c FILE] [--json]
 *   tallyctl db backup [--dir D] [--keep DAYS]
 *   tallyctl db restore FILE
 *   tallyctl alert-failed [-c FILE] [--repeat MINUTES] UNIT
 *
 * Each entry point takes the arguments from its subcommand on (argv[0] is
 * "status", "backup", "restore" or "alert-failed") and returns a process
 * exit code, like lib/ctl_db.h.  The ctl_ops_* helpers are the parts with
 * rules worth a unit test of their own.
 */
#ifndef TALLY_CTL_OPS_H
#define TALLY_CTL_OPS_H

#include <stdbool.h>
#include <time.h>

#include "strbuf.h"

/*
 * At a glance: receiver health (GET /healthz), events waiting, the last
 * run of every program (job_runs), free seats, paid orders not fulfilled,
 * open reconcile cases and firing alerts where those tables exist.
 * Exit 0 when all is well, 1 when something wants attention, 69 when the
 * database cannot be reached, 78 for a bad configuration.
 */
int ctl_status(int argc, char **argv);

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

/*
 * Alert that systemd unit UNIT failed: POST a JSON message to tally.conf's
 * alert_url (or only log it when alert_url is empty).  The failure details
 * come from systemd's MONITOR_* environment and the program's last
 * job_runs row.  A unit already alerted within --repeat minutes (default
 * 60, 0: always) is logged but not posted again.
 */
int ctl_alert_failed(int argc, char **argv);

/*
 * The time a backup file name carries: true for a name exactly
 * "tally-YYYYMMDDTHHMMSSZ.dump" with a valid UTC time (stored in *t), false
 * for any other file, which retention never touches.
 */
bool ctl_ops_backup_time(const char *name, time_t *t);

/*
 * The conninfo to hand a child program (pg_dump, pg_restore): conninfo
 * (a keyword=value string or a URI) as keyword='value' pairs without the
 * password, which goes to *password instead (NULL when there is none;
 * caller wipes and frees it) so that it never appears on a command line.
 * Adds connect_timeout=10 unless set.  Returns 0, or TALLY_ECONFIG with
 * the reason in err.
 */
int ctl_ops_child_conninfo(const char *conninfo, struct strbuf *out,
    char **password, struct strbuf *err);

/*
 * The URL of the receiver's health check for tally.conf's listen value
 * ("host:port", "[v6addr]:port", ":port"; a wildcard host is reached on
 * loopback) into url.  A listen value that is a unix socket path
 * ("/path" or "unix:/path") puts the path in unix_path and a loopback URL
 * in url.  Returns 0, or TALLY_ECONFIG for a value it cannot read.
 */
int ctl_ops_health_url(const char *listen, struct strbuf *url,
    struct strbuf *unix_path);

#endif
