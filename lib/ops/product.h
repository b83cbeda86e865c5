/*
 * ops/product.h - what customers can buy: seat plans (days) and credit
 * packages (credits), named by the sku payments carry in their metadata.
 * The contract is ops/ops.h.  Every item: id, sku, name, kind, days,
 * credits, price (exact decimal in major units), currency, active.
 */
#ifndef TALLY_OPS_PRODUCT_H
#define TALLY_OPS_PRODUCT_H

#include "ops/ops.h"

#define OPS_PRODUCT_MAX_DAYS 3650
#define OPS_PRODUCT_MAX_CREDITS 1000000000000LL

struct ops_product_req {
	const char *sku;	/* 1 to 64 of A-Z a-z 0-9 _ . : - */
	const char *name;
	const char *kind;	/* seat or credits, any case */
	long long days;		/* a seat plan's days; 0: not given */
	long long credits;	/* a credit package's credits; 0: not given */
	const char *price;	/* major units, exactly: "19.99", "150000" */
	const char *currency;	/* ISO 4217, any case */
	const char *reason;
};

/* Add a product; a sku already there is ECONFLICT. */
int ops_product_add(struct ops *o, const struct ops_product_req *req,
    json_t **out);

struct ops_product_list_req {
	struct ops_page page;
};

/* All products by sku (and created_at). */
int ops_product_list(struct ops *o, const struct ops_product_list_req *req,
    json_t **out);

#endif
