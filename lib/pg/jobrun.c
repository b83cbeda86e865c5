#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "pg/jobrun.h"
#include "base/log.h"
#include "base/strbuf.h"

struct jobrun {
	struct db *db;
	long long id;
	char *program;
	json_t *counts;
	json_t *outputs;
};

int
jobrun_start(struct db *db, const char *program, const char *as_of,
    struct jobrun **out)
{
	struct jobrun *jr;
	char host[256], pid[32];
	char *id = NULL;
	const char *params[4];
	int rc;

	*out = NULL;
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	params[0] = program;
	params[1] = as_of;
	params[2] = host[0] != '\0' ? host : NULL;
	params[3] = pid;
	rc = db_query_value(db, &id,
	    "INSERT INTO job_runs (program, as_of, host, pid)"
	    " VALUES ($1, $2::timestamptz, $3, $4::integer) RETURNING id",
	    4, params);
	if (rc != 0) {
		log_err("%s: cannot record the run in job_runs: %s", program,
		    db_errmsg(db));
		return rc;
	}
	jr = xcalloc(1, sizeof(*jr));
	jr->db = db;
	jr->id = id != NULL ? strtoll(id, NULL, 10) : 0;
	jr->program = xstrdup(program);
	jr->counts = json_object();
	jr->outputs = json_array();
	free(id);
	if (jr->counts == NULL || jr->outputs == NULL) {
		log_err("out of memory");
		abort();
	}
	*out = jr;
	return 0;
}

int
jobrun_reap(struct db *db, const char *program, long long *reaped)
{
	const char *params[1] = { program };
	long long n = 0;
	int rc;

	rc = db_command(db, &n,
	    "UPDATE job_runs SET status = 'FAILED', finished_at = now(),"
	    " message = 'abandoned: the run ended without finishing"
	    " (crashed or killed)'"
	    " WHERE program = $1 AND status = 'RUNNING'", 1, params);
	if (rc != 0)
		log_err("%s: cannot tidy job_runs: %s", program, db_errmsg(db));
	else if (n > 0)
		log_warning("%s: %lld earlier run(s) never finished; marked FAILED",
		    program, n);
	if (reaped != NULL)
		*reaped = n;
	return rc;
}

long long
jobrun_id(const struct jobrun *jr)
{
	return jr != NULL ? jr->id : 0;
}

void
jobrun_count(struct jobrun *jr, const char *key, long long value)
{
	if (jr == NULL)
		return;
	if (json_object_set_new(jr->counts, key, json_integer(value)) != 0) {
		log_err("out of memory");
		abort();
	}
}

void
jobrun_count_fields(struct jobrun *jr, const void *base,
    const struct jobrun_field *fields)
{
	long long v;

	for (const struct jobrun_field *f = fields; f->name != NULL; f++) {
		/* memcpy: the field sits in a struct of the caller's type */
		memcpy(&v, (const unsigned char *)base + f->offset, sizeof(v));
		jobrun_count(jr, f->name, v);
	}
}

void
jobrun_output(struct jobrun *jr, const char *path)
{
	if (jr == NULL)
		return;
	if (json_array_append_new(jr->outputs, json_string(path)) != 0)
		log_warning("job_runs: output name is not UTF-8, left out");
}

void
jobrun_count_json(struct jobrun *jr, const char *key, json_t *value)
{
	if (jr == NULL) {
		json_decref(value);
		return;
	}
	if (value == NULL || json_object_set_new(jr->counts, key, value) != 0) {
		log_err("out of memory");
		abort();
	}
}

void
jobrun_output_json(struct jobrun *jr, json_t *value)
{
	if (jr == NULL) {
		json_decref(value);
		return;
	}
	if (value == NULL || json_array_append_new(jr->outputs, value) != 0) {
		log_err("out of memory");
		abort();
	}
}

