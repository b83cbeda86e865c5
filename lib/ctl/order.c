/*
 * order.c - `tallyctl order ...`: orders from the payment providers
 * (lib/ops/order.c).
 */
#include <stdio.h>

#include "base/err.h"
#include "ctl/ctlopt.h"
#include "ctl/misc.h"
#include "ops/order.h"

static int
order_list(struct ctl *c, int argc, char **argv)
{
	struct ops_order_list_req req = { 0 };
	long long limit = 1000;
	const struct ctlopt opts[] = {
		{ "unfulfilled", CTLOPT_FLAG, &req.unfulfilled, 0, 0, NULL },
		{ "status", CTLOPT_STR, &req.status, 0, 0, NULL },
		{ "customer", CTLOPT_STR, &req.customer, 0, 0, NULL },
		{ "limit", CTLOPT_INT, &limit, 0, 1000000000, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_END
	};
	json_t *out = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	req.page = ctl_page_limit(limit);
	rc = ops_order_list(ctl_ops(c), &req, &out);
	return ctl_show_items(c, rc, out, opts);
}

static const struct ctlopt_verb order_verbs[] = {
	{ "list", order_list, "[--unfulfilled] [--status S] [--customer EMAIL] "
	  "[--limit N]",
	  "Orders, newest first (at most --limit, default 1000; 0: all).\n"
	  "--unfulfilled: paid orders that have not got their seat or credits\n"
	  "yet, with the allocator's attempts and last error." },
	{ NULL, NULL, NULL, NULL }
};

int
ctl_order(int argc, char **argv)
{
	return ctlopt_run_group("order", "Orders from the payment providers.",
	    order_verbs, argc, argv);
}
