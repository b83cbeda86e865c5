/*
 * order.c - orders: list, and approve a held one (see ops/order.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ops/order.h"
#include "pg/audit.h"

#define ORDER_FILTER \
	" FROM orders o" \
	" LEFT JOIN customers cu ON cu.id = o.customer_id" \
	" LEFT JOIN products p ON p.id = coalesce(o.product_id," \
	"   (SELECT x.id FROM products x WHERE x.sku = o.sku))" \
	" LEFT JOIN fulfilments f ON f.order_id = o.id" \
	" LEFT JOIN fulfil_queue q ON q.order_id = o.id" \
	" WHERE (NOT $1::boolean OR (f.id IS NULL AND" \
	"        (q.order_id IS NOT NULL OR o.status = 'PAID')))" \
	"   AND ($2::text IS NULL OR o.status = $2)" \
	"   AND ($3::text IS NULL OR lower(cu.email) = lower($3))" \
	"   AND (NOT $4::boolean OR o.status = 'HELD')"

static const struct ops_list_sql list_sql = {
	"listing orders",
	"SELECT count(*)" ORDER_FILTER,
	"SELECT o.id, o.source, o.provider_ref, cu.email AS customer,"
	" coalesce(p.sku, o.sku) AS sku,"
	" tally_major(o.amount_minor, o.currency) AS amount, o.currency,"
	" o.status, o.paid_at, f.kind AS fulfilled, f.created_at AS fulfilled_at,"
	" q.attempts, q.last_error, o.hold_reason, o.approved_by, o.approved_at"
	ORDER_FILTER
	" ORDER BY o.id DESC" OPS_LIMIT_OFFSET(5, 6), 4
};

static const struct ops_list_sql held_sql = {
	"listing held orders",
	"SELECT count(*)" ORDER_FILTER,
	"SELECT o.id, o.source, o.provider_ref, cu.email AS customer,"
	" coalesce(p.sku, o.sku) AS sku,"
	" tally_major(o.amount_minor, o.currency) AS paid, o.currency,"
	" tally_major(p.price_minor, p.currency) AS price,"
	" tally_major(p.min_price_minor, p.currency) AS min_price,"
	" p.currency AS price_currency, o.hold_reason, o.held_at, o.paid_at"
	ORDER_FILTER
	" ORDER BY o.held_at, o.id" OPS_LIMIT_OFFSET(5, 6), 4
};

int
ops_order_list(struct ops *o, const struct ops_order_list_req *req,
    json_t **out)
{
	const char *params[4];
	char st[32];

	*out = NULL;
	ops_reset(o);
	if (req->held && req->unfulfilled)
		return ops_fail(o, TALLY_EUSAGE, "held", "held: held orders do "
		    "not wait for the allocator; ask for held or unfulfilled, "
		    "not both");
	params[0] = req->unfulfilled ? "true" : "false";
	params[1] = ops_upper(st, sizeof(st), req->status);
	params[2] = req->customer;
	params[3] = req->held ? "true" : "false";
	return ops_list(o, req->held ? &held_sql : &list_sql, &req->page,
	    params, out);
}

/* ---- approve ----------------------------------------------------- */

/* What approve answers, from the order after the change ($1) and the
 * reason it was held for ($2). */
#define APPROVED_COLS \
	"SELECT o.id, o.status, cu.email AS customer," \
	" coalesce(p.sku, o.sku) AS sku," \
	" tally_major(o.amount_minor, o.currency) AS amount, o.currency," \
	" $2::text AS was_held_for, o.approved_by, o.approved_at," \
	" EXISTS (SELECT 1 FROM fulfil_queue q WHERE q.order_id = o.id)" \
	"   AS queued," \
	" to_jsonb(o) AS after" \
	" FROM orders o" \
	" LEFT JOIN customers cu ON cu.id = o.customer_id" \
	" LEFT JOIN products p ON p.id = coalesce(o.product_id," \
	"   (SELECT x.id FROM products x WHERE x.sku = o.sku))" \
	" WHERE o.id = $1::bigint"
#define APPROVED_NCOLS 10

struct approve_arg {
	const struct ops_order_approve_req *req;
};

static int
approve_fn(struct ops *o, void *p, json_t **out)
{
	const struct ops_order_approve_req *req =
	    ((struct approve_arg *)p)->req;
	PGresult *cur = NULL, *res = NULL;
	const char *params[2];
	char id[24], *st = NULL;
	int rc;

	snprintf(id, sizeof(id), "%lld", req->id);
	params[0] = id;
	/* the lock tally_order_unhold() takes, taken first so that the
	 * checks below hold until commit */
	rc = db_query(o->db, &cur,
	    "SELECT o.status, o.hold_reason, o.sku,"
	    " EXISTS (SELECT 1 FROM products x WHERE x.sku = o.sku)"
	    "   AS sku_known,"
	    " to_jsonb(o) AS before"
	    " FROM orders o WHERE o.id = $1::bigint FOR NO KEY UPDATE", 1,
	    params);
	if (rc != 0)
		return ops_db_fail(o, rc, "reading the order");
	if (PQntuples(cur) == 0) {
		rc = ops_fail(o, TALLY_ENOTFOUND, "id", "no order %s", id);
		goto out;
	}
	if (strcmp(PQgetvalue(cur, 0, 0), "HELD") != 0) {
		rc = ops_fail(o, TALLY_ECONFLICT, NULL, "order %s is %s, not "
		    "held: nothing to approve", id, PQgetvalue(cur, 0, 0));
		goto out;
	}
	if (strcmp(PQgetvalue(cur, 0, 1), "UNKNOWN_PRODUCT") == 0 &&
	    strcmp(PQgetvalue(cur, 0, 3), "t") != 0) {
		rc = ops_fail(o, TALLY_EREFUSED, NULL, "order %s names sku '%s', "
		    "which is no product: there is nothing to give.  Add it "
		    "(tallyctl product add --sku %s ...); the next tally-allocate "
		    "then fulfils the order by itself", id, PQgetvalue(cur, 0, 2),
		    PQgetvalue(cur, 0, 2));
		goto out;
	}
	params[1] = audit_actor(o->actor);
	rc = db_query_value(o->db, &st, "SELECT tally_order_unhold($1::bigint,"
	    " $2)", 2, params);
	if (rc != 0) {
		rc = ops_db_fail(o, rc, "approving the order");
		goto out;
	}
	params[1] = PQgetvalue(cur, 0, 1);
	rc = db_query(o->db, &res, APPROVED_COLS, 2, params);
	if (rc != 0) {
		rc = ops_db_fail(o, rc, "reading the order back");
		goto out;
	}
	rc = ops_audit(o, "order.approve", "order", id, req->reason,
	    PQgetvalue(cur, 0, 4), PQgetvalue(res, 0, APPROVED_NCOLS));
	if (rc == 0)
		*out = ops_change_json(o, res, 0, APPROVED_NCOLS);
out:
	free(st);
	PQclear(cur);
	PQclear(res);
	return rc;
}

int
ops_order_approve(struct ops *o, const struct ops_order_approve_req *req,
    json_t **out)
{
	struct approve_arg a = { req };
	int rc;

	*out = NULL;
	ops_reset(o);
	if ((rc = ops_id_check(o, req->id, "an order id")) != 0)
		return rc;
	if ((rc = ops_text_check(o, "reason", req->reason, OPS_ORDER_REASON_MAX,
	    "say why the order may be given as it was paid")) != 0)
		return rc;
	return ops_change(o, approve_fn, &a, out);
}
