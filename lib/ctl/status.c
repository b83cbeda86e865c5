/*
 * status.c - `tallyctl status`: tally at a glance for people, or as JSON.
 * The facts are gathered by lib/ops/status.c (the same answer as
 * GET /api/admin/status); this prints them.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <curl/curl.h>
#include <jansson.h>

#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "ctl/ctlopt.h"
#include "ctl/status.h"
#include "ops/status.h"
#include "out/table.h"
#include "pg/db.h"

int
ctl_status_health_url(const char *listen, struct strbuf *url,
    struct strbuf *unix_path)
{
	return ops_status_health_url(listen, url, unix_path);
}

static const char status_usage[] =
    "usage: tallyctl status [-c FILE] [--json]\n"
    "  tally at a glance, one line per check with its state (ok, warn,\n"
    "  fail, or - when it does not apply), then the last run of every\n"
    "  program:\n"
    "    receiver   GET /healthz where tally.conf's listen says (2 s)\n"
    "    database   reachable, and which\n"
    "    events     raw events waiting for tally-allocate, and failed ones\n"
    "    pool       free seats, against alert_seat_threshold\n"
    "    orders     paid orders without their seat or credits, and those\n"
    "               older than fulfil_sla_minutes\n"
    "    reconcile  open reconcile cases, warning from reconcile_severity\n"
    "    alerts     alerts firing, and alerts alert_url did not take\n"
    "    replicas   standbys streaming from the database (state, WAL behind,\n"
    "               replay lag), and the read database (read_database_url)\n"
    "    programs   job_runs: the last run of each program and its result,\n"
    "               the last success, and whether a scheduled one is overdue\n"
    "  --json  the same facts as one JSON object\n"
    "  Exit 0 when every check is ok, 1 when one wants attention, 69 when\n"
    "  the database cannot be reached, 78 for a bad configuration.\n";

/* One line per check, "name state summary", in the order checked. */
static void
print_text(const json_t *status, FILE *fp)
{
	const char *name;
	json_t *check;

	json_object_foreach((json_t *)status, name, check) {
		const char *state = json_string_value(json_object_get(check,
		    "state"));
		const char *summary = json_string_value(json_object_get(check,
		    "summary"));

		if (state != NULL && summary != NULL)
			fprintf(fp, "%-10s %-5s %s\n", name, state, summary);
	}
}

static int
print_status(const json_t *out, bool json)
{
	const json_t *status = json_object_get(out, "status");
	const json_t *programs = json_object_get(out, "programs");
	struct table *t;
	int rc = 0;

	if (json) {
		if (json_dumpf(status, stdout, JSON_INDENT(2)) != 0)
			rc = TALLY_EIO;
		putchar('\n');
		return rc;
	}
	print_text(status, stdout);
	/* the table of runs, when the database told them */
	if (json_object_get(status, "programs") != NULL) {
		putchar('\n');
		t = table_from_json(json_object_get(programs, "columns"),
		    json_object_get(programs, "items"), NULL);
		rc = table_write(t, stdout, TABLE_TEXT);
		table_free(t);
	}
	return rc;
}

int
ctl_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl c = { .group = "status", .verb = "", .role = "tally_report",
	    .appname = "tallyctl-status" };
	struct strbuf err = STRBUF_INIT;
	struct config cfg;
	const char *path = NULL, *state;
	bool json = false;
	json_t *out = NULL;
	int ch, rc, prc, code;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(status_usage, stdout);
			return EX_OK;
		default:
			fputs(status_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tallyctl status: unexpected '%s'\n%s",
		    argv[optind], status_usage);
		return EX_USAGE;
	}
	rc = config_load(&cfg, path, &err);
	if (rc != 0) {
		fputs(strbuf_str(&err), stderr);
		strbuf_release(&err);
		config_free(&cfg);
		return tally_exit_code(rc);
	}
	ops_init(&c.ops, NULL, NULL, false);
	ctl_ops(&c)->cfg = &cfg;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = ops_status(&c.ops, &out);
	curl_global_cleanup();
	/* db_connect has said why it could not connect */
	if (rc != 0 && c.ops.db != NULL)
		log_err("%s", strbuf_str(&c.ops.err));
	prc = print_status(out, json);
	if (rc == 0)
		rc = prc;
	if (fflush(stdout) != 0 && rc == 0)
		rc = TALLY_EIO;
	state = json_string_value(json_object_get(json_object_get(out, "status"),
	    "state"));
	if (rc != 0)
		code = tally_exit_code(rc);
	else
		code = state != NULL && (strcmp(state, "warn") == 0 ||
		    strcmp(state, "fail") == 0) ? 1 : EX_OK;
	json_decref(out);
	db_free(c.ops.db);
	ops_release(&c.ops);
	strbuf_release(&err);
	config_free(&cfg);
	return code;
}
