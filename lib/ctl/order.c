/*
 * order.c - `tallyctl order ...`: orders from the payment providers
 * (lib/ops/order.c).
 */
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "ctl/ctlopt.h"
#include "ctl/misc.h"
#include "ops/order.h"

static int
order_list_run(struct ops *o, const void *req, json_t **out)
{
	return ops_order_list(o, req, out);
}

#define F(name, kind, field) \
	{ name, kind, offsetof(struct ops_order_list_req, field), 0, 0, 0 }
static const struct ctl_list order_list = {
	sizeof(struct ops_order_list_req),
	offsetof(struct ops_order_list_req, page), true, order_list_run, {
	F("unfulfilled", CTLOPT_FLAG, unfulfilled),
	F("status", CTLOPT_STR, status),
	F("customer", CTLOPT_STR, customer),
	{ NULL, CTLOPT_FLAG, 0, 0, 0, 0 } }
};
#undef F

static const struct ctlopt_verb order_verbs[] = {
	{ "list", NULL, "[--unfulfilled] [--status S] [--customer EMAIL] "
	  "[--limit N]",
	  "Orders, newest first (at most --limit, default 1000; 0: all).\n"
	  "--unfulfilled: paid orders that have not got their seat or credits\n"
	  "yet, with the allocator's attempts and last error.", &order_list },
	{ NULL, NULL, NULL, NULL, NULL }
};

int
ctl_order(int argc, char **argv)
{
	return ctlopt_run_group("order", "Orders from the payment providers.",
	    order_verbs, argc, argv);
}
