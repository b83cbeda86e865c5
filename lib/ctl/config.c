/*
 * config.c - `tallyctl config check`.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/config.h"
#include "base/err.h"
#include "base/strbuf.h"
#include "ctl/config.h"

int
ctl_config(int argc, char **argv)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	const char *path = NULL;
	int rc;

	if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
		puts("usage: tallyctl config check [-c FILE]\n"
		    "  read the configuration and its secret files; print\n"
		    "  \"configuration OK\" or every error as FILE:LINE: message");
		return EX_OK;
	}
	if (argc < 2 || strcmp(argv[1], "check") != 0 ||
	    (argc != 2 && !(argc == 4 && strcmp(argv[2], "-c") == 0))) {
		fputs("usage: tallyctl config check [-c FILE]\n", stderr);
		return EX_USAGE;
	}
	if (argc == 4)
		path = argv[3];
	rc = config_load(&cfg, path, &err);
	if (rc == 0)
		rc = config_load_secrets(&cfg, &err);
	if (rc != 0)
		fputs(strbuf_str(&err), stderr);
	else
		puts("configuration OK");
	strbuf_release(&err);
	config_free(&cfg);
	return tally_exit_code(rc);
}
