/*
 * event.c - `tallyctl event ...`: raw webhook and usage deliveries
 * (lib/ops/event.c).
 */
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "ctl/ctlopt.h"
#include "ctl/misc.h"
#include "ops/event.h"

static int
event_list_run(struct ops *o, const void *req, json_t **out)
{
	return ops_event_list(o, req, out);
}

#define F(name, kind, field) \
	{ name, kind, offsetof(struct ops_event_list_req, field), 0, 0, 0 }
static const struct ctl_list event_list = {
	sizeof(struct ops_event_list_req),
	offsetof(struct ops_event_list_req, page), true, event_list_run, {
	F("failed", CTLOPT_FLAG, failed),
	F("source", CTLOPT_STR, source),
	F("status", CTLOPT_STR, status),
	{ NULL, CTLOPT_FLAG, 0, 0, 0, 0 } }
};
#undef F

static const struct ctlopt_verb event_verbs[] = {
	{ "list", NULL, "[--failed] [--status S] [--source NAME] [--limit N]",
	  "Webhook deliveries as stored, newest first (at most --limit, default\n"
	  "1000; 0: all).  --failed: those the allocator could not understand,\n"
	  "with the reason (unknown sku, missing email, bad amount, ...).",
	  &event_list },
	{ NULL, NULL, NULL, NULL, NULL }
};

int
ctl_event(int argc, char **argv)
{
	return ctlopt_run_group("event", "Raw webhook and usage events.",
	    event_verbs, argc, argv);
}
