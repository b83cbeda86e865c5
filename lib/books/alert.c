#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "books/alert.h"
#include "base/err.h"
#include "base/http.h"
#include "base/log.h"
#include "base/strbuf.h"

#define ALERT_TIMEOUT_DEFAULT 5

/*
 * The upsert that turns "condition is X now" into edges: a row whose
 * active flag changes gets the payload to send and delivery_pending; an
 * unchanged one is left alone (and not returned).  A condition seen for
 * the first time while false is stored quietly: nothing was ever raised.
 * Rows come from the CTE `cond (key, active, summary, details)`.
 */
#define UPSERT_EDGES \
    " INSERT INTO alerts AS al (key, active, raised_at, summary, last_payload," \
    "  delivery_pending, updated_at)" \
    " SELECT c.key, c.active, CASE WHEN c.active THEN now() END, c.summary," \
    "  jsonb_build_object('text', '[tally] '" \
    "    || CASE WHEN c.active THEN 'ALERT ' ELSE 'RESOLVED ' END" \
    "    || c.key || ': ' || c.summary," \
    "   'alert', c.key," \
    "   'state', CASE WHEN c.active THEN 'raised' ELSE 'resolved' END," \
    "   'summary', c.summary, 'details', c.details," \
    "   'host', $4::text, 'program', $5::text," \
    "   'raised_at', CASE WHEN c.active THEN now() END," \
    "   'resolved_at', NULL)," \
    "  c.active, now()" \
    " FROM cond c ORDER BY c.key" \
    " ON CONFLICT (key) DO UPDATE SET" \
    "  active = excluded.active," \
    "  raised_at = CASE WHEN excluded.active THEN now() ELSE al.raised_at END," \
    "  resolved_at = CASE WHEN excluded.active THEN NULL ELSE now() END," \
    "  summary = excluded.summary," \
    "  last_payload = excluded.last_payload || jsonb_build_object(" \
    "   'raised_at', CASE WHEN excluded.active THEN now() ELSE al.raised_at END," \
    "   'resolved_at', CASE WHEN excluded.active THEN NULL ELSE now() END)," \
    "  delivery_pending = true, delivery_attempts = 0, last_error = NULL," \
    "  updated_at = now()" \
    " WHERE al.active IS DISTINCT FROM excluded.active" \
    " RETURNING al.key, al.active, al.summary, al.delivery_pending"

/*
 * The conditions.  job_runs is read with a skip scan over its (program,
 * started_at) index: one probe per program instead of the whole history.
 */
static const char sql_check[] =
    "WITH RECURSIVE progs AS ("
    "  (SELECT program FROM job_runs ORDER BY program LIMIT 1)"
    "  UNION ALL"
    "  SELECT (SELECT j.program FROM job_runs j WHERE j.program > p.program"
    "   ORDER BY j.program LIMIT 1) FROM progs p WHERE p.program IS NOT NULL),"
    " cond (key, active, summary, details) AS ("
    "  SELECT 'seats_low', f < $1::bigint,"
    "   format('%s free seat(s) in the pool (threshold %s)', f, $1::bigint),"
    "   jsonb_build_object('free_seats', f, 'threshold', $1::bigint)"
    "  FROM (SELECT tally_free_seats() AS f) x"
    "  UNION ALL"
    "  SELECT 'orders_unfulfilled', n > 0,"
    "   format('%s paid order(s) cannot be fulfilled (%s)', n,"
    "    coalesce(reasons, 'none')),"
    "   jsonb_build_object('orders', n, 'oldest_queued_at', oldest,"
    "    'reasons', reasons)"
    "  FROM (SELECT count(*) AS n, min(queued_at) AS oldest,"
    "   string_agg(DISTINCT last_error, '; ') AS reasons"
    "   FROM fulfil_queue WHERE last_error IS NOT NULL) x"
    "  UNION ALL"
    "  SELECT 'orders_held', n > 0,"
    "   format('%s paid order(s) held for an admin (%s)', n,"
    "    coalesce(reasons, 'none')),"
    "   jsonb_build_object('orders', n, 'oldest_held_at', oldest,"
    "    'reasons', reasons)"
    "  FROM (SELECT coalesce(sum(k), 0) AS n, min(oldest) AS oldest,"
    "   string_agg(k || ' ' || hold_reason, ', ' ORDER BY hold_reason) AS reasons"
    "   FROM (SELECT hold_reason, count(*) AS k, min(held_at) AS oldest"
    "    FROM orders WHERE status = 'HELD' GROUP BY hold_reason) y) x"
    "  UNION ALL"
    "  SELECT 'accounts_suspended', n >= $2::bigint,"
    "   format('%s account(s) suspended in the 24 hours before %s (threshold %s)',"
    "    n, coalesce($3::timestamptz, now()), $2::bigint),"
    "   jsonb_build_object('suspended', n, 'threshold', $2::bigint,"
    "    'accounts', coalesce(ids, '[]'::jsonb))"
    "  FROM (SELECT count(DISTINCT entity_id) AS n,"
    "   jsonb_agg(DISTINCT entity_id) AS ids FROM audit_log"
    "   WHERE action = 'account.suspend'"
    "   AND at > coalesce($3::timestamptz, now()) - interval '1 day'"
    "   AND at <= coalesce($3::timestamptz, now())) x"
    "  UNION ALL"
    "  SELECT 'job_failed:' || j.program, j.status = 'FAILED',"
    "   CASE WHEN j.status = 'FAILED'"
    "    THEN format('%s failed at %s: %s', j.program, j.finished_at,"
    "     coalesce(j.message, 'no message'))"
    "    ELSE format('%s finished %s at %s', j.program, lower(j.status),"
    "     j.finished_at) END,"
    "   jsonb_build_object('program', j.program, 'job_run', j.id,"
    "    'status', j.status, 'message', j.message,"
    "    'finished_at', j.finished_at)"
    "  FROM progs p CROSS JOIN LATERAL (SELECT r.id, r.program, r.status,"
    "   r.message, r.finished_at FROM job_runs r"
    "   WHERE r.program = p.program AND r.status <> 'RUNNING'"
    "   ORDER BY r.started_at DESC, r.id DESC LIMIT 1) j"
    "  WHERE p.program IS NOT NULL)"
    UPSERT_EDGES;

