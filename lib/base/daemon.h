/*
 * daemon.h - the command line of a server program (tally-receiver,
 * tally-admin): -c FILE, -n (check the configuration, print
 * "configuration OK"), --help, --version; then run until told to stop.
 * The two servers differ only in what they check and run, so the
 * options, their messages and the exit statuses are written once here.
 */
#ifndef TALLY_DAEMON_H
#define TALLY_DAEMON_H

#include <signal.h>

#include "base/strbuf.h"

struct daemon_def {
	const char *program;	/* "tally-receiver": log, --version, errors */
	const char *check_help;	/* --help: what -n checks, after "-n  " */
	const char *about;	/* --help: what it serves, at the end */
	const char *role;	/* --help: the database role it says, or NULL */
	/* -n: 0, or TALLY_E* with what is wrong in err (printed) */
	int (*check)(const char *config_path, struct strbuf *err);
	/* serve until stopped; 0 or TALLY_E* (already logged) */
	int (*run)(const char *config_path);
};

/*
 * Block SIGTERM, SIGINT and SIGHUP in this thread and every thread it
 * starts from here on, so that only the server's sigwait() takes them
 * (set gets the three), and ignore SIGPIPE: a client that goes away is
 * a write error, not the end of the server.
 */
void daemon_block_signals(sigset_t *set);

/* The whole program: returns its exit status (64 for a bad argument). */
int daemon_main(const struct daemon_def *def, int argc, char **argv);

#endif
