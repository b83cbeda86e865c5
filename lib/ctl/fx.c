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

CTL_RUN(fx_list_run, ops_fx_list, struct ops_fx_list_req)

static const struct ctl_list fx_list = {
	sizeof(struct ops_fx_list_req),
	offsetof(struct ops_fx_list_req, page), false, fx_list_run,
	{
		{ "from", CTLOPT_STR, offsetof(struct ops_fx_list_req, from),
		  0, 0, 0 },
		{ "to", CTLOPT_STR, offsetof(struct ops_fx_list_req, to), 0, 0, 0 },
		CTL_FIELD_END
	}
};

static int
set_check(struct ctl *c, void *req)
{
	if (((const struct ops_fx_set_req *)req)->valid_from == NULL)
		return ctlopt_usage_error(c, "--from DATE is required: the first "
		    "day the rate applies");
	return 0;
}

static void
set_note(struct ctl *c, const void *req, const json_t *out)
{
	(void)c;
	(void)req;
	if (json_is_string(json_object_get(out, "replaces")))
		fprintf(stderr, "replaces %s from the same day on\n",
		    json_string_value(json_object_get(out, "replaces")));
}

CTL_RUN(set_run, ops_fx_set, struct ops_fx_set_req)

#define F(name, field) \
	{ name, CTLOPT_STR, offsetof(struct ops_fx_set_req, field), 0, 0, 0 }
static const struct ctl_item set_item = {
	sizeof(struct ops_fx_set_req), set_run, CTL_ITEM_CHANGE,
	{ F("", from), F("", to), F("", rate) }, set_check, set_note,
	{ F("from", valid_from), F("reason", reason) }
};
#undef F

static int
fx_set(struct ctl *c, int argc, char **argv)
{
	return ctl_item(c, &set_item, argc, argv);
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

CTL_GROUP(fx, "Exchange rates for the monthly margins.")
