/*
 * ops/audit.h - reading the audit trail and checking its hash chain (the
 * contract is ops/ops.h; recording is ops_audit() in ops/ops.h, on
 * lib/pg/audit.h).
 */
#ifndef TALLY_OPS_AUDIT_H
#define TALLY_OPS_AUDIT_H

#include "ops/ops.h"

struct ops_audit_list_req {
	const char *entity;	/* account, assignment, ... */
	const char *entity_id;
	const char *actor;
	const char *action;	/* account.add, ... */
	struct ops_page page;
};

/*
 * Newest first: id, at, actor, action, entity, entity_id, reason,
 * changes (for people: "key: old -> new, ..." without updated_at, at most
 * 300 characters), before, after (the whole documents).
 */
int ops_audit_list(struct ops *o, const struct ops_audit_list_req *req,
    json_t **out);

/*
 * Recompute the chain.  The item: intact, rows_checked, first_bad (the
 * first row altered or following a removed one; null when intact),
 * problem.  A broken chain is an answer, not a failure: 0 is returned.
 */
int ops_audit_verify(struct ops *o, json_t **out);

#endif
