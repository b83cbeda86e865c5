/*
 * tally-receiver - the webhook intake (lib/intake/receiver.h); the
 * command line is lib/base/daemon.c.
 */
#include "base/daemon.h"
#include "intake/receiver.h"

static const struct daemon_def def = {
	.program = "tally-receiver",
	.check_help = "check the configuration and its secrets, print\n"
	    "              \"configuration OK\" and exit\n",
	.about = "POST /webhooks/NAME for every [source NAME]; GET /healthz and\n"
	    "GET /metrics.  SIGTERM drains and exits, SIGHUP reloads.\n",
	.check = receiver_check_config,
	.run = receiver_run,
};

int
main(int argc, char **argv)
{
	return daemon_main(&def, argc, argv);
}
