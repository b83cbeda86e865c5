/*
 * daemon.c - the command line shared by the server programs.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/daemon.h"
#include "base/err.h"
#include "base/log.h"
#include "base/version.h"

void
daemon_block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void
usage(const struct daemon_def *def, FILE *out)
{
	fprintf(out, "usage: %s [-c FILE] [-n]\n"
	    "  -c FILE     configuration (default $TALLY_CONFIG, else\n"
	    "              /etc/tally/tally.conf, else ./tally.conf)\n"
	    "  -n          %s"
	    "  --help      this text\n"
	    "  --version   the version\n"
	    "\n%s"
	    "The database: TALLY_DATABASE_URL, else the embedded cluster%s%s.\n",
	    def->program, def->check_help, def->about,
	    def->role != NULL ? ", as\nthe role " : "",
	    def->role != NULL ? def->role : "");
}

int
daemon_main(const struct daemon_def *def, int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	const char *config = NULL;
	bool check = false;
	int i, rc;

	log_init(def->program);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(def, stdout);
			return EX_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("%s %s\n", def->program, TALLY_VERSION);
			return EX_OK;
		} else if (strcmp(argv[i], "-n") == 0) {
			check = true;
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			config = argv[++i];
		} else {
			fprintf(stderr, "%s: unexpected argument '%s'\n",
			    def->program, argv[i]);
			usage(def, stderr);
			return EX_USAGE;
		}
	}
	if (!check)
		return tally_exit_code(def->run(config));
	rc = def->check(config, &err);
	if (rc == 0)
		puts("configuration OK");
	else
		fputs(strbuf_str(&err), stderr);
	strbuf_release(&err);
	return tally_exit_code(rc);
}
