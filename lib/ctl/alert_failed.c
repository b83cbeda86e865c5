/*
 * alert_failed.c - tallyctl alert-failed UNIT: systemd's OnFailure= hook,
 * which posts what failed to alert_url at most once per --repeat minutes.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "base/config.h"
#include "pg/db.h"
#include "pg/embedded.h"
#include "base/err.h"
#include "pg/jobrun.h"
#include "base/log.h"
#include "pg/pgembed.h"
#include "base/strbuf.h"
#include "out/table.h"
#include "base/fsutil.h"
#include "base/http.h"
#include "ctl/alert_failed.h"
#include "ctl/ctlopt.h"

#define ALERT_TIMEOUT_MS 10000L
#define ALERT_REPEAT_MINUTES 60L

static json_t *
json_str_or_null(const char *v)
{
	return v != NULL ? json_string(v) : json_null();
}


/* A systemd unit name: what systemd itself allows, and never a path. */
static bool
valid_unit_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255 || s[0] == '.')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(":-_.\\@", *s) == NULL)
			return false;
	return true;
}

/* What a sysexits status means, for the people reading the alert. */
static const char *
exit_meaning(const char *status)
{
	static const struct {
		int code;
		const char *meaning;
	} meanings[] = {
		{ 1, "done, but found problems" },
		{ 64, "usage error" },
		{ 65, "bad input data" },
		{ 69, "database or service unavailable" },
		{ 70, "internal error" },
		{ 73, "cannot create output" },
		{ 75, "temporary failure, or another run holds the lock" },
		{ 78, "configuration error" },
	};
	char *end;
	long v;
	size_t i;

	if (status == NULL)
		return NULL;
	v = strtol(status, &end, 10);
	if (end == status || *end != '\0')
		return NULL;
	for (i = 0; i < sizeof(meanings) / sizeof(meanings[0]); i++)
		if (meanings[i].code == v)
			return meanings[i].meaning;
	return NULL;
}

/* The program's last job_runs row, when the database answers: NULL (and
 * a note in why) when it does not, which is often why the unit failed. */
static json_t *
last_run(const char *program, struct strbuf *why)
{
	struct db *db = NULL;
	json_t *run = NULL;

	if (db_connect(&db, "tallyctl-alert", "tally_report") != 0) {
		strbuf_addstr(why, "the database does not answer");
		return NULL;
	}
	if (jobrun_last(db, program, &run) != 0)
		strbuf_addf(why, "job_runs cannot be read: %s", db_errmsg(db));
	else if (run == NULL)
		strbuf_addf(why, "%s has no run in job_runs", program);
	db_free(db);
	return run;
}

/* Where the time of a unit's last alert is kept: $STATE_DIRECTORY (the
 * unit's StateDirectory=, the first of several) or $TALLY_HOME. */
static void
alert_state_path(const char *unit, struct strbuf *dir, struct strbuf *file)
{
	const char *sd = getenv("STATE_DIRECTORY");
	char *home;

	if (sd != NULL && sd[0] != '\0') {
		strbuf_add(dir, sd, strcspn(sd, ":"));
	} else {
		home = pgembed_home();
		strbuf_addstr(dir, home);
		free(home);
	}
	strbuf_addstr(dir, "/alerts");
	strbuf_addf(file, "%s/%s", dir->buf, unit);
}

/* Whether unit was alerted less than repeat minutes ago. */
static bool
alerted_recently(const char *file, long repeat, time_t now, time_t *when)
{
	struct stat sb;

	if (repeat == 0 || stat(file, &sb) != 0)
		return false;
	*when = sb.st_mtime;
	return sb.st_mtime > now - repeat * 60 && sb.st_mtime <= now;
}

static void
remember_alert(const char *dir, const char *file, const char *at)
{
	FILE *f;

	if (fsutil_mkdir_p(dir, 0750) != 0 || (f = fopen(file, "w")) == NULL) {
		log_warning("%s: %s: the next failure will be alerted again",
		    file, strerror(errno));
		return;
	}
	fprintf(f, "%s\n", at);
	if (fclose(f) != 0)
		log_warning("%s: %s", file, strerror(errno));
}

static const char alert_usage[] =
    "usage: tallyctl alert-failed [-c FILE] [--repeat MINUTES] UNIT\n"
    "  tell someone that systemd unit UNIT failed: POST a JSON message\n"
    "  {\"text\": ..., \"unit\": ..., \"host\": ..., \"exit_status\": ...,\n"
    "  \"last_run\": {...}} to tally.conf's alert_url (a chat webhook that\n"
    "  takes a \"text\" field), or only log it when alert_url is empty.\n"
    "  Run by tally-alert@UNIT.service, which every tally unit names in\n"
    "  OnFailure=; systemd's MONITOR_SERVICE_RESULT, MONITOR_EXIT_CODE and\n"
    "  MONITOR_EXIT_STATUS say how it failed, and the program's last\n"
    "  job_runs row what it was doing.\n"
    "  --repeat MINUTES  a unit alerted less than MINUTES ago is only\n"
    "                    logged (default 60; 0 posts every failure).  The\n"
    "                    time is kept in $STATE_DIRECTORY/alerts/UNIT\n"
    "                    ($TALLY_HOME/alerts outside systemd)\n"
    "  Exit 0 when the alert was posted or only logged, 69 when alert_url\n"
    "  did not take it (the next failure tries again).\n";

struct alert {
	const char *unit;
	long repeat;
	const char *config_path;
};