static const char *
status_for(int result)
{
	if (result == 0)
		return "OK";
	if (result == TALLY_EPROBLEMS)
		return "PROBLEMS";
	return "FAILED";
}

int
jobrun_finish(struct jobrun *jr, int result, const char *message)
{
	char *counts = NULL, *outputs = NULL, *msg = NULL;
	PGresult *res = NULL;
	char id[32];
	const char *params[5];
	int rc;

	if (jr == NULL)
		return 0;
	counts = json_dumps(jr->counts, JSON_COMPACT | JSON_SORT_KEYS);
	outputs = json_dumps(jr->outputs, JSON_COMPACT);
	if (counts == NULL || outputs == NULL) {
		log_err("out of memory");
		abort();
	}
	if (message == NULL && result != 0 && result != TALLY_EPROBLEMS)
		message = tally_strerror(result);
	/* a copy: message may live on the handle (db_errmsg), which the
	 * reconnect below would reset */
	msg = message != NULL ? xstrdup(message) : NULL;
	snprintf(id, sizeof(id), "%lld", jr->id);
	params[0] = id;
	params[1] = status_for(result);
	params[2] = counts;
	params[3] = outputs;
	params[4] = msg;
	/* a failed run may have lost its connection: that is often why it
	 * failed, and its row must still say so */
	if (!db_ok(jr->db) && db_reconnect(jr->db) != 0)
		log_debug("job_runs: reconnect failed: %s", db_errmsg(jr->db));
	db_rollback(jr->db);
	/*
	 * The audit chain's head goes into the row and the log line: an
	 * anchor outside audit_log (lib/pg/audit.h), so that removing the
	 * newest audit rows is found by `tallyctl audit verify`, and by the
	 * journal's copy even when job_runs is edited too.
	 */
	rc = db_query(jr->db, &res,
	    "UPDATE job_runs SET finished_at = now(), status = $2,"
	    " counts = $3::jsonb, outputs = $4::jsonb, message = $5,"
	    " (audit_anchor_id, audit_anchor_mac) = (SELECT id, hash"
	    "  FROM audit_log ORDER BY id DESC LIMIT 1)"
	    " WHERE id = $1::bigint"
	    " RETURNING audit_anchor_id, encode(audit_anchor_mac, 'hex')",
	    5, params);
	if (rc != 0)
		log_err("%s: cannot finish job_runs row %lld: %s", jr->program,
		    jr->id, db_errmsg(jr->db));
	else if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		log_info("%s: run %lld %s; audit anchor %s:%s", jr->program,
		    jr->id, params[1], PQgetvalue(res, 0, 0),
		    PQgetvalue(res, 0, 1));
	PQclear(res);
	free(counts);
	free(outputs);
	free(msg);
	jobrun_free(jr);
	return rc;
}

void
jobrun_free(struct jobrun *jr)
{
	if (jr == NULL)
		return;
	json_decref(jr->counts);
	json_decref(jr->outputs);
	free(jr->program);
	free(jr);
}

static json_t *
text_or_null(const char *v)
{
	return v != NULL ? json_string(v) : json_null();
}

int
jobrun_last(struct db *db, const char *program, json_t **out)
{
	const char *params[1] = { program };
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	rc = db_query(db, &res,
	    "SELECT status, message,"
	    "  to_char(started_at AT TIME ZONE 'UTC',"
	    "   'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    "  to_char(finished_at AT TIME ZONE 'UTC',"
	    "   'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	    " FROM job_runs WHERE program = $1"
	    " ORDER BY started_at DESC LIMIT 1", 1, params);
	if (rc == 0 && PQntuples(res) > 0)
		*out = json_pack("{s:s, s:o, s:o, s:o}",
		    "status", db_value(res, 0, 0),
		    "message", text_or_null(db_value(res, 0, 1)),
		    "started_at", text_or_null(db_value(res, 0, 2)),
		    "finished_at", text_or_null(db_value(res, 0, 3)));
	PQclear(res);
	return rc;
}
