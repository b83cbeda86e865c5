/*
 * event.c - `tallyctl event ...`: raw webhook and usage deliveries
 * (lib/ops/event.c).
 */
#include <stdio.h>

#include "base/err.h"
#include "ctl/ctlopt.h"
#include "ctl/misc.h"
#include "ops/event.h"

static int
event_list(struct ctl *c, int argc, char **argv)
{
	struct ops_event_list_req req = { 0 };
	long long limit = 1000;
	const struct ctlopt opts[] = {
		{ "failed", CTLOPT_FLAG, &req.failed, 0, 0, NULL },
		{ "source", CTLOPT_STR, &req.source, 0, 0, NULL },
		{ "status", CTLOPT_STR, &req.status, 0, 0, NULL },
		{ "limit", CTLOPT_INT, &limit, 0, 1000000000, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_END
	};
	json_t *out = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	req.page = ctl_page_limit(limit);
	rc = ops_event_list(ctl_ops(c), &req, &out);
	return ctl_show_items(c, rc, out, opts);
}

static const struct ctlopt_verb event_verbs[] = {
	{ "list", event_list, "[--failed] [--status S] [--source NAME] [--limit N]",
	  "Webhook deliveries as stored, newest first (at most --limit, default\n"
	  "1000; 0: all).  --failed: those the allocator could not understand,\n"
	  "with the reason (unknown sku, missing email, bad amount, ...)." },
	{ NULL, NULL, NULL, NULL }
};

int
ctl_event(int argc, char **argv)
{
	return ctlopt_run_group("event", "Raw webhook and usage events.",
	    event_verbs, argc, argv);
}