static const char sql_set[] =
    "WITH cond (key, active, summary, details) AS ("
    "  SELECT $1::text, $2::boolean, $3::text, coalesce($6::jsonb, '{}'::jsonb))"
    UPSERT_EDGES;

static void
hostname(char *buf, size_t n)
{
	if (gethostname(buf, n) != 0)
		buf[0] = '\0';
	buf[n - 1] = '\0';
}

static void
log_edges(PGresult *res, struct alert_result *r, int *edge)
{
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		bool active = strcmp(PQgetvalue(res, i, 1), "t") == 0;

		/* a condition first seen while false is no edge */
		if (strcmp(PQgetvalue(res, i, 3), "t") != 0)
			continue;
		if (edge != NULL)
			*edge = 1;
		if (active) {
			r->raised++;
			log_warning("alert raised: %s: %s", PQgetvalue(res, i, 0),
			    PQgetvalue(res, i, 2));
		} else {
			r->resolved++;
			log_notice("alert resolved: %s: %s", PQgetvalue(res, i, 0),
			    PQgetvalue(res, i, 2));
		}
	}
}

struct check_arg {
	const struct alert_opts *o;
	struct alert_result *r;
};

static int
check_tx(struct db *db, void *arg)
{
	struct check_arg *a = arg;
	char thr[32], susp[32], host[256];
	const char *params[5];
	PGresult *res = NULL;
	char *active = NULL;
	int rc;

	a->r->raised = a->r->resolved = 0;
	snprintf(thr, sizeof(thr), "%ld", a->o->seat_threshold);
	snprintf(susp, sizeof(susp), "%ld", a->o->suspensions);
	hostname(host, sizeof(host));
	params[0] = thr;
	params[1] = susp;
	params[2] = a->o->as_of;
	params[3] = host;
	params[4] = a->o->program;
	rc = db_query(db, &res, sql_check, 5, params);
	if (rc != 0)
		return rc;
	log_edges(res, a->r, NULL);
	PQclear(res);
	rc = db_query_value(db, &active,
	    "SELECT count(*) FROM alerts WHERE active", 0, NULL);
	if (rc == 0 && active != NULL)
		a->r->active = (int)strtol(active, NULL, 10);
	free(active);
	return rc;
}

int
alert_check(struct db *db, const struct alert_opts *o, struct alert_result *r)
{
	struct check_arg a = { o, r };
	int rc;

	rc = db_transaction(db, DB_READ_COMMITTED, 5, check_tx, &a);
	if (rc != 0)
		log_err("alerts: cannot evaluate: %s", db_errmsg(db));
	return rc;
}

int
alert_set(struct db *db, const char *key, bool active, const char *summary,
    const char *details_json, const char *program, int *edge)
{
	struct alert_result r;
	char host[256];
	const char *params[6];
	PGresult *res = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	if (edge != NULL)
		*edge = 0;
	hostname(host, sizeof(host));
	params[0] = key;
	params[1] = active ? "true" : "false";
	params[2] = summary;
	params[3] = host;
	params[4] = program;
	params[5] = details_json;
	rc = db_query(db, &res, sql_set, 6, params);
	if (rc != 0)
		return rc;
	log_edges(res, &r, edge);
	PQclear(res);
	return 0;
}

