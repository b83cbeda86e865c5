/*
 * fx.c - `tallyctl fx ...`: exchange rates for the monthly margins
 * (lib/ops/fx.c).
 */
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "ctl/ctlopt.h"
#include "ctl/fx.h"
#include "ops/fx.h"

static int
fx_list_run(struct ops *o, const void *req, json_t **out)
{
	return ops_fx_list(o, req, out);
}

static const struct ctl_list fx_list = {
	sizeof(struct ops_fx_list_req),
	offsetof(struct ops_fx_list_req, page), false, fx_list_run,
	{
		{ "from", CTLOPT_STR, offsetof(struct ops_fx_list_req, from),
		  0, 0, 0 },
		{ "to", CTLOPT_STR, offsetof(struct ops_fx_list_req, to), 0, 0, 0 },
		{ NULL, CTLOPT_FLAG, 0, 0, 0, 0 }
	}
};

static int
fx_set(struct ctl *c, int argc, char **argv)
{
	struct ops_fx_set_req req = { 0 };
	const char *pos[3];
	const struct ctlopt opts[] = {
		{ "from", CTLOPT_STR, &req.valid_from, 0, 0, NULL },
		{ "reason", CTLOPT_STR, &req.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	json_t *out = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, pos, 3, 3)) != 0)
		return rc;
	if (req.valid_from == NULL)
		return ctlopt_usage_error(c, "--from DATE is required: the first "
		    "day the rate applies");
	req.from = pos[0];
	req.to = pos[1];
	req.rate = pos[2];
	rc = ops_fx_set(ctl_ops(c), &req, &out);
	if ((rc = ctl_outcome(c, rc, out, opts)) == 0) {
		if (json_is_string(json_object_get(out, "replaces")))
			fprintf(stderr, "replaces %s from the same day on\n",
			    json_string_value(json_object_get(out, "replaces")));
		rc = ctl_print_item(c, out);
	}
	json_decref(out);
	return rc;
}

static const struct ctlopt_verb fx_verbs[] = {
	{ "set", fx_set, "FROM TO RATE --from DATE [--reason TEXT]",
	  "Record that one FROM is worth RATE TO (major units: EUR USD 1.08),\n"
	  "from the local day DATE on, until a later rate for the pair.  The\n"
	  "monthly margins convert a provider's cost with the rate in force\n"
	  "on the period's last day (or, when only TO FROM was set, with its\n"
	  "inverse).  Audited as fx.set.  Setting a pair and day again adds a\n"
	  "rate that replaces the earlier one from then on: reports made\n"
	  "before keep showing what they showed.", NULL },
	{ "list", NULL, "[--from CUR] [--to CUR]",
	  "Every rate set, per pair, latest day first; in_force is false for\n"
	  "one a later setting of the same pair and day replaced.", &fx_list },
	{ NULL, NULL, NULL, NULL, NULL }
};

int
ctl_fx(int argc, char **argv)
{
	return ctlopt_run_group("fx", "Exchange rates for the monthly margins.",
	    fx_verbs, argc, argv);
}
