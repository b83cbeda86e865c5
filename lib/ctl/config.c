/*
 * config.c - `tallyctl config check`: the configuration as every program
 * would take it at start, each check the program's own function.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <openssl/crypto.h>

#include "base/config.h"
#include "base/err.h"
#include "base/strbuf.h"
#include "ctl/config.h"
#include "intake/httplimit.h"
#include "intake/receiver_parse.h"
#include "pg/db.h"

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

/*
 * What the servers and the batch programs refuse at start beyond the
 * file itself: each source's keys as tally-receiver derives them (a
 * standard-webhooks secret that is not whsec_ and base64), listen and
 * admin_listen resolved as they are bound, tally-admin's TLS pair, and
 * read_database_url as libpq parses it.  Every problem is told.
 */
static int
check_programs(const struct config *cfg, bool secrets_ok, struct strbuf *err)
{
	struct receiver_source rs;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char *cert = NULL, *key = NULL;
	size_t key_len = 0;
	int rc = 0;

	/* a secret file that did not load has said why already */
	for (size_t i = 0; secrets_ok && i < cfg->nsources; i++) {
		if (receiver_source_init(&rs, &cfg->sources[i], err) != 0)
			rc = TALLY_ECONFIG;
		else
			receiver_source_release(&rs);
	}
	if (httplimit_resolve("listen", cfg->listen, &ss, &sslen, err) != 0)
		rc = TALLY_ECONFIG;
	if (httplimit_resolve("admin_listen", cfg->admin_listen, &ss, &sslen,
	    err) != 0)
		rc = TALLY_ECONFIG;
	if (httplimit_tls_load(cfg, &cert, &key, &key_len, err) != 0)
		rc = TALLY_ECONFIG;
	if (key != NULL)
		OPENSSL_cleanse(key, key_len);
	free(key);
	free(cert);
	if (cfg->read_database_url != NULL && cfg->read_database_url[0] != '\0' &&
	    db_conninfo_check("read_database_url (TALLY_READ_DATABASE_URL)",
	    cfg->read_database_url, err) != 0)
		rc = TALLY_ECONFIG;
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
		    "  read the configuration, its secret files, the audit key and\n"
		    "  the sources' api_key_file (the providers' status API keys),\n"
		    "  and check what the programs check at start: each source's\n"
		    "  keys, listen and admin_listen resolved, tally-admin's TLS\n"
		    "  files, read_database_url; print \"configuration OK\" or every\n"
		    "  error (FILE:LINE: message where there is a line)");
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
		if (check_programs(&cfg, rc == 0, &err) != 0)
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
