/*
 * main.c - tallyctl's commands and its top-level help.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/version.h"
#include "ctl/account.h"
#include "ctl/alert_failed.h"
#include "ctl/assignment.h"
#include "ctl/audit.h"
#include "ctl/backup.h"
#include "ctl/case.h"
#include "ctl/config.h"
#include "ctl/db.h"
#include "ctl/fx.h"
#include "ctl/main.h"
#include "ctl/misc.h"
#include "ctl/send.h"
#include "ctl/status.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "db", ctl_db,
	  "up | down | status | url | backup | restore | replica" },
	{ "migrate", ctl_migrate, "                             apply pending migrations" },
	{ "config", ctl_config, "check [-c FILE]              check the configuration" },
	{ "account", ctl_account, "add | import | list | show | suspend | reactivate | update" },
	{ "assignment", ctl_assignment, "list | assign | extend | revoke | release" },
	{ "order", ctl_order, "list | approve               orders, held ones, their fulfilment" },
	{ "event", ctl_event, "list | retry                 raw webhook and usage events" },
	{ "product", ctl_product, "add | list | update          seat plans and credit packages" },
	{ "model", ctl_model, "list | set                   models of the image service" },
	{ "user", ctl_user, "list | credit                users and their credits" },
	{ "audit", ctl_audit, "list|verify|anchor|access    the audit trail and API access" },
	{ "fx", ctl_fx, "set | list                   exchange rates for the margins" },
	{ "token", ctl_token, "create | list | revoke       bearer tokens for tally-admin's API" },
	{ "admin-user", ctl_admin_user, "add | list | passwd | ...    admin users of the panel (/admin)" },
	{ "case", ctl_case, "list | show | accept         reconcile exception cases" },
	{ "send", ctl_send, "SOURCE FILE | --replay KEY   sign and POST a webhook like its provider" },
	{ "status", ctl_status, "[-c FILE] [--json]           tally at a glance; exit 1 if a check fails" },
	{ "alert-failed", ctl_alert_failed, "[--repeat MIN] UNIT          alert that a systemd unit failed" },
};

static void
usage(FILE *out)
{
	size_t i;

	fputs("usage: tallyctl COMMAND [ARGS]   (tallyctl COMMAND --help for more)\n"
	    "\n", out);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].help);
	fputs("\nenvironment: TALLY_DATABASE_URL (else the embedded cluster under "
	    "$TALLY_HOME/pg,\n  default ./var), TALLY_CONFIG, TALLY_TZ\n", out);
}

int
ctl_main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EX_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		puts("tallyctl " TALLY_VERSION);
		return EX_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tallyctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EX_USAGE;
}
