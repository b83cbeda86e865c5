/*
 * model.c - `tallyctl model ...`: models of the image service
 * (lib/ops/model.c).
 */
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "ctl/ctlopt.h"
#include "ctl/misc.h"
#include "ops/model.h"

static int
model_list_run(struct ops *o, const void *req, json_t **out)
{
	return ops_model_list(o, req, out);
}

static int
model_usage_run(struct ops *o, const void *req, json_t **out)
{
	return ops_model_usage(o, req, out);
}

static const struct ctl_list model_usage = {
	sizeof(struct ops_model_usage_req),
	offsetof(struct ops_model_usage_req, page), false, model_usage_run, {
	{ "days", CTLOPT_INT, offsetof(struct ops_model_usage_req, days), 1,
	  OPS_MODEL_MAX_USAGE_DAYS, 0 },
	CTL_FIELD_END }
};

static const struct ctl_list model_list = {
	sizeof(struct ops_model_list_req),
	offsetof(struct ops_model_list_req, page), false, model_list_run,
	{ CTL_FIELD_END }
};

static int
model_set(struct ctl *c, int argc, char **argv)
{
	struct ops_model_req req = { 0 };
	bool on = false, off = false;
	const char *pos[1];
	const struct ctlopt opts[] = {
		{ "active", CTLOPT_FLAG, &on, 0, 0, NULL },
		{ "inactive", CTLOPT_FLAG, &off, 0, 0, NULL },
		{ "credit-cost", CTLOPT_INT, &req.credit_cost, 0,
		  OPS_MODEL_MAX_CREDIT_COST, &req.has_credit_cost },
		{ "provider-cost", CTLOPT_STR, &req.provider_cost, 0, 0, NULL },
		{ "currency", CTLOPT_STR, &req.currency, 0, 0, NULL },
		{ "reason", CTLOPT_STR, &req.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	json_t *out = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	if (on && off)
		return ctlopt_usage_error(c, "--active and --inactive together");
	if (req.currency != NULL && req.provider_cost == NULL)
		return ctlopt_usage_error(c, "--currency goes with "
		    "--provider-cost");
	req.name = pos[0];
	req.active = on ? OPS_YES : off ? OPS_NO : OPS_UNSET;
	rc = ops_model_set(ctl_ops(c), &req, &out);
	if ((rc = ctl_outcome(c, rc, out, opts)) == 0) {
		if (json_is_true(json_object_get(out, "created")))
			fprintf(stderr, "model %s: new\n", req.name);
		rc = ctl_print_item(c, out);
	}
	json_decref(out);
	return rc;
}

static const struct ctlopt_verb model_verbs[] = {
	{ "list", NULL, "",
	  "The image service's models: active, flagged (registered from usage\n"
	  "under an unknown name), credits per call, provider cost per call,\n"
	  "last use.", &model_list },
	{ "usage", NULL, "[--days N]",
	  "How the models were used over the last N days (default 30): calls,\n"
	  "errors, avg_ms (mean processing time, failed calls too), and\n"
	  "last_used (the latest call ever).  The model-stats report has the\n"
	  "same figures per period, with percentiles.", &model_usage },
	{ "set", model_set, "NAME [--active|--inactive] [--credit-cost N] "
	  "[--provider-cost DECIMAL [--currency CUR]] [--reason TEXT]",
	  "Create or change a model.  Options not given keep their value; a\n"
	  "flagged model becomes reviewed (not flagged).  --provider-cost is\n"
	  "what the provider charges us per call, in major units of --currency\n"
	  "(default: the model's currency, USD for a new model).", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

CTL_GROUP(model, "Models of the image service.")
