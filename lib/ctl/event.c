/*
 * event.c - `tallyctl event ...`: raw webhook and usage deliveries
 * (lib/ops/event.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/argnum.h"
#include "base/err.h"
#include "ctl/ctlopt.h"
#include "ctl/misc.h"
#include "ops/event.h"

CTL_RUN(event_list_run, ops_event_list, struct ops_event_list_req)

#define F(name, kind, field) \
	{ name, kind, offsetof(struct ops_event_list_req, field), 0, 0, 0 }
static const struct ctl_list event_list = {
	sizeof(struct ops_event_list_req),
	offsetof(struct ops_event_list_req, page), true, event_list_run, {
	F("failed", CTLOPT_FLAG, failed),
	F("source", CTLOPT_STR, source),
	F("status", CTLOPT_STR, status),
	CTL_FIELD_END }
};
#undef F

static int
retry_check(struct ctl *c, void *arg)
{
	const struct ops_event_retry_req *req = arg;

	if ((req->id == 0) == !req->failed)
		return ctlopt_usage_error(c, "give an event ID or --failed");
	if (req->source != NULL && !req->failed)
		return ctlopt_usage_error(c, "--source goes with --failed");
	return 0;
}

static void
retry_note(struct ctl *c, const void *req, const json_t *out)
{
	long long n = json_integer_value(json_object_get(out, "total"));

	(void)req;
	fprintf(stderr, "%lld event%s %s back to NEW: the next tally-allocate "
	    "processes %s again\n", n, n == 1 ? "" : "s",
	    c->dry_run ? "would be" : n == 1 ? "is" : "are",
	    n == 1 ? "it" : "them");
}

CTL_RUN(retry_run, ops_event_retry, struct ops_event_retry_req)

#define F(name, kind, field) \
	{ name, kind, offsetof(struct ops_event_retry_req, field), 0, 0, 0 }
static const struct ctl_item retry_item = {
	sizeof(struct ops_event_retry_req), retry_run,
	CTL_ITEM_CHANGE | CTL_ITEM_ROWS | CTL_ITEM_OPTIONAL,
	{ F("an event id", CTLOPT_INT, id) }, retry_check, retry_note,
	{ F("failed", CTLOPT_FLAG, failed), F("source", CTLOPT_STR, source),
	  F("reason", CTLOPT_STR, reason) }
};
#undef F

static int
event_retry(struct ctl *c, int argc, char **argv)
{
	return ctl_item(c, &retry_item, argc, argv);
}

static const struct ctlopt_verb event_verbs[] = {
	{ "list", NULL, "[--failed] [--status S] [--source NAME] [--limit N]",
	  "Webhook deliveries as stored, newest first (at most --limit, default\n"
	  "1000; 0: all).  --failed: those the allocator could not understand,\n"
	  "with the reason (unknown sku, missing email, bad amount, ...).",
	  &event_list },
	{ "retry", event_retry, "ID | --failed [--source NAME] [--reason TEXT]",
	  "Put FAILED events back to NEW, once what made them fail is fixed\n"
	  "(the provider knows the transaction now, a bug is fixed): the next\n"
	  "tally-allocate processes them again, with its own retries counted\n"
	  "afresh.  A Midtrans or Xendit notification is asked about at its\n"
	  "provider again first.  ID: one event (refused unless FAILED);\n"
	  "--failed: every FAILED event, or only --source's.  What was received\n"
	  "is never changed.  Audited as event.retry, one row per event.",
	  NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

CTL_GROUP(event, "Raw webhook and usage events.")
