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

CTL_RUN(case_list_run, ops_case_list, struct ops_case_list_req)

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
	CTL_FIELD_END }
};

CTL_RUN(show_run, ops_case_show, struct ops_case_req)
CTL_RUN(accept_run, ops_case_accept, struct ops_case_req)

#define ID { "a case id", CTLOPT_INT, offsetof(struct ops_case_req, id), 0, 0, 0 }
static const struct ctl_item show_item = {
	sizeof(struct ops_case_req), show_run, 0, { ID }, NULL, NULL,
	{ CTL_FIELD_END }
};

/* --until is a date in the report time zone */
static const struct ctl_item accept_item = {
	sizeof(struct ops_case_req), accept_run,
	CTL_ITEM_CHANGE | CTL_ITEM_CONFIG, { ID }, NULL, NULL,
	{ { "note", CTLOPT_STR, offsetof(struct ops_case_req, note), 0, 0, 0 },
	  { "until", CTLOPT_STR, offsetof(struct ops_case_req, until), 0, 0,
	    0 } }
};
#undef ID

/* show and accept: ID, and what accepting says */
static int
case_one(struct ctl *c, int argc, char **argv)
{
	return ctl_item(c, strcmp(c->verb, "accept") == 0 ? &accept_item :
	    &show_item, argc, argv);
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

CTL_GROUP(case, "Exception cases found by tally-reconcile.")
