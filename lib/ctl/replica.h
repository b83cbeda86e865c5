/*
 * replica.h - tallyctl db replica up | down [--drop] | url | status: the
 * embedded standby (lib/pg/pgreplica.h).  argv[0] is "replica"; returns a
 * process exit code, like lib/ctl/db.h.
 */
#ifndef TALLY_CTL_REPLICA_H
#define TALLY_CTL_REPLICA_H

int ctl_db_replica(int argc, char **argv);

#endif
