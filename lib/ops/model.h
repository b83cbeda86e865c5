/*
 * ops/model.h - the image service's models: what a call costs the user
 * in credits and us at the provider (the contract is ops/ops.h).  Every
 * item: id, name, active, flagged, credit_cost, provider_cost (exact
 * decimal in major units), currency.
 */
#ifndef TALLY_OPS_MODEL_H
#define TALLY_OPS_MODEL_H

#include <stdbool.h>

#include "ops/ops.h"

#define OPS_MODEL_MAX_CREDIT_COST 1000000000000LL

struct ops_model_req {
	const char *name;	/* 1 to 128 characters */
	enum ops_tristate active;	/* OPS_UNSET keeps it (new: active) */
	bool has_credit_cost;
	long long credit_cost;	/* credits per call, 0..10^12 */
	/* what the provider charges per call, in major units of currency
	 * (NULL: unchanged; the model's currency, USD for a new one) */
	const char *provider_cost;
	const char *currency;	/* ISO 4217, only with provider_cost */
	const char *reason;
};

/*
 * Create or change a model; what is not given keeps its value.  An
 * admin's look makes a flagged model (registered from usage under an
 * unknown name) reviewed.  *out has "created": true for a new model.
 */
int ops_model_set(struct ops *o, const struct ops_model_req *req,
    json_t **out);

struct ops_model_list_req {
	struct ops_page page;
};

/* By name, with last_used and created_at. */
int ops_model_list(struct ops *o, const struct ops_model_list_req *req,
    json_t **out);

#define OPS_MODEL_MAX_USAGE_DAYS 3660
#define OPS_MODEL_USAGE_DAYS 30		/* the window when none is given */

struct ops_model_usage_req {
	/* the window: the last days days, 1..3660; 0: OPS_MODEL_USAGE_DAYS */
	long long days;
	struct ops_page page;
};

/*
 * How the models were used (the panel's Models page), by name: name,
 * active, credit_cost, calls and errors in the window, avg_ms (mean
 * processing time of its calls, failed ones too, one decimal; null
 * without a call), last_used (the latest call ever).  The model-stats
 * report has the same figures per period, with percentiles.
 */
int ops_model_usage(struct ops *o, const struct ops_model_usage_req *req,
    json_t **out);

#endif
