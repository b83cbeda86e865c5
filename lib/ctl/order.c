/*
 * order.c - `tallyctl order ...`: orders from the payment providers
 * (lib/ops/order.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/argnum.h"
#include "base/err.h"
#include "ctl/ctlopt.h"
#include "ctl/misc.h"
#include "ops/order.h"

CTL_RUN(order_list_run, ops_order_list, struct ops_order_list_req)

#define F(name, kind, field) \
	{ name, kind, offsetof(struct ops_order_list_req, field), 0, 0, 0 }
static const struct ctl_list order_list = {
	sizeof(struct ops_order_list_req),
	offsetof(struct ops_order_list_req, page), true, order_list_run, {
	F("unfulfilled", CTLOPT_FLAG, unfulfilled),
	F("held", CTLOPT_FLAG, held),
	F("status", CTLOPT_STR, status),
	F("customer", CTLOPT_STR, customer),
	CTL_FIELD_END }
};
#undef F

static void
approve_note(struct ctl *c, const void *arg, const json_t *out)
{
	const struct ops_order_approve_req *req = arg;

	if (json_is_true(json_object_get(json_object_get(out, "item"),
	    "queued")))
		fprintf(stderr, "order %lld %s approved: the next tally-allocate "
		    "gives it (within a minute on the timer)\n", req->id,
		    c->dry_run ? "would be" : "is");
}

CTL_RUN(approve_run, ops_order_approve, struct ops_order_approve_req)

static const struct ctl_item approve_item = {
	sizeof(struct ops_order_approve_req), approve_run, CTL_ITEM_CHANGE,
	{ { "an order id", CTLOPT_INT,
	    offsetof(struct ops_order_approve_req, id), 0, 0, 0 } },
	NULL, approve_note,
	{ { "reason", CTLOPT_STR,
	    offsetof(struct ops_order_approve_req, reason), 0, 0, 0 } }
};

static int
order_approve(struct ctl *c, int argc, char **argv)
{
	return ctl_item(c, &approve_item, argc, argv);
}

static const struct ctlopt_verb order_verbs[] = {
	{ "list", NULL, "[--unfulfilled | --held] [--status S] [--customer EMAIL] "
	  "[--limit N]",
	  "Orders, newest first (at most --limit, default 1000; 0: all).\n"
	  "--unfulfilled: paid orders that have not got their seat or credits\n"
	  "yet, with the allocator's attempts and last error (held ones are\n"
	  "not waiting for the allocator: see --held).\n"
	  "--held: orders tally-allocate held for an admin, oldest first, with\n"
	  "why (UNKNOWN_PRODUCT, PRODUCT_INACTIVE, CURRENCY_MISMATCH,\n"
	  "UNDERPAID), what was paid and the product's price and min price.",
	  &order_list },
	{ "approve", order_approve, "ID --reason TEXT",
	  "Give a held order its seat or credits as it was paid (a goodwill\n"
	  "price, a currency accepted): its hold is released and the next\n"
	  "tally-allocate fulfils it without checking the price again.\n"
	  "Refused for an order that is not held, and for one held because its\n"
	  "sku is no product: add the product (tallyctl product add) and the\n"
	  "next tally-allocate fulfils it by itself.  Audited as order.approve.",
	  NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

CTL_GROUP(order, "Orders from the payment providers.")
