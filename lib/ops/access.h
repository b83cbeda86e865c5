/*
 * ops/access.h - tally-admin's access log, read (the contract is
 * ops/ops.h).  Every request the API or the panel answered is a row of
 * admin_access_log (sql/070_admin_api.sql), written by lib/admin; here it
 * is read, by `tallyctl audit access` and GET /api/admin/access-logs.
 */
#ifndef TALLY_OPS_ACCESS_H
#define TALLY_OPS_ACCESS_H

#include "ops/ops.h"

struct ops_access_list_req {
	const char *token;	/* only requests made with this token (NAME) */
	const char *actor;	/* only this actor's: token:NAME, admin:NAME */
	const char *status;	/* only answers with this status ("401") */
	struct ops_page page;
};

/* Newest first: id, at, client, method, path, query, actor, status,
 * duration_ms (exact decimal). */
int ops_access_list(struct ops *o, const struct ops_access_list_req *req,
    json_t **out);

#endif
