/*
 * case.c - `tallyctl case list | show | accept`: reconcile's exception
 * cases (lib/ops/case.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/argnum.h"
#include "base/config.h"
#include "base/err.h"
#include "ctl/case.h"
#include "ctl/ctlopt.h"
#include "ops/case.h"

static int
case_list_run(struct ops *o, const void *req, json_t **out)
{
	return ops_case_list(o, req, out);
}

static const struct ctl_list case_list = {
	sizeof(struct ops_case_list_req),
	offsetof(struct ops_case_list_req, page), false, case_list_run, {
	{ "open", CTLOPT_FLAG, offsetof(struct ops_case_list_req, open),
	  0, 0, 0 },
	{ "category", CTLOPT_STR, offsetof(struct ops_case_list_req, category),
	  0, 0, 0 },
	{ "status", CTLOPT_STR, offsetof(struct ops_case_list_req, status),
	  0, 0, 0 },
	{ "severity", CTLOPT_STR, offsetof(struct ops_case_list_req, severity),
	  0, 0, 0 },
	{ NULL, CTLOPT_FLAG, 0, 0, 0, 0 } }
};

/* show and accept: ID, and what accepting says */
static int
case_one(struct ctl *c, int argc, char **argv)
{
	bool accept = strcmp(c->verb, "accept") == 0;
	struct ops_case_req req = { 0 };
	const struct ctlopt accept_opts[] = {
		{ "note", CTLOPT_STR, &req.note, 0, 0, NULL },
		{ "until", CTLOPT_STR, &req.until, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	const struct ctlopt show_opts[] = { CTLOPT_OUTPUT(c), CTLOPT_END };
	const struct ctlopt *opts = accept ? accept_opts : show_opts;
	struct strbuf err = STRBUF_INIT;
	struct config cfg;
	const char *pos[1];
	json_t *out = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	if (argnum_parse(pos[0], 1, INT64_MAX, &req.id) != 0)
		return ctlopt_usage_error(c, "'%s' is not a case id", pos[0]);
	if (!accept) {
		rc = ops_case_show(ctl_ops(c), &req, &out);
		return ctl_show_item(c, rc, out, opts);
	}
	/* --until is a date in the report time zone (tz, TALLY_TZ); a
	 * configuration that does not load leaves it UTC */
	if (config_load(&cfg, NULL, &err) == 0)
		ctl_ops(c)->cfg = &cfg;
	rc = ops_case_accept(ctl_ops(c), &req, &out);
	rc = ctl_show_item(c, rc, out, opts);
	c->ops.cfg = NULL;
	config_free(&cfg);
	strbuf_release(&err);
	return rc;
}

static const struct ctlopt_verb case_verbs[] = {
	{ "list", NULL, "[--open] [--category CATEGORY] [--status STATUS] "
	  "[--severity error|warning|info]",
	  "List reconcile cases: not closed first, by category and severity.\n"
	  "--open: only OPEN ones (not closed, not accepted); --status OPEN,\n"
	  "ACCEPTED or CLOSED; --severity error, warning or info.  Categories:\n"
	  "PAID_NOT_FULFILLED FULFILLED_NOT_PAID MISSING_IN_SETTLEMENT\n"
	  "MISSING_WEBHOOK AMOUNT_MISMATCH CURRENCY_MISMATCH NET_INCONSISTENT\n"
	  "PAYOUT_TOTAL_MISMATCH DUPLICATE_CHARGE DUPLICATE_FULFILLMENT\n"
	  "REFUND_NOT_REFLECTED DISPUTE_OPEN UNEXPLAINED_ADJUSTMENT\n"
	  "SEAT_COUNTER_DRIFT STUCK_ASSIGNED SEATS_OVERSUBSCRIBED\n"
	  "CREDITS_OVERDRAWN CREDIT_BALANCE_MISMATCH UNPROCESSABLE_EVENT.\n"
	  "age_days counts from when the thing happened (else from when the\n"
	  "case was first seen); amounts are major units (credits for the\n"
	  "CREDIT categories).", &case_list },
	{ "show", case_one, "ID",
	  "One case, with every detail reconcile recorded about it.", NULL },
	{ "accept", case_one, "ID --note TEXT [--until YYYY-MM-DD]",
	  "Accept a case: it is fine (say why in --note).  It stops counting\n"
	  "as open (reports, tally-reconcile's exit status) until the end of\n"
	  "the --until day in the report time zone, after which the next\n"
	  "tally-reconcile run reopens it; without --until, for good.  A case\n"
	  "reconcile no longer finds is closed either way.  Accepting again\n"
	  "replaces the note and date.  Refused for a closed case or a date\n"
	  "in the past.  Audited as case.accept.", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

int
ctl_case(int argc, char **argv)
{
	return ctlopt_run_group("case", "Exception cases found by "
	    "tally-reconcile.", case_verbs, argc, argv);
}
