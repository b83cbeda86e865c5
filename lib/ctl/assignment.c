/*
 * assignment.c - `tallyctl assignment ...`: seats by hand.  The operations
 * and their rules are lib/ops/assignment.c; this is their terminal face.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/argnum.h"
#include "base/err.h"
#include "ctl/assignment.h"
#include "ctl/ctlopt.h"
#include "ops/assignment.h"

static int
assignment_list_op(struct ops *o, const void *req, json_t **out)
{
	return ops_assignment_list(o, req, out);
}

/* --as-of without an offset is a local time in the configured zone */
static int
assignment_list_run(struct ops *o, const void *req, json_t **out)
{
	return ctl_run_config(o, assignment_list_op, req, out);
}

#define F(name, kind, field, max, seen) \
	{ name, kind, offsetof(struct ops_assignment_list_req, field), 0, max, \
	  seen }
static const struct ctl_list assignment_list = {
	sizeof(struct ops_assignment_list_req),
	offsetof(struct ops_assignment_list_req, page), true,
	assignment_list_run, {
	F("status", CTLOPT_STR, status, 0, 0),
	F("ending-soon", CTLOPT_INT, days, OPS_ASSIGNMENT_MAX_DAYS,
	  1 + offsetof(struct ops_assignment_list_req, ending_soon)),
	F("customer", CTLOPT_STR, customer, 0, 0),
	F("account", CTLOPT_STR, account, 0, 0),
	F("as-of", CTLOPT_STR, as_of, 0, 0),
	CTL_FIELD_END }
};
#undef F

#define F(name, kind, field, max) \
	{ name, kind, offsetof(struct ops_assignment_req, field), 1, max, 0 }
#define ID { "an assignment id", CTLOPT_INT, 0, 0, 0, 0 }
#define DAYS F("days", CTLOPT_INT, days, OPS_ASSIGNMENT_MAX_DAYS)
#define REASON F("reason", CTLOPT_STR, reason, 0)
CTL_RUN(assign_run, ops_assignment_assign, struct ops_assignment_req)
CTL_RUN(extend_run, ops_assignment_extend, struct ops_assignment_req)
CTL_RUN(revoke_run, ops_assignment_revoke, struct ops_assignment_req)
CTL_RUN(release_run, ops_assignment_release, struct ops_assignment_req)

static int
assign_check(struct ctl *c, void *arg)
{
	const struct ops_assignment_req *req = arg;

	if (req->customer == NULL || req->days == 0)
		return ctlopt_usage_error(c, "--customer EMAIL and --days N are "
		    "required");
	return 0;
}

static void
assign_note(struct ctl *c, const void *arg, const json_t *out)
{
	const struct ops_assignment_req *req = arg;

	(void)c;
	if (json_is_true(json_object_get(out, "new_customer")))
		fprintf(stderr, "customer %s: new\n", req->customer);
}

static const struct ctl_item assign_item = {
	sizeof(struct ops_assignment_req), assign_run, CTL_ITEM_CHANGE,
	{ CTL_FIELD_END },
	assign_check, assign_note,
	{ F("account", CTLOPT_STR, account, 0),
	  F("customer", CTLOPT_STR, customer, 0), DAYS,
	  F("order", CTLOPT_INT, order_id, LLONG_MAX),
	  F("starts", CTLOPT_STR, starts, 0), REASON }
};

static int
extend_check(struct ctl *c, void *arg)
{
	if (((const struct ops_assignment_req *)arg)->days == 0)
		return ctlopt_usage_error(c, "--days N is required");
	return 0;
}

/* extend, revoke, release: ID and the options of each */
static const struct ctl_item extend_item = {
	sizeof(struct ops_assignment_req), extend_run, CTL_ITEM_CHANGE, { ID },
	extend_check, NULL, { DAYS, REASON }
};

static const struct ctl_item revoke_item = {
	sizeof(struct ops_assignment_req), revoke_run, CTL_ITEM_CHANGE, { ID },
	NULL, NULL, { REASON }
};

static const struct ctl_item release_item = {
	sizeof(struct ops_assignment_req), release_run, CTL_ITEM_CHANGE, { ID },
	NULL, NULL, { REASON }
};
#undef REASON
#undef DAYS
#undef ID
#undef F

static int
assignment_assign(struct ctl *c, int argc, char **argv)
{
	return ctl_item(c, &assign_item, argc, argv);
}

static int
assignment_extend(struct ctl *c, int argc, char **argv)
{
	return ctl_item(c, &extend_item, argc, argv);
}

static int
assignment_revoke(struct ctl *c, int argc, char **argv)
{
	return ctl_item(c, &revoke_item, argc, argv);
}

static int
assignment_release(struct ctl *c, int argc, char **argv)
{
	return ctl_item(c, &release_item, argc, argv);
}

static const struct ctlopt_verb assignment_verbs[] = {
	{ "list", NULL, "[--status ACTIVE|EXPIRED|REVOKED] "
	  "[--ending-soon DAYS [--as-of TIME]] [--customer EMAIL] "
	  "[--account ID|EMAIL] [--limit N]",
	  "Assignments, oldest first (at most --limit, default 1000; 0: all).\n"
	  "--ending-soon DAYS: ACTIVE ones ending within DAYS of now (or of\n"
	  "--as-of), soonest first; 0 shows those already past their end.",
	  &assignment_list },
	{ "assign", assignment_assign, "--customer EMAIL --days N "
	  "[--account ID|EMAIL|auto] [--order ID] [--starts TIME] [--reason TEXT]",
	  "Give a customer a seat for N days from now (or --starts).  Without\n"
	  "--account the pool's policy picks one (partly used multi-seat\n"
	  "accounts first).  A new email becomes a new customer.  With --order\n"
	  "the seat fulfils that paid order (tally-allocate then leaves it).\n"
	  "Refused when the account is suspended or full, or nothing has room.",
	  NULL },
	{ "extend", assignment_extend, "ID --days N [--reason TEXT]",
	  "Move an ACTIVE assignment's end N days later.  Refused for an\n"
	  "assignment that has ended (EXPIRED, REVOKED, or past its end).",
	  NULL },
	{ "revoke", assignment_revoke, "ID --reason TEXT",
	  "Take a seat away now (status REVOKED); the seat is free at once.\n"
	  "Refused when the assignment is not ACTIVE (revoking twice too).",
	  NULL },
	{ "release", assignment_release, "ID [--reason TEXT]",
	  "End an ACTIVE assignment now as EXPIRED - the customer is done\n"
	  "early - and free its seat.  Refused when it is not ACTIVE.", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

CTL_GROUP(assignment, "Seats held by customers.")
