/*
 * order.c - orders, read.
 */
#include <stdio.h>

#include "ops/order.h"

#define ORDER_FILTER \
	" FROM orders o" \
	" LEFT JOIN customers cu ON cu.id = o.customer_id" \
	" LEFT JOIN products p ON p.id = o.product_id" \
	" LEFT JOIN fulfilments f ON f.order_id = o.id" \
	" LEFT JOIN fulfil_queue q ON q.order_id = o.id" \
	" WHERE (NOT $1::boolean OR (f.id IS NULL AND" \
	"        (q.order_id IS NOT NULL OR o.status = 'PAID')))" \
	"   AND ($2::text IS NULL OR o.status = $2)" \
	"   AND ($3::text IS NULL OR lower(cu.email) = lower($3))"

static const struct ops_list_sql list_sql = {
	"listing orders",
	"SELECT count(*)" ORDER_FILTER,
	"SELECT o.id, o.source, o.provider_ref, cu.email AS customer, p.sku,"
	" tally_major(o.amount_minor, o.currency) AS amount, o.currency,"
	" o.status, o.paid_at, f.kind AS fulfilled, f.created_at AS fulfilled_at,"
	" q.attempts, q.last_error" ORDER_FILTER
	" ORDER BY o.id DESC" OPS_LIMIT_OFFSET(4, 5), 3
};

int
ops_order_list(struct ops *o, const struct ops_order_list_req *req,
    json_t **out)
{
	const char *params[3];
	char st[32];

	*out = NULL;
	params[0] = req->unfulfilled ? "true" : "false";
	params[1] = ops_upper(st, sizeof(st), req->status);
	params[2] = req->customer;
	return ops_list(o, &list_sql, &req->page, params, out);
}
