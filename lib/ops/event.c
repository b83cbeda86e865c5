/*
 * event.c - raw events: list, and retry failed ones (see ops/event.h).
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "ops/event.h"

#define EVENT_TYPE \
	" coalesce(r.payload->>'type', r.payload->>'transaction_status'," \
	"          r.payload->>'status') AS type,"

#define EVENT_FILTER \
	" FROM raw_events r" \
	" WHERE ($1::text IS NULL OR r.status = $1)" \
	"   AND ($2::text IS NULL OR r.source = $2)"

static const struct ops_list_sql list_sql = {
	"listing events",
	"SELECT count(*)" EVENT_FILTER,
	"SELECT r.id, r.source, r.event_key," EVENT_TYPE
	" r.received_at, r.status, r.attempts, r.processed_at, r.error"
	EVENT_FILTER
	" ORDER BY r.id DESC" OPS_LIMIT_OFFSET(3, 4), 2
};

int
ops_event_list(struct ops *o, const struct ops_event_list_req *req,
    json_t **out)
{
	const char *params[2];
	char st[32];

	*out = NULL;
	params[0] = req->failed ? "FAILED" : ops_upper(st, sizeof(st), req->status);
	params[1] = req->source;
	return ops_list(o, &list_sql, &req->page, params, out);
}

/* ---- retry ------------------------------------------------------- */

/*
 * FAILED -> NEW for the event $1, or (NULL) every FAILED one of source $2
 * (NULL: all), locked first in id order (as allocators claim them).
 * processed_at stays: the provider check older than it is what makes
 * tally-allocate ask a Midtrans or Xendit provider again.  Each row
 * carries what the audit records before and after.
 */
#define RETRY_NCOLS 9
static const char retry_sql[] =
    "WITH old AS ("
    "  SELECT r.id, r.status, r.attempts, r.error"
    "    FROM raw_events r"
    "   WHERE r.status = 'FAILED'"
    "     AND ($1::bigint IS NULL OR r.id = $1::bigint)"
    "     AND ($2::text IS NULL OR r.source = $2)"
    "   ORDER BY r.id"
    "     FOR UPDATE)"
    " UPDATE raw_events r SET status = 'NEW', attempts = 0"
    "   FROM old"
    "  WHERE r.id = old.id"
    " RETURNING r.id, r.source, r.event_key," EVENT_TYPE
    "  r.received_at, r.status, r.attempts, r.processed_at, r.error,"
    "  jsonb_build_object('status', old.status, 'attempts', old.attempts,"
    "    'error', old.error) AS before,"
    "  jsonb_build_object('status', r.status, 'attempts', r.attempts,"
    "    'error', r.error) AS after";

static int
check_one(struct ops *o, const char *id)
{
	const char *params[1] = { id };
	PGresult *res = NULL;
	const char *st;
	int rc;

	rc = db_query(o->db, &res, "SELECT status FROM raw_events"
	    " WHERE id = $1::bigint FOR UPDATE", 1, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "reading the event");
	st = PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : NULL;
	if (st == NULL)
		rc = ops_fail(o, TALLY_ENOTFOUND, "id", "no event %s", id);
	else if (strcmp(st, "FAILED") != 0)
		rc = ops_fail(o, TALLY_ECONFLICT, NULL, "event %s is %s, not "
		    "FAILED: %s", id, st, strcmp(st, "NEW") == 0 ?
		    "it waits for tally-allocate already" :
		    "it was processed; nothing to retry");
	PQclear(res);
	return rc;
}

struct retry_arg {
	const struct ops_event_retry_req *req;
};

static int
retry_fn(struct ops *o, void *p, json_t **out)
{
	const struct ops_event_retry_req *req = ((struct retry_arg *)p)->req;
	const char *params[2];
	PGresult *res = NULL;
	char id[24];
	int rc, i;

	snprintf(id, sizeof(id), "%lld", req->id);
	params[0] = req->id > 0 ? id : NULL;
	params[1] = req->id > 0 ? NULL : req->source;
	if (req->id > 0 && (rc = check_one(o, id)) != 0)
		return rc;
	rc = db_query(o->db, &res, retry_sql, 2, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "retrying events");
	for (i = 0, rc = 0; rc == 0 && i < PQntuples(res); i++)
		rc = ops_audit_change(o, "event.retry", "raw_event",
		    PQgetvalue(res, i, 0), req->reason, res, i, RETRY_NCOLS);
	if (rc == 0) {
		*out = ops_items_json(res, RETRY_NCOLS);
		json_object_set_new(*out, "total",
		    json_integer(PQntuples(res)));
		json_object_set_new(*out, "dry_run", json_boolean(o->dry_run));
	}
	PQclear(res);
	return rc;
}

int
ops_event_retry(struct ops *o, const struct ops_event_retry_req *req,
    json_t **out)
{
	struct retry_arg a = { req };
	int rc;

	*out = NULL;
	ops_reset(o);
	if (req->id < 0 || (req->id == 0) == !req->failed)
		return ops_fail(o, TALLY_EUSAGE, "id", "id: give one event id (a "
		    "whole number from 1) or failed, not both");
	if (req->source != NULL && !req->failed)
		return ops_fail(o, TALLY_EUSAGE, "source", "source goes with "
		    "failed: one event is named by its id alone");
	if ((rc = ops_text_check(o, "reason", req->reason, OPS_EVENT_REASON_MAX,
	    NULL)) != 0)
		return rc;
	return ops_change(o, retry_fn, &a, out);
}
