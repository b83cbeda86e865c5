/*
 * user.c - `tallyctl user ...`: users of the image service and their
 * credits (lib/ops/user.c).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "ctl/ctlopt.h"
#include "ctl/misc.h"
#include "base/log.h"
#include "ops/user.h"

static int
user_list(struct ctl *c, int argc, char **argv)
{
	struct ops_user_list_req req = { 0 };
	long long limit = 1000;
	const struct ctlopt opts[] = {
		{ "sort", CTLOPT_STR, &req.sort, 0, 0, NULL },
		{ "order", CTLOPT_STR, &req.order, 0, 0, NULL },
		{ "search", CTLOPT_STR, &req.search, 0, 0, NULL },
		{ "limit", CTLOPT_INT, &limit, 0, 1000000000, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_END
	};
	json_t *out = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	/* the option's spelling of last_login */
	if (req.sort != NULL && strcmp(req.sort, "last-login") == 0)
		req.sort = "last_login";
	req.page = ctl_page_limit(limit);
	rc = ops_user_list(ctl_ops(c), &req, &out);
	return ctl_show_items(c, rc, out, opts);
}

static int
user_credit(struct ctl *c, int argc, char **argv)
{
	struct ops_user_credit_req req = { 0 };
	bool have_delta = false;
	const char *pos[1];
	const struct ctlopt opts[] = {
		{ "delta", CTLOPT_INT, &req.delta, -OPS_USER_MAX_DELTA,
		  OPS_USER_MAX_DELTA, &have_delta },
		{ "reason", CTLOPT_STR, &req.reason, 0, 0, NULL },
		{ "request-id", CTLOPT_STR, &req.request_id, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	const json_t *item;
	json_t *out = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	if (!have_delta || req.delta == 0)
		return ctlopt_usage_error(c, "--delta N is required and not 0 "
		    "(negative takes credits away)");
	req.user = pos[0];
	rc = ops_user_credit(ctl_ops(c), &req, &out);
	if ((rc = ctl_outcome(c, rc, out, opts)) != 0)
		goto out;
	item = json_object_get(out, "item");
	if (json_is_true(json_object_get(out, "replay"))) {
		fprintf(stderr, "request id '%s' was applied before; nothing to "
		    "do\n", req.request_id);
		goto out;
	}
	if (json_integer_value(json_object_get(item, "balance")) < 0)
		log_warning("user %s now has a negative balance (%lld)", req.user,
		    (long long)json_integer_value(json_object_get(item, "balance")));
	rc = ctl_print_item(c, out);
out:
	json_decref(out);
	return rc;
}

CTL_RUN(status_run, ops_user_status, struct ops_user_status_req)

static const struct ctl_item status_item = {
	sizeof(struct ops_user_status_req), status_run, CTL_ITEM_CHANGE,
	{ { "", CTLOPT_STR, offsetof(struct ops_user_status_req, user), 0, 0, 0 },
	  { "", CTLOPT_STR, offsetof(struct ops_user_status_req, status), 0, 0,
	    0 } },
	NULL, NULL,
	{ { "reason", CTLOPT_STR, offsetof(struct ops_user_status_req, reason),
	    0, 0, 0 } }
};

static int
user_status(struct ctl *c, int argc, char **argv)
{
	return ctl_item(c, &status_item, argc, argv);
}

static const struct ctlopt_verb user_verbs[] = {
	{ "list", user_list, "[--sort email|registered|balance|last-login] "
	  "[--order asc|desc] [--search TEXT] [--limit N]",
	  "Users of the image service with their credit balance (at most\n"
	  "--limit, default 1000; 0: all).  --sort puts the newest or highest\n"
	  "first (emails from A), --order turns it; --search matches part of\n"
	  "the external id or email.", NULL },
	{ "credit", user_credit, "USER --delta N --reason TEXT [--request-id ID]",
	  "Adjust a user's credits (USER: external id or email; negative N\n"
	  "takes credits away).  One ADJUSTMENT in the credit ledger, with a\n"
	  "unique reference: --request-id, or a generated one.  Running the\n"
	  "same --request-id again does nothing (safe to retry a script).",
	  NULL },
	{ "status", user_status, "USER active|suspended --reason TEXT",
	  "Set a user's status (USER: external id, email or id).  tally\n"
	  "records it, audits it and shows it; the image service decides\n"
	  "what a suspended user may do (tally-allocate still grants the\n"
	  "credits a suspended user buys).  Refused when the user has that\n"
	  "status already.", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

CTL_GROUP(user, "Users of the image service and their credits.")
