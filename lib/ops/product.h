/*
 * ops/product.h - what customers can buy: seat plans (days) and credit
 * packages (credits), named by the sku payments carry in their metadata.
 * The contract is ops/ops.h.  Every item: id, sku, name, kind, days,
 * credits, price (exact decimal in major units), currency, min_price (the
 * lowest price still accepted, in the same currency; null: the price),
 * active.
 *
 * Prices are exact in the currency's minor units (19.99 USD, 150000 IDR,
 * 1500 JPY; a third decimal in USD is refused, not rounded); a currency
 * is an active ISO 4217 code (money_currency_valid()).  tally-allocate
 * checks every paid order against its product (lib/books/allocate.h):
 * less than min_price (else price), another currency, or a payment made
 * after the product was deactivated, and the order is held for an admin.
 */
#ifndef TALLY_OPS_PRODUCT_H
#define TALLY_OPS_PRODUCT_H

#include <stdbool.h>

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
	const char *min_price;	/* major units; NULL: none (the price) */
	const char *reason;
};

/* Add a product; a sku already there is ECONFLICT, a min_price above the
 * price EUSAGE. */
int ops_product_add(struct ops *o, const struct ops_product_req *req,
    json_t **out);

struct ops_product_list_req {
	struct ops_page page;
};

/* All products by sku (and created_at, deactivated_at). */
int ops_product_list(struct ops *o, const struct ops_product_list_req *req,
    json_t **out);

struct ops_product_update_req {
	const char *sku;	/* the product */
	const char *name;	/* NULL: unchanged (and so every field) */
	const char *price;	/* major units of the (new) currency */
	const char *currency;	/* ISO 4217; a change needs price too */
	const char *min_price;	/* major units; excludes no_min_price */
	bool no_min_price;	/* drop the min price: the price is the lowest */
	enum ops_tristate active;	/* OPS_NO: sells nothing new */
	const char *reason;
};

/*
 * Change a product; at least one field.  Audited as product.update with
 * the product before and after.  A new currency needs the price in it
 * (and the min price, when there is one, given again or dropped): an
 * amount is never carried from one currency into another.  min_price must
 * not be above the price, checked on the values after the change.
 *
 * active OPS_NO: the product sells nothing new.  A payment for it made
 * after this is held (PRODUCT_INACTIVE, a case) until the product is
 * active again or an admin approves the order; an order paid before (one
 * waiting for a seat) is still fulfilled.  Held orders whose reason this
 * change removes (reactivated, repriced to accept what was paid) are
 * released by the next tally-allocate and checked again.
 *
 * Refused: no product with the sku (ENOTFOUND).  Flag "held_released":
 * how many held orders this change lets the next tally-allocate release.
 */
int ops_product_update(struct ops *o, const struct ops_product_update_req *req,
    json_t **out);

#endif
