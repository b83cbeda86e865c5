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

/*
 * Every source's api_key_file (the key tally-allocate asks a provider's
 * status API with), read as tally-allocate reads it and wiped at once: a
 * missing or unreadable key shows here, not as allocate's exit 78.
 */
static int
check_api_keys(const struct config *cfg, struct strbuf *err)
{
	struct secret key;
	int rc = 0;

	for (size_t i = 0; i < cfg->nsources; i++) {
		if (cfg->sources[i].api_key_file == NULL)
			continue;
		if (config_read_api_key(cfg, &cfg->sources[i], &key, err) != 0)
			rc = TALLY_ECONFIG;
		else
			secretfile_wipe(&key);
	}
	return rc;
}

int
ctl_config(int argc, char **argv)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	const char *path = NULL;
	int rc;

	if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
		puts("usage: tallyctl config check [-c FILE]\n"
		    "  read the configuration, its secret files and the sources'\n"
		    "  api_key_file (the providers' status API keys); print\n"
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
	if (rc == 0) {
		/* every secret's problem is told, not only the first */
		rc = config_load_secrets(&cfg, &err);
		if (check_api_keys(&cfg, &err) != 0)
			rc = TALLY_ECONFIG;
	}
	if (rc != 0)
		fputs(strbuf_str(&err), stderr);
	else
		puts("configuration OK");
	strbuf_release(&err);
	config_free(&cfg);
	return tally_exit_code(rc);
}
