/*
 * product.c - products: add and list.
 *
 * Prices are parsed exactly (lib/base/money.h) into minor units of their
 * currency and shown back in major units by tally_major(): never a float.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/money.h"
#include "ops/product.h"

#define PRODUCT_COLS \
	"p.id, p.sku, p.name, p.kind, p.duration_days AS days, p.credits," \
	" tally_major(p.price_minor, p.currency) AS price, p.currency, p.active"
#define PRODUCT_NCOLS 9

/* The products.sku check: ^[A-Za-z0-9_.:-]{1,64}$ */
static bool
sku_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("_.:-", *s) != NULL))
			return false;
	return true;
}

struct add_arg {
	const char *params[7];
	const char *reason;
};

static int
add_fn(struct ops *o, void *p, json_t **out)
{
	struct add_arg *a = p;
	PGresult *res = NULL;
	int rc;

	rc = db_query(o->db, &res,
	    "INSERT INTO products AS p (sku, name, kind, duration_days, credits,"
	    " price_minor, currency)"
	    " VALUES ($1, $2, $3, $4::integer, $5::bigint, $6::bigint, $7)"
	    " RETURNING " PRODUCT_COLS ", to_jsonb(p) AS after", 7, a->params);
	if (rc == TALLY_ECONFLICT)
		return ops_fail(o, rc, "sku", "a product with sku '%s' already "
		    "exists", a->params[0]);
	if (rc != 0)
		return ops_db_fail(o, rc, "adding the product");
	rc = ops_audit(o, "product.add", "product", PQgetvalue(res, 0, 0),
	    a->reason, NULL, PQgetvalue(res, 0, PRODUCT_NCOLS));
	if (rc == 0)
		*out = ops_change_json(o, res, 0, PRODUCT_NCOLS);
	PQclear(res);
	return rc;
}

/* kind with its quantity: params[2..4]. */
static int
check_kind(struct ops *o, const struct ops_product_req *req, const char **kind)
{
	if (req->kind != NULL && strcasecmp(req->kind, "seat") == 0) {
		if (req->days == 0 || req->credits != 0)
			return ops_fail(o, TALLY_EUSAGE, "days", "a seat plan takes "
			    "days (and no credits)");
		if (req->days < 1 || req->days > OPS_PRODUCT_MAX_DAYS)
			return ops_fail(o, TALLY_EUSAGE, "days", "days must be a "
			    "whole number from 1 to %d", OPS_PRODUCT_MAX_DAYS);
		*kind = "SEAT";
		return 0;
	}
	if (req->kind != NULL && strcasecmp(req->kind, "credits") == 0) {
		if (req->credits == 0 || req->days != 0)
			return ops_fail(o, TALLY_EUSAGE, "credits", "a credit package "
			    "takes credits (and no days)");
		if (req->credits < 1 || req->credits > OPS_PRODUCT_MAX_CREDITS)
			return ops_fail(o, TALLY_EUSAGE, "credits", "credits must be "
			    "a whole number from 1 to %lld", OPS_PRODUCT_MAX_CREDITS);
		*kind = "CREDITS";
		return 0;
	}
	return ops_fail(o, TALLY_EUSAGE, "kind", "kind must be seat or credits");
}

int
ops_product_add(struct ops *o, const struct ops_product_req *req,
    json_t **out)
{
	struct add_arg a = { .reason = req->reason };
	char cur[4], minor[24], days[24], credits[24];
	int64_t price_minor;
	int rc;

	*out = NULL;
	ops_reset(o);
	if (req->sku == NULL || !sku_ok(req->sku))
		return ops_fail(o, TALLY_EUSAGE, "sku", "sku: 1 to 64 letters, "
		    "digits, '_', '.', ':' or '-'");
	if (req->name == NULL || req->name[0] == '\0')
		return ops_fail(o, TALLY_EUSAGE, "name", "name is empty");
	if ((rc = check_kind(o, req, &a.params[2])) != 0)
		return rc;
	if (req->currency == NULL ||
	    money_currency_normalize(req->currency, cur) != 0 ||
	    !money_currency_valid(cur))
		return ops_fail(o, TALLY_EUSAGE, "currency", "currency: not an "
		    "ISO 4217 code: '%s'", req->currency != NULL ?
		    req->currency : "");
	rc = req->price != NULL ? money_parse_major(req->price,
	    money_exponent(cur), &price_minor) : TALLY_EUSAGE;
	if (rc != 0 || price_minor < 0)
		return ops_fail(o, TALLY_EUSAGE, "price", "price: not an amount in "
		    "%s: '%s' (at most %d decimals, no thousands separators)", cur,
		    req->price != NULL ? req->price : "", money_exponent(cur));
	snprintf(minor, sizeof(minor), "%lld", (long long)price_minor);
	snprintf(days, sizeof(days), "%lld", req->days);
	snprintf(credits, sizeof(credits), "%lld", req->credits);
	a.params[0] = req->sku;
	a.params[1] = req->name;
	a.params[3] = req->days != 0 ? days : NULL;
	a.params[4] = req->credits != 0 ? credits : NULL;
	a.params[5] = minor;
	a.params[6] = cur;
	return ops_change(o, add_fn, &a, out);
}

int
ops_product_list(struct ops *o, const struct ops_product_list_req *req,
    json_t **out)
{
	static const struct ops_list_sql q = {
		"listing products",
		"SELECT count(*) FROM products p",
		"SELECT " PRODUCT_COLS ", p.created_at FROM products p"
		" ORDER BY p.sku" OPS_LIMIT_OFFSET(1, 2), 0
	};

	return ops_list(o, &q, &req->page, NULL, out);
}