static int
alert_send(const struct alert *a, const struct config *cfg)
{
	const char *result = getenv("MONITOR_SERVICE_RESULT");
	const char *code = getenv("MONITOR_EXIT_CODE");
	const char *status = getenv("MONITOR_EXIT_STATUS");
	const char *inv = getenv("MONITOR_INVOCATION_ID");
	const char *meaning = exit_meaning(status);
	struct strbuf program = STRBUF_INIT, text = STRBUF_INIT,
	    why = STRBUF_INIT, dir = STRBUF_INIT, file = STRBUF_INIT;
	char host[256] = "", at[32];
	size_t n = strlen(a->unit);
	json_t *run, *payload;
	char *body = NULL;
	struct http_result r;
	time_t now = time(NULL), before = 0;
	struct tm tm;
	int rc = 0;

	gethostname(host, sizeof(host) - 1);
	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* tally-allocate.service records its runs as tally-allocate */
	strbuf_add(&program, a->unit, n > 8 && strcmp(a->unit + n - 8,
	    ".service") == 0 ? n - 8 : n);
	run = last_run(program.buf, &why);

	strbuf_addf(&text, "%s failed on %s", a->unit, host);
	/* MONITOR_SERVICE_RESULT says why systemd gave up (exit-code,
	 * timeout, watchdog, ...); MONITOR_EXIT_CODE how the process ended
	 * (exited, killed, dumped) and MONITOR_EXIT_STATUS with what */
	if (result != NULL && strcmp(result, "exit-code") != 0)
		strbuf_addf(&text, ": %s", result);
	if (code != NULL && status != NULL && strcmp(code, "exited") == 0)
		strbuf_addf(&text, "%s exited with status %s%s%s%s",
		    result != NULL && strcmp(result, "exit-code") != 0 ? "," : ":",
		    status, meaning != NULL ? " (" : "",
		    meaning != NULL ? meaning : "", meaning != NULL ? ")" : "");
	else if (code != NULL && status != NULL)
		strbuf_addf(&text, "%s %s by signal %s",
		    result != NULL && strcmp(result, "exit-code") != 0 ? "," : ":",
		    code, status);
	if (run != NULL) {
		const char *msg = json_string_value(json_object_get(run, "message"));
		const char *started = json_string_value(json_object_get(run,
		    "started_at"));

		strbuf_addf(&text, ". Its last job_runs row: %s, started %s",
		    json_string_value(json_object_get(run, "status")),
		    started != NULL ? started : "?");
		if (msg != NULL)
			strbuf_addf(&text, ": %s", msg);
	} else {
		strbuf_addf(&text, ". Last run unknown: %s", why.buf);
	}
	strbuf_addf(&text, ". Logs: journalctl -u %s", a->unit);
	if (inv != NULL)
		strbuf_addf(&text, " _SYSTEMD_INVOCATION_ID=%s", inv);

	payload = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
	    "text", text.buf, "event", "unit_failed", "unit", a->unit,
	    "host", host, "at", at,
	    "result", json_str_or_null(result),
	    "exit_code", json_str_or_null(code),
	    "exit_status", json_str_or_null(status),
	    "invocation_id", json_str_or_null(inv),
	    "last_run", run != NULL ? run : json_null());
	body = json_dumps(payload, JSON_COMPACT);

	alert_state_path(a->unit, &dir, &file);
	if (cfg->alert_url == NULL || cfg->alert_url[0] == '\0') {
		log_warning("alert (no alert_url configured): %s", text.buf);
	} else if (alerted_recently(file.buf, a->repeat, now, &before)) {
		gmtime_r(&before, &tm);
		strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S UTC", &tm);
		log_notice("alert not posted again (last one %s, --repeat %ld "
		    "min): %s", at, a->repeat, text.buf);
	} else if (body == NULL) {
		rc = TALLY_ENOMEM;
	} else {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		/* alert_url carries a token in chat webhooks: never logged */
		http_exchange(cfg->alert_url, NULL, body, ALERT_TIMEOUT_MS, true,
		    &r);
		curl_global_cleanup();
		if (r.status >= 200 && r.status < 300) {
			log_notice("alert posted: %s", text.buf);
			remember_alert(dir.buf, file.buf, at);
		} else {
			if (r.status > 0)
				log_err("alert_url answered HTTP %ld; the alert "
				    "was: %s", r.status, text.buf);
			else
				log_err("alert_url cannot be reached (%s); the "
				    "alert was: %s", r.error, text.buf);
			rc = TALLY_EUNAVAIL;
		}
	}
	free(body);
	json_decref(payload);
	strbuf_release(&program);
	strbuf_release(&text);
	strbuf_release(&why);
	strbuf_release(&dir);
	strbuf_release(&file);
	return rc;
}

int
ctl_alert_failed(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct alert a = { NULL, ALERT_REPEAT_MINUTES, NULL };
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a.config_path = optarg;
			break;
		case 'r':
			if (ctlopt_count("--repeat", optarg, 525600, &a.repeat) != 0)
				return EX_USAGE;
			break;
		case 'h':
			fputs(alert_usage, stdout);
			return EX_OK;
		default:
			fputs(alert_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind + 1 != argc || !valid_unit_name(argv[optind])) {
		if (optind + 1 == argc)
			fprintf(stderr, "tallyctl alert-failed: '%s' is not a "
			    "systemd unit name\n", argv[optind]);
		fputs(alert_usage, stderr);
		return EX_USAGE;
	}
	a.unit = argv[optind];
	rc = config_load(&cfg, a.config_path, &err);
	if (rc != 0) {
		/* the alert still reaches the journal, if nothing else */
		fputs(strbuf_str(&err), stderr);
		log_err("alert: %s failed (and tally.conf cannot be read to post "
		    "it)", a.unit);
	} else {
		rc = alert_send(&a, &cfg);
	}
	strbuf_release(&err);
	config_free(&cfg);
	return tally_exit_code(rc);
}
