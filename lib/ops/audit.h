/*
 * ops/audit.h - reading the audit trail, checking its chain, its head as
 * an anchor (the contract is ops/ops.h; recording is ops_audit() in
 * ops/ops.h, on lib/pg/audit.h).
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

struct ops_audit_verify_req {
	const char *anchor;	/* "ID:HEX" kept outside the database, or NULL */
	/* the last id from before the keyed chain, as the admin noted it at
	 * the upgrade (outside the database), or NULL */
	const char *legacy_until;
};

/*
 * Check the chain with the audit key (lib/pg/audit.h): every row's MAC,
 * ids without gaps, and that it reaches the newest anchor in job_runs and
 * req->anchor (req may be NULL).  The item: intact, rows_checked,
 * unkeyed (rows from before the keyed chain), first_bad (the first row
 * altered, removed or missing, or the first unkeyed row that neither
 * req->legacy_until nor req->anchor vouches for; null when intact), problem,
 * anchors_reached, head ("ID:HEX"), reached (one line per anchor).  A
 * broken chain is an answer, not a failure: 0 is returned.  No key:
 * TALLY_ECONFIG; a malformed anchor: TALLY_EUSAGE on field "anchor", a
 * legacy_until that is not a positive whole number: on "legacy_until".
 */
int ops_audit_verify(struct ops *o, const struct ops_audit_verify_req *req,
    json_t **out);

/* The chain's head, for an admin to keep: the item id, anchor ("ID:HEX").
 * TALLY_ENOTFOUND for an empty log. */
int ops_audit_anchor(struct ops *o, json_t **out);

#endif
