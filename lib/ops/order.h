/*
 * ops/order.h - orders from the payment providers (the contract is
 * ops/ops.h).  Orders are written by tally-allocate; an admin reads them
 * here and approves the ones it holds.
 */
#ifndef TALLY_OPS_ORDER_H
#define TALLY_OPS_ORDER_H

#include <stdbool.h>

#include "ops/ops.h"

struct ops_order_list_req {
	/* paid orders without their seat or credits yet: waiting in the
	 * allocator's queue (with its attempts and last error), or paid
	 * with no fulfilment (what reconcile would flag); held ones are not
	 * waiting for the allocator and are left out */
	bool unfulfilled;
	/* orders HELD for an admin (status HELD), oldest hold first, with
	 * why and the price they were checked against (not with
	 * unfulfilled: EUSAGE) */
	bool held;
	const char *status;	/* PENDING, PAID, HELD, ... (any case); NULL: all */
	const char *customer;	/* email, any case */
	struct ops_page page;
};

/*
 * Newest first: id, source, provider_ref, customer, sku, amount (exact
 * decimal in major units), currency, status, paid_at, fulfilled (SEAT,
 * CREDITS or null), fulfilled_at, attempts, last_error, hold_reason (why
 * it is or was held), approved_by, approved_at (an admin released its
 * hold: order approve).
 *
 * held: id, source, provider_ref, customer, sku (the one the payment
 * named, also when no product has it), paid, currency (what was paid),
 * price, min_price, price_currency (the product's now; null for an
 * unknown sku), hold_reason (UNKNOWN_PRODUCT, PRODUCT_INACTIVE,
 * CURRENCY_MISMATCH, UNDERPAID), held_at, paid_at.  (An approved order is
 * no longer held: its approved_by and approved_at show in the full list.)
 */
int ops_order_list(struct ops *o, const struct ops_order_list_req *req,
    json_t **out);

#define OPS_ORDER_REASON_MAX 2000	/* bytes */

struct ops_order_approve_req {
	long long id;		/* the order */
	const char *reason;	/* required: why it may be given as it is */
};

/*
 * Release a HELD order as it is, for the admin (tally_order_unhold() in
 * sql/041_held_orders.sql): it takes the status its money gives it
 * (PAID, PARTIALLY_REFUNDED, DISPUTED), approved_by and approved_at are
 * set, and when it is still to be fulfilled it joins the fulfilment
 * queue; the next tally-allocate (a timer, every minute) gives the seat
 * or credits without checking the price again.  Audited as order.approve
 * with the order before and after.
 *
 * Refused: no such order (ENOTFOUND); not HELD (ECONFLICT: nothing to
 * approve); held for an unknown sku while no product has it (EREFUSED:
 * there is nothing to give; add the product first, after which the next
 * tally-allocate fulfils the order by itself).
 *
 * Item: id, status, customer, sku, amount, currency, was_held_for,
 * approved_by, approved_at, queued (true: the next tally-allocate
 * fulfils it; false: nothing left to give, e.g. refunded meanwhile).
 */
int ops_order_approve(struct ops *o, const struct ops_order_approve_req *req,
    json_t **out);

#endif
