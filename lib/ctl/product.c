/*
 * product.c - `tallyctl product ...`: seat plans and credit packages
 * (lib/ops/product.c).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "ctl/ctlopt.h"
#include "ctl/misc.h"
#include "ops/product.h"

static int
add_check(struct ctl *c, void *arg)
{
	const struct ops_product_req *req = arg;

	if (req->sku == NULL || req->name == NULL || req->kind == NULL ||
	    req->price == NULL || req->currency == NULL)
		return ctlopt_usage_error(c, "--sku, --name, --kind, --price and "
		    "--currency are required");
	return 0;
}

CTL_RUN(add_run, ops_product_add, struct ops_product_req)

#define F(name, kind, field, max) \
	{ name, kind, offsetof(struct ops_product_req, field), 1, max, 0 }
#define S(name, field) F(name, CTLOPT_STR, field, 0)
static const struct ctl_item add_item = {
	sizeof(struct ops_product_req), add_run, CTL_ITEM_CHANGE,
	{ CTL_FIELD_END }, add_check, NULL,
	{ S("sku", sku), S("name", name), S("kind", kind),
	  F("days", CTLOPT_INT, days, OPS_PRODUCT_MAX_DAYS),
	  F("credits", CTLOPT_INT, credits, OPS_PRODUCT_MAX_CREDITS),
	  S("price", price), S("currency", currency),
	  S("min-price", min_price), S("reason", reason) }
};
#undef S
#undef F

static int
product_add(struct ctl *c, int argc, char **argv)
{
	return ctl_item(c, &add_item, argc, argv);
}

static int
product_update(struct ctl *c, int argc, char **argv)
{
	struct ops_product_update_req req = { 0 };
	const char *active = NULL;
	const struct ctlopt opts[] = {
		{ "name", CTLOPT_STR, &req.name, 0, 0, NULL },
		{ "price", CTLOPT_STR, &req.price, 0, 0, NULL },
		{ "currency", CTLOPT_STR, &req.currency, 0, 0, NULL },
		{ "min-price", CTLOPT_STR, &req.min_price, 0, 0, NULL },
		{ "no-min-price", CTLOPT_FLAG, &req.no_min_price, 0, 0, NULL },
		{ "active", CTLOPT_STR, &active, 0, 0, NULL },
		{ "reason", CTLOPT_STR, &req.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	const char *pos[1];
	json_t *out = NULL;
	long long n;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	req.sku = pos[0];
	if (active != NULL && strcmp(active, "yes") == 0)
		req.active = OPS_YES;
	else if (active != NULL && strcmp(active, "no") == 0)
		req.active = OPS_NO;
	else if (active != NULL)
		return ctlopt_usage_error(c, "--active: yes or no, not '%s'",
		    active);
	rc = ops_product_update(ctl_ops(c), &req, &out);
	n = json_integer_value(json_object_get(out, "held_released"));
	if (rc == 0 && n > 0)
		fprintf(stderr, "%lld held order%s no longer held for %s reason: "
		    "the next tally-allocate checks %s again\n", n,
		    n == 1 ? " is" : "s are", n == 1 ? "its" : "their",
		    n == 1 ? "it" : "them");
	return ctl_show_item(c, rc, out, opts);
}

CTL_RUN(product_list_run, ops_product_list, struct ops_product_list_req)

static const struct ctl_list product_list = {
	sizeof(struct ops_product_list_req),
	offsetof(struct ops_product_list_req, page), false, product_list_run,
	{ CTL_FIELD_END }
};

static const struct ctlopt_verb product_verbs[] = {
	{ "add", product_add, "--sku SKU --name NAME --kind seat|credits "
	  "(--days N | --credits N) --price DECIMAL --currency CUR "
	  "[--min-price DECIMAL] [--reason TEXT]",
	  "Add a product: a seat plan (--days) or a credit package (--credits).\n"
	  "The sku is what payments name in their metadata.  --price is in\n"
	  "major units, exactly (19.99 USD, 150000 IDR, 1500 JPY); --currency\n"
	  "an active ISO 4217 code.  --min-price: the lowest price still\n"
	  "accepted (coupons); a payment below it, or in another currency, is\n"
	  "held for an admin (tallyctl order list --held).", NULL },
	{ "list", NULL, "", "All products, by sku.", &product_list },
	{ "update", product_update, "SKU [--name NAME] [--price DECIMAL] "
	  "[--currency CUR] [--min-price DECIMAL | --no-min-price] "
	  "[--active yes|no] [--reason TEXT]",
	  "Change a product.  A new --currency needs --price in it (and\n"
	  "--min-price or --no-min-price when it has a min price); the min\n"
	  "price may not be above the price.  --active no: it sells nothing\n"
	  "new; a payment made for it afterwards is held (PRODUCT_INACTIVE)\n"
	  "until it is active again or the order is approved; orders paid\n"
	  "before are still fulfilled.  Held orders the change lets through\n"
	  "are released by the next tally-allocate.  Audited as product.update.",
	  NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

CTL_GROUP(product, "What customers can buy.")
