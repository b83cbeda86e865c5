/*
 * product.c - `tallyctl product ...`: seat plans and credit packages
 * (lib/ops/product.c).
 */
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "ctl/ctlopt.h"
#include "ctl/misc.h"
#include "ops/product.h"

static int
product_add(struct ctl *c, int argc, char **argv)
{
	struct ops_product_req req = { 0 };
	const struct ctlopt opts[] = {
		{ "sku", CTLOPT_STR, &req.sku, 0, 0, NULL },
		{ "name", CTLOPT_STR, &req.name, 0, 0, NULL },
		{ "kind", CTLOPT_STR, &req.kind, 0, 0, NULL },
		{ "days", CTLOPT_INT, &req.days, 1, OPS_PRODUCT_MAX_DAYS, NULL },
		{ "credits", CTLOPT_INT, &req.credits, 1, OPS_PRODUCT_MAX_CREDITS,
		  NULL },
		{ "price", CTLOPT_STR, &req.price, 0, 0, NULL },
		{ "currency", CTLOPT_STR, &req.currency, 0, 0, NULL },
		{ "reason", CTLOPT_STR, &req.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	json_t *out = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if (req.sku == NULL || req.name == NULL || req.kind == NULL ||
	    req.price == NULL || req.currency == NULL)
		return ctlopt_usage_error(c, "--sku, --name, --kind, --price and "
		    "--currency are required");
	rc = ops_product_add(ctl_ops(c), &req, &out);
	return ctl_show_item(c, rc, out, opts);
}

static int
product_list_run(struct ops *o, const void *req, json_t **out)
{
	return ops_product_list(o, req, out);
}

static const struct ctl_list product_list = {
	sizeof(struct ops_product_list_req),
	offsetof(struct ops_product_list_req, page), false, product_list_run,
	{ { NULL, CTLOPT_FLAG, 0, 0, 0, 0 } }
};

static const struct ctlopt_verb product_verbs[] = {
	{ "add", product_add, "--sku SKU --name NAME --kind seat|credits "
	  "(--days N | --credits N) --price DECIMAL --currency CUR [--reason TEXT]",
	  "Add a product: a seat plan (--days) or a credit package (--credits).\n"
	  "The sku is what payments name in their metadata.  --price is in\n"
	  "major units, exactly (19.99 USD, 150000 IDR, 1500 JPY).", NULL },
	{ "list", NULL, "", "All products, by sku.", &product_list },
	{ NULL, NULL, NULL, NULL, NULL }
};

int
ctl_product(int argc, char **argv)
{
	return ctlopt_run_group("product", "What customers can buy.",
	    product_verbs, argc, argv);
}
