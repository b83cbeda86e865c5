/*
 * ctl_db.h - `tallyctl db up|down|status|url` and `tallyctl migrate`.
 * Each returns a process exit code; argv[0] is the subcommand name.
 */
#ifndef TALLY_CTL_DB_H
#define TALLY_CTL_DB_H

int ctl_db(int argc, char **argv);
int ctl_migrate(int argc, char **argv);

#endif
