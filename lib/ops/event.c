/*
 * event.c - raw events, read.
 */
#include <stdio.h>

#include "ops/event.h"

#define EVENT_FILTER \
	" FROM raw_events" \
	" WHERE ($1::text IS NULL OR status = $1)" \
	"   AND ($2::text IS NULL OR source = $2)"

static const struct ops_list_sql list_sql = {
	"listing events",
	"SELECT count(*)" EVENT_FILTER,
	"SELECT id, source, event_key,"
	" coalesce(payload->>'type', payload->>'transaction_status',"
	"          payload->>'status') AS type,"
	" received_at, status, attempts, processed_at, error" EVENT_FILTER
	" ORDER BY id DESC" OPS_LIMIT_OFFSET(3, 4), 2
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
