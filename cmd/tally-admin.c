/*
 * tally-admin - the admin operations over HTTP: the JSON API under
 * /api/admin/ (lib/admin/admin.h); the command line is lib/base/daemon.c.
 */
#include "admin/admin.h"
#include "base/daemon.h"

static int
run(const char *config_path)
{
	const struct admin_options opt = { .config_path = config_path };

	return admin_run(&opt);
}

static const struct daemon_def def = {
	.program = "tally-admin",
	.check_help = "check the configuration (admin_listen, the TLS\n"
	    "              files), print \"configuration OK\" and exit\n",
	.about = "Listens on admin_listen (default 127.0.0.1:8081; HTTPS with\n"
	    "admin_tls_cert_file and admin_tls_key_file).  /api/admin/... with\n"
	    "a bearer token (tallyctl token create), GET /healthz, the OpenAPI\n"
	    "document at /api/admin/openapi.json.  SIGTERM drains and exits.\n",
	.role = "tally_admin_api",
	.check = admin_check_config,
	.run = run,
};

int
main(int argc, char **argv)
{
	return daemon_main(&def, argc, argv);
}
