/*
 * case.c - `tallyctl case list | show | accept`: reconcile's exception
 * cases (lib/ops/case.c).
 */
#include <stdint.h>
#include <stdio.h>

#include "base/config.h"
#include "base/err.h"
#include "ctl/case.h"
#include "ctl/ctlopt.h"
#include "ops/case.h"

static int
case_list(struct ctl *c, int argc, char **argv)
{
	struct ops_case_list_req req = { .page = ctl_page_limit(0) };
	const struct ctlopt opts[] = {
		{ "open", CTLOPT_FLAG, &req.open, 0, 0, NULL },
		{ "category", CTLOPT_STR, &req.category, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_END
	};
	json_t *out = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	rc = ops_case_list(ctl_ops(c), &req, &out);
	return ctl_show_items(c, rc, out, opts);
}

/* The case id of ID. */
static int
case_id(struct ctl *c, const char *spec, long long *id)
{
	if (ctlopt_parse_ll(spec, 1, INT64_MAX, id) != 0)
		return ctlopt_usage_error(c, "'%s' is not a case id", spec);
	return 0;
}

static int
case_show(struct ctl *c, int argc, char **argv)
{
	struct ops_case_req req = { 0 };
	const struct ctlopt opts[] = { CTLOPT_OUTPUT(c), CTLOPT_END };
	const char *pos[1];
	json_t *out = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1)) != 0 ||
	    (rc = case_id(c, pos[0], &req.id)) != 0)
		return rc;
	rc = ops_case_show(ctl_ops(c), &req, &out);
	return ctl_show_item(c, rc, out, opts);
}

static int
case_accept(struct ctl *c, int argc, char **argv)
{
	struct ops_case_req req = { 0 };
	const struct ctlopt opts[] = {
		{ "note", CTLOPT_STR, &req.note, 0, 0, NULL },
		{ "until", CTLOPT_STR, &req.until, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	struct strbuf err = STRBUF_INIT;
	struct config cfg;
	const char *pos[1];
	json_t *out = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1)) != 0 ||
	    (rc = case_id(c, pos[0], &req.id)) != 0)
		return rc;
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
	{ "list", case_list, "[--open] [--category CATEGORY]",
	  "List reconcile cases: not closed first, by category and severity.\n"
	  "--open: only OPEN ones (not closed, not accepted).  Categories:\n"
	  "PAID_NOT_FULFILLED FULFILLED_NOT_PAID MISSING_IN_SETTLEMENT\n"
	  "MISSING_WEBHOOK AMOUNT_MISMATCH CURRENCY_MISMATCH NET_INCONSISTENT\n"
	  "PAYOUT_TOTAL_MISMATCH DUPLICATE_CHARGE DUPLICATE_FULFILLMENT\n"
	  "REFUND_NOT_REFLECTED DISPUTE_OPEN UNEXPLAINED_ADJUSTMENT\n"
	  "SEAT_COUNTER_DRIFT STUCK_ASSIGNED SEATS_OVERSUBSCRIBED\n"
	  "CREDITS_OVERDRAWN CREDIT_BALANCE_MISMATCH UNPROCESSABLE_EVENT.\n"
	  "age_days counts from when the thing happened (else from when the\n"
	  "case was first seen); amounts are major units (credits for the\n"
	  "CREDIT categories)." },
	{ "show", case_show, "ID",
	  "One case, with every detail reconcile recorded about it." },
	{ "accept", case_accept, "ID --note TEXT [--until YYYY-MM-DD]",
	  "Accept a case: it is fine (say why in --note).  It stops counting\n"
	  "as open (reports, tally-reconcile's exit status) until the end of\n"
	  "the --until day in the report time zone, after which the next\n"
	  "tally-reconcile run reopens it; without --until, for good.  A case\n"
	  "reconcile no longer finds is closed either way.  Accepting again\n"
	  "replaces the note and date.  Refused for a closed case or a date\n"
	  "in the past.  Audited as case.accept." },
	{ NULL, NULL, NULL, NULL }
};

int
ctl_case(int argc, char **argv)
{
	return ctlopt_run_group("case", "Exception cases found by "
	    "tally-reconcile.", case_verbs, argc, argv);
}
