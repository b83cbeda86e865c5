/*
 * access.c - tally-admin's access log, read (ops/access.h).
 */
#include <stdio.h>

#include "base/argnum.h"
#include "base/err.h"
#include "ops/access.h"

#define ACCESS_FILTER \
	" FROM admin_access_log l" \
	" WHERE ($1::text IS NULL OR l.actor = $1)" \
	"   AND ($2::integer IS NULL OR l.status = $2::integer)"

int
ops_access_list(struct ops *o, const struct ops_access_list_req *req,
    json_t **out)
{
	static const struct ops_list_sql q = {
		"listing the access log",
		"SELECT count(*)" ACCESS_FILTER,
		"SELECT l.id, l.at, l.client, l.method, l.path, l.query, l.actor,"
		" l.status, round(l.duration_us / 1000.0, 3) AS duration_ms"
		ACCESS_FILTER " ORDER BY l.id DESC" OPS_LIMIT_OFFSET(3, 4), 2
	};
	struct strbuf actor = STRBUF_INIT;
	const char *params[2];
	long long st;
	int rc;

	*out = NULL;
	ops_reset(o);
	if (req->token != NULL && req->actor != NULL)
		return ops_fail(o, TALLY_EUSAGE, "token", "token and actor "
		    "cannot be given together");
	if (req->status != NULL && argnum_parse(req->status, 100, 999, &st) != 0)
		return ops_fail(o, TALLY_EUSAGE, "status", "status must be an "
		    "HTTP status code (100 to 999)");
	if (req->token != NULL)
		strbuf_addf(&actor, "token:%s", req->token);
	params[0] = req->token != NULL ? strbuf_str(&actor) : req->actor;
	params[1] = req->status;
	rc = ops_list(o, &q, &req->page, params, out);
	strbuf_release(&actor);
	return rc;
}
