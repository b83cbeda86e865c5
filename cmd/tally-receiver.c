/*
 * tally-receiver - the webhook intake (lib/intake/receiver.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/err.h"
#include "base/log.h"
#include "intake/receiver.h"
#include "base/strbuf.h"
#include "base/version.h"

static void
usage(FILE *out)
{
	fputs("usage: tally-receiver [-c FILE] [-n]\n"
	    "  -c FILE     configuration (default $TALLY_CONFIG, else\n"
	    "              /etc/tally/tally.conf, else ./tally.conf)\n"
	    "  -n          check the configuration and its secrets, print\n"
	    "              \"configuration OK\" and exit\n"
	    "  --help      this text\n"
	    "  --version   the version\n"
	    "\n"
	    "POST /webhooks/NAME for every [source NAME]; GET /healthz and\n"
	    "GET /metrics.  SIGTERM drains and exits, SIGHUP reloads.\n"
	    "The database: TALLY_DATABASE_URL, else the embedded cluster.\n",
	    out);
}

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	const char *config = NULL;
	bool check = false;
	int i, rc;

	log_init("tally-receiver");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EX_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			puts("tally-receiver " TALLY_VERSION);
			return EX_OK;
		} else if (strcmp(argv[i], "-n") == 0) {
			check = true;
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			config = argv[++i];
		} else {
			fprintf(stderr, "tally-receiver: unexpected argument '%s'\n",
			    argv[i]);
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (check) {
		rc = receiver_check_config(config, &err);
		if (rc == 0)
			puts("configuration OK");
		else
			fputs(strbuf_str(&err), stderr);
		strbuf_release(&err);
		return tally_exit_code(rc);
	}
	rc = receiver_run(config);
	return tally_exit_code(rc);
}
