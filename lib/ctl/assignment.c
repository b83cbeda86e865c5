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
assignment_list_run(struct ops *o, const void *req, json_t **out)
{
	return ops_assignment_list(o, req, out);
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
	{ NULL, CTLOPT_FLAG, 0, 0, 0, 0 } }
};
#undef F

static int
assignment_assign(struct ctl *c, int argc, char **argv)
{
	struct ops_assignment_req req = { 0 };
	bool have_days = false;
	const struct ctlopt opts[] = {
		{ "account", CTLOPT_STR, &req.account, 0, 0, NULL },
		{ "customer", CTLOPT_STR, &req.customer, 0, 0, NULL },
		{ "days", CTLOPT_INT, &req.days, 1, OPS_ASSIGNMENT_MAX_DAYS,
		  &have_days },
		{ "order", CTLOPT_INT, &req.order_id, 1, LLONG_MAX, NULL },
		{ "starts", CTLOPT_STR, &req.starts, 0, 0, NULL },
		{ "reason", CTLOPT_STR, &req.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	json_t *out = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if (req.customer == NULL || !have_days)
		return ctlopt_usage_error(c, "--customer EMAIL and --days N are "
		    "required");
	rc = ops_assignment_assign(ctl_ops(c), &req, &out);
	if ((rc = ctl_outcome(c, rc, out, opts)) == 0) {
		if (json_is_true(json_object_get(out, "new_customer")))
			fprintf(stderr, "customer %s: new\n", req.customer);
		rc = ctl_print_item(c, out);
	}
	json_decref(out);
	return rc;
}

/* extend, revoke, release: ID and the options of each. */
static int
run_change(struct ctl *c, int argc, char **argv,
    int (*op)(struct ops *, const struct ops_assignment_req *, json_t **))
{
	struct ops_assignment_req req = { 0 };
	bool extend = op == ops_assignment_extend, have_days = false;
	const char *pos[1];
	const struct ctlopt extend_opts[] = {
		{ "days", CTLOPT_INT, &req.days, 1, OPS_ASSIGNMENT_MAX_DAYS,
		  &have_days },
		{ "reason", CTLOPT_STR, &req.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	const struct ctlopt end_opts[] = {
		{ "reason", CTLOPT_STR, &req.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	const struct ctlopt *opts = extend ? extend_opts : end_opts;
	json_t *out = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	if (argnum_parse(pos[0], 1, LLONG_MAX, &req.id) != 0)
		return ctlopt_usage_error(c, "not an assignment id: '%s'", pos[0]);
	if (extend && !have_days)
		return ctlopt_usage_error(c, "--days N is required");
	rc = op(ctl_ops(c), &req, &out);
	return ctl_show_item(c, rc, out, opts);
}

static int
assignment_extend(struct ctl *c, int argc, char **argv)
{
	return run_change(c, argc, argv, ops_assignment_extend);
}

static int
assignment_revoke(struct ctl *c, int argc, char **argv)
{
	return run_change(c, argc, argv, ops_assignment_revoke);
}

static int
assignment_release(struct ctl *c, int argc, char **argv)
{
	return run_change(c, argc, argv, ops_assignment_release);
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

int
ctl_assignment(int argc, char **argv)
{
	return ctlopt_run_group("assignment", "Seats held by customers.",
	    assignment_verbs, argc, argv);
}
