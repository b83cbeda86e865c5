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

static int
event_retry(struct ctl *c, int argc, char **argv)
{
	struct ops_event_retry_req req = { 0 };
	const struct ctlopt opts[] = {
		{ "failed", CTLOPT_FLAG, &req.failed, 0, 0, NULL },
		{ "source", CTLOPT_STR, &req.source, 0, 0, NULL },
		{ "reason", CTLOPT_STR, &req.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	const char *pos[1];
	json_t *out = NULL;
	long long n;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, pos, 0, 1)) != 0)
		return rc;
	if ((pos[0] == NULL) == !req.failed)
		return ctlopt_usage_error(c, "give an event ID or --failed");
	if (pos[0] != NULL && argnum_parse(pos[0], 1, INT64_MAX, &req.id) != 0)
		return ctlopt_usage_error(c, "'%s' is not an event id", pos[0]);
	if (req.source != NULL && !req.failed)
		return ctlopt_usage_error(c, "--source goes with --failed");
	rc = ops_event_retry(ctl_ops(c), &req, &out);
	if (rc == 0) {
		n = json_integer_value(json_object_get(out, "total"));
		fprintf(stderr, "%lld event%s %s back to NEW: the next "
		    "tally-allocate processes %s again\n", n, n == 1 ? "" : "s",
		    c->dry_run ? "would be" : n == 1 ? "is" : "are",
		    n == 1 ? "it" : "them");
	}
	return ctl_show_items(c, rc, out, opts);
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

int
ctl_event(int argc, char **argv)
{
	return ctlopt_run_group("event", "Raw webhook and usage events.",
	    event_verbs, argc, argv);
}
