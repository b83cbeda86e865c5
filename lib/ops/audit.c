/*
 * audit.c - the audit trail, read; its chain, checked; its head, as an
 * anchor to keep.  The chain and its checks are lib/pg/audit.h's.
 */
#include <stdint.h>
#include <stdio.h>

#include "base/argnum.h"
#include "base/err.h"
#include "ops/audit.h"
#include "pg/audit.h"

/*
 * For people, the change of each key instead of two JSON documents:
 * "max_seats: 2 -> 3, status: \"ASSIGNED\" -> \"AVAILABLE\"" (updated_at
 * left out: it changes every time).  Only objects have keys; anything
 * else compares as a whole.
 */
#define AUDIT_CHANGES \
	"left((SELECT string_agg(k || ': ' || coalesce(b.j -> k, 'null')::text" \
	"   || ' -> ' || coalesce(f.j -> k, 'null')::text, ', ' ORDER BY k)" \
	"  FROM (SELECT CASE WHEN jsonb_typeof(a.before) = 'object' THEN a.before" \
	"                    ELSE '{}' END AS j) b," \
	"       (SELECT CASE WHEN jsonb_typeof(a.after) = 'object' THEN a.after" \
	"                    ELSE '{}' END AS j) f," \
	"       LATERAL jsonb_object_keys(b.j || f.j) AS k" \
	"  WHERE (b.j -> k) IS DISTINCT FROM (f.j -> k) AND k <> 'updated_at'), 300)"

#define AUDIT_FILTER \
	" FROM audit_log a" \
	" WHERE ($1::text IS NULL OR a.entity = $1)" \
	"   AND ($2::text IS NULL OR a.entity_id = $2)" \
	"   AND ($3::text IS NULL OR a.actor = $3)" \
	"   AND ($4::text IS NULL OR a.action = $4)"

int
ops_audit_list(struct ops *o, const struct ops_audit_list_req *req,
    json_t **out)
{
	static const struct ops_list_sql q = {
		"reading the audit log",
		"SELECT count(*)" AUDIT_FILTER,
		"SELECT a.id, a.at, a.actor, a.action, a.entity, a.entity_id,"
		" a.reason, " AUDIT_CHANGES " AS changes, a.before, a.after"
		AUDIT_FILTER " ORDER BY a.id DESC" OPS_LIMIT_OFFSET(5, 6), 4
	};
	const char *params[4] = { req->entity, req->entity_id, req->actor,
	    req->action };

	return ops_list(o, &q, &req->page, params, out);
}

int
ops_audit_verify(struct ops *o, const struct ops_audit_verify_req *req,
    json_t **out)
{
	struct audit_anchor anchor;
	struct audit_check chk;
	char head[AUDIT_ANCHOR_TEXT];
	bool given = req != NULL && req->anchor != NULL;
	long long legacy_until = 0;
	int rc;

	*out = NULL;
	ops_reset(o);
	if (given && !audit_anchor_parse(req->anchor, &anchor))
		return ops_fail(o, TALLY_EUSAGE, "anchor", "anchor must be ID:HEX "
		    "(64 hex digits), as tallyctl audit anchor prints it");
	if (req != NULL && req->legacy_until != NULL &&
	    argnum_parse(req->legacy_until, 1, INT64_MAX, &legacy_until) != 0)
		return ops_fail(o, TALLY_EUSAGE, "legacy_until", "legacy_until must "
		    "be an audit row id (a whole number from 1)");
	if ((rc = ops_connect(o)) != 0)
		return rc;
	audit_check_init(&chk);
	chk.legacy_until = legacy_until;
	rc = audit_verify_chain(o->db, &anchor, given ? 1 : 0, &chk);
	if (rc != 0) {
		audit_check_release(&chk);
		return ops_db_fail(o, rc, "checking the audit log");
	}
	audit_anchor_format(&chk.head, head, sizeof(head));
	*out = json_pack("{s:{s:b, s:I, s:I, s:o, s:o, s:i, s:o, s:s},"
	    " s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s},"
	    " {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}",
	    "item", "intact", chk.first_bad == 0,
	    "rows_checked", (json_int_t)chk.rows,
	    "unkeyed", (json_int_t)chk.legacy,
	    "first_bad", chk.first_bad != 0 ? json_integer(chk.first_bad) :
	    json_null(),
	    "problem", chk.first_bad != 0 ? json_string(strbuf_str(&chk.problem)) :
	    json_null(),
	    "anchors_reached", chk.anchors,
	    "head", chk.head.id > 0 ? json_string(head) : json_null(),
	    "reached", strbuf_str(&chk.reached),
	    "columns", "name", "intact", "type", "boolean",
	    "name", "rows_checked", "type", "integer",
	    "name", "unkeyed", "type", "integer",
	    "name", "first_bad", "type", "integer",
	    "name", "problem", "type", "text",
	    "name", "anchors_reached", "type", "integer",
	    "name", "head", "type", "text",
	    "name", "reached", "type", "text");
	audit_check_release(&chk);
	return 0;
}

int
ops_audit_anchor(struct ops *o, json_t **out)
{
	struct audit_anchor head;
	char text[AUDIT_ANCHOR_TEXT];
	int rc;

	*out = NULL;
	ops_reset(o);
	if ((rc = ops_connect(o)) != 0)
		return rc;
	if ((rc = audit_head(o->db, &head)) != 0)
		return ops_db_fail(o, rc, "reading the audit log's head");
	if (head.id == 0)
		return ops_fail(o, TALLY_ENOTFOUND, NULL, "the audit log is "
		    "empty: no anchor yet");
	audit_anchor_format(&head, text, sizeof(text));
	*out = json_pack("{s:{s:I, s:s}, s:[{s:s, s:s}, {s:s, s:s}]}",
	    "item", "id", (json_int_t)head.id, "anchor", text,
	    "columns", "name", "id", "type", "integer",
	    "name", "anchor", "type", "text");
	return 0;
}
