/*
 * fx.h - exchange rates (sql/060_fx_rates.sql), as admin operations (see
 * ops.h for what every operation promises).
 *
 * A rate says what one unit of FROM is worth in TO, in major units
 * ("1 EUR = 1.08 USD"), from a local day on.  The monthly margins use the
 * rate in force on the period's last day to put a provider's cost in the
 * currency the credits were sold in.  Rates are never changed in place:
 * setting one again adds a row that supersedes the earlier one, so a
 * report rerun at an earlier as-of instant still sees the old rate.
 */
#ifndef TALLY_OPS_FX_H
#define TALLY_OPS_FX_H

#include <jansson.h>

#include "ops/ops.h"

#define OPS_FX_RATE_MAX_INT 18	/* digits before the point */
#define OPS_FX_RATE_MAX_FRAC 12	/* digits after it */

struct ops_fx_set_req {
	const char *from;	/* ISO 4217 code, any case: "eur" */
	const char *to;		/* ISO 4217 code, not from */
	const char *rate;	/* a positive decimal: "1.08" */
	const char *valid_from;	/* the first local day it applies: YYYY-MM-DD */
	const char *reason;	/* for the audit log; may be NULL */
};

/*
 * Record a rate (audit action "fx.set", entity "fx_rate", entity id
 * "FROM/TO"; before: the rate that was in force for the pair on that day,
 * or null).  *out: {"item": {"id", "from", "to", "rate" (text, exact),
 * "valid_from", "created_at", "created_by"}, "columns", "dry_run",
 * "replaces" (the rate of the same pair and day it replaces, as text, or
 * null)}.  TALLY_EUSAGE with field "from", "to", "rate" or "valid_from"
 * when one is malformed.
 */
int ops_fx_set(struct ops *o, const struct ops_fx_set_req *rq, json_t **out);

struct ops_fx_list_req {
	const char *from;	/* NULL: every pair; else only rates from it */
	const char *to;		/* NULL: any */
	struct ops_page page;
};

/*
 * Every rate ever set, per pair, latest day first: a list answer whose
 * items are {"id", "from", "to", "rate" (text), "valid_from",
 * "created_at", "created_by", "in_force" (false when a later setting of
 * the same pair and day replaced it)}.
 */
int ops_fx_list(struct ops *o, const struct ops_fx_list_req *rq, json_t **out);

/* 0 when s is a decimal rate fx accepts (positive, digits and one '.',
 * within the limits above), else -1. */
int ops_fx_rate_valid(const char *s);

#endif
