/*
 * tally-admin - the admin operations over HTTP: the JSON API under
 * /api/admin/ (lib/admin/admin.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "admin/admin.h"
#include "base/err.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/version.h"

static void
usage(FILE *out)
{
	fputs("usage: tally-admin [-c FILE] [-n]\n"
	    "  -c FILE     configuration (default $TALLY_CONFIG, else\n"
	    "              /etc/tally/tally.conf, else ./tally.conf)\n"
	    "  -n          check the configuration (admin_listen, the TLS\n"
	    "              files), print \"configuration OK\" and exit\n"
	    "  --help      this text\n"
	    "  --version   the version\n"
	    "\n"
	    "Listens on admin_listen (default 127.0.0.1:8081; HTTPS with\n"
	    "admin_tls_cert_file and admin_tls_key_file).  /api/admin/... with\n"
	    "a bearer token (tallyctl token create), GET /healthz, the OpenAPI\n"
	    "document at /api/admin/openapi.json.  SIGTERM drains and exits.\n"
	    "The database: TALLY_DATABASE_URL, else the embedded cluster, as\n"
	    "the role tally_admin_api.\n", out);
}

int
main(int argc, char **argv)
{
	struct admin_options opt = { 0 };
	struct strbuf err = STRBUF_INIT;
	bool check = false;
	int i, rc;

	log_init("tally-admin");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EX_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			puts("tally-admin " TALLY_VERSION);
			return EX_OK;
		} else if (strcmp(argv[i], "-n") == 0) {
			check = true;
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			opt.config_path = argv[++i];
		} else {
			fprintf(stderr, "tally-admin: unexpected argument '%s'\n",
			    argv[i]);
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (!check)
		return tally_exit_code(admin_run(&opt));
	rc = admin_check_config(opt.config_path, &err);
	if (rc == 0)
		puts("configuration OK");
	else
		fputs(strbuf_str(&err), stderr);
	strbuf_release(&err);
	return tally_exit_code(rc);
}