/* ---- delivery ---------------------------------------------------- */

/* POST body; 0 on a 2xx answer, else TALLY_EUNAVAIL with why filled. */
static int
post_json(const char *url, const char *body, long timeout, struct strbuf *why)
{
	static const char *const headers[] = {
		"Content-Type: application/json", NULL
	};
	struct http_request rq;
	struct http_result r;

	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.headers = headers;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.timeout_ms = timeout * 1000;
	/* a chat webhook is outside: through the proxy, when there is one */
	rq.use_proxy = true;
	if (http_send(&rq, &r, NULL) != 0) {
		strbuf_addstr(why, r.error);
		return TALLY_EUNAVAIL;
	}
	if (r.status < 200 || r.status > 299) {
		strbuf_addf(why, "HTTP status %ld", r.status);
		return TALLY_EUNAVAIL;
	}
	return 0;
}

struct deliver_arg {
	const struct alert_opts *o;
	struct alert_result *r;
};

/*
 * One transaction: the pending rows stay locked while they are posted, so
 * two programs delivering at once do not send the same alert twice (the
 * second skips the locked rows).  An edge recorded meanwhile waits for the
 * lock and sets the row pending again after this commit.
 */
static int
deliver_tx(struct db *db, void *arg)
{
	struct deliver_arg *a = arg;
	struct strbuf why = STRBUF_INIT;
	const char *params[2];
	PGresult *res = NULL;
	long timeout = a->o->timeout > 0 ? a->o->timeout : ALERT_TIMEOUT_DEFAULT;
	int rc, i;

	a->r->sent = a->r->failed = 0;
	rc = db_query(db, &res,
	    "SELECT key, last_payload::text FROM alerts WHERE delivery_pending"
	    " ORDER BY updated_at, key FOR UPDATE SKIP LOCKED", 0, NULL);
	if (rc != 0)
		return rc;
	for (i = 0; i < PQntuples(res) && rc == 0; i++) {
		params[0] = PQgetvalue(res, i, 0);
		strbuf_reset(&why);
		if (post_json(a->o->url, PQgetvalue(res, i, 1), timeout, &why) == 0) {
			a->r->sent++;
			rc = db_command(db, NULL,
			    "UPDATE alerts SET delivery_pending = false,"
			    " delivered_at = now(),"
			    " delivery_attempts = delivery_attempts + 1,"
			    " last_error = NULL WHERE key = $1", 1, params);
		} else {
			a->r->failed++;
			log_warning("alert %s: delivery failed, will retry on the "
			    "next run: %s", params[0], strbuf_str(&why));
			params[1] = strbuf_str(&why);
			rc = db_command(db, NULL,
			    "UPDATE alerts SET delivery_attempts = delivery_attempts + 1,"
			    " last_error = $2 WHERE key = $1", 2, params);
		}
	}
	PQclear(res);
	strbuf_release(&why);
	return rc;
}

int
alert_deliver(struct db *db, const struct alert_opts *o, struct alert_result *r)
{
	struct deliver_arg a = { o, r };
	int rc;

	if (o->url == NULL || o->url[0] == '\0') {
		/* log only: the edge was logged when it was recorded */
		rc = db_command(db, NULL,
		    "UPDATE alerts SET delivery_pending = false WHERE delivery_pending",
		    0, NULL);
	} else {
		rc = db_transaction(db, DB_READ_COMMITTED, 3, deliver_tx, &a);
	}
	if (rc != 0)
		log_err("alerts: cannot record deliveries: %s", db_errmsg(db));
	return rc;
}

int
alert_run(struct db *db, const struct alert_opts *o, struct alert_result *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = alert_check(db, o, r);
	/* deliver what is pending even when the check failed: an earlier
	 * run's undelivered alert is still worth sending */
	if (alert_deliver(db, o, r) != 0 && rc == 0)
		rc = TALLY_EDB;
	return rc;
}

void
alert_after_run(struct db *db, const struct config *cfg, const char *program,
    const char *as_of)
{
	struct alert_opts o;
	struct alert_result r;

	memset(&o, 0, sizeof(o));
	o.url = cfg->alert_url;
	o.seat_threshold = cfg->alert_seat_threshold;
	o.suspensions = cfg->alert_suspensions;
	o.as_of = as_of;
	o.program = program;
	/* problems are logged inside; a batch never fails because of them */
	(void)alert_run(db, &o, &r);
}
