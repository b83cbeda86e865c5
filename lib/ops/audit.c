/*
 * audit.c - the audit trail, read; its hash chain, checked.
 *
 * The chain itself is the database's (sql/002_audit_roles.sql): every row
 * carries sha256(previous hash || its content); audit_verify() recomputes
 * it.
 */
#include <stdio.h>

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
ops_audit_verify(struct ops *o, json_t **out)
{
	struct strbuf problem = STRBUF_INIT;
	long long first_bad = 0, rows = 0;
	int rc;

	*out = NULL;
	ops_reset(o);
	if ((rc = ops_connect(o)) != 0)
		return rc;
	rc = audit_verify(o->db, &first_bad, &rows, &problem);
	if (rc != 0) {
		strbuf_release(&problem);
		return ops_db_fail(o, rc, "checking the audit log");
	}
	*out = json_pack("{s:{s:b, s:I, s:o, s:o}, s:[{s:s, s:s}, {s:s, s:s},"
	    " {s:s, s:s}, {s:s, s:s}]}",
	    "item", "intact", first_bad == 0, "rows_checked", (json_int_t)rows,
	    "first_bad", first_bad != 0 ? json_integer(first_bad) : json_null(),
	    "problem", first_bad != 0 ? json_string(strbuf_str(&problem)) :
	    json_null(),
	    "columns", "name", "intact", "type", "boolean",
	    "name", "rows_checked", "type", "integer",
	    "name", "first_bad", "type", "integer",
	    "name", "problem", "type", "text");
	strbuf_release(&problem);
	return 0;
}
