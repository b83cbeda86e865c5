/*
 * ops/order.h - orders from the payment providers (the contract is
 * ops/ops.h).  Orders are written by tally-allocate; an admin reads them
 * here (and, later, approves held ones).
 */
#ifndef TALLY_OPS_ORDER_H
#define TALLY_OPS_ORDER_H

#include <stdbool.h>

#include "ops/ops.h"

struct ops_order_list_req {
	/* paid orders without their seat or credits yet: waiting in the
	 * allocator's queue (with its attempts and last error), or paid
	 * with no fulfilment (what reconcile would flag) */
	bool unfulfilled;
	const char *status;	/* PENDING, PAID, ... (any case); NULL: all */
	const char *customer;	/* email, any case */
	struct ops_page page;
};

/* Newest first: id, source, provider_ref, customer, sku, amount (exact
 * decimal in major units), currency, status, paid_at, fulfilled (SEAT,
 * CREDITS or null), fulfilled_at, attempts, last_error. */
int ops_order_list(struct ops *o, const struct ops_order_list_req *req,
    json_t **out);

#endif
