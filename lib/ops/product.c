/*
 * product.c - products: add, list and update (see ops/product.h).
 *
 * Prices are parsed exactly (lib/base/money.h) into minor units of their
 * currency and shown back in major units by tally_major(): never a float.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/money.h"
#include "ops/product.h"

#define PRODUCT_COLS \
	"p.id, p.sku, p.name, p.kind, p.duration_days AS days, p.credits," \
	" tally_major(p.price_minor, p.currency) AS price, p.currency," \
	" tally_major(p.min_price_minor, p.currency) AS min_price, p.active"
#define PRODUCT_NCOLS 10

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

static int
check_sku(struct ops *o, const char *sku)
{
	if (sku == NULL || !sku_ok(sku))
		return ops_fail(o, TALLY_EUSAGE, "sku", "sku: 1 to 64 letters, "
		    "digits, '_', '.', ':' or '-'");
	return 0;
}

/* An active ISO 4217 code, upper case, into cur. */
static int
check_currency(struct ops *o, const char *in, char cur[4])
{
	if (in == NULL || money_currency_normalize(in, cur) != 0 ||
	    !money_currency_valid(cur))
		return ops_fail(o, TALLY_EUSAGE, "currency", "currency: not an "
		    "active ISO 4217 code: '%s' (USD, EUR, IDR, JPY, ...)",
		    in != NULL ? in : "");
	return 0;
}

/* An amount in major units of cur, exactly, into minor (field: "price"
 * or "min_price", as the request names it). */
static int
parse_amount(struct ops *o, const char *field, const char *s,
    const char *cur, int64_t *minor)
{
	int e = money_exponent(cur);

	if (s == NULL || money_parse_major(s, e, minor) != 0 || *minor < 0)
		return ops_fail(o, TALLY_EUSAGE, field, "%s: not an amount in %s: "
		    "'%s' (at most %d decimal%s, no thousands separators)", field,
		    cur, s != NULL ? s : "", e, e == 1 ? "" : "s");
	return 0;
}

/* min <= price, said in the currency's terms; field is the one to blame. */
static int
check_min(struct ops *o, const char *field, int64_t price, int64_t min,
    const char *cur)
{
	char p[48], m[48];
	int e = money_exponent(cur);

	if (min <= price)
		return 0;
	money_format(price, e, p, sizeof(p));
	money_format(min, e, m, sizeof(m));
	if (strcmp(field, "price") == 0)
		return ops_fail(o, TALLY_EUSAGE, field, "price: %s %s is below the "
		    "min price %s %s: give a lower min price too, or drop it",
		    p, cur, m, cur);
	return ops_fail(o, TALLY_EUSAGE, field, "min_price: %s %s is above the "
	    "price %s %s: the lowest accepted price cannot be more than the "
	    "price", m, cur, p, cur);
}

/* ---- add --------------------------------------------------------- */

struct add_arg {
	const char *params[8];
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
	    " price_minor, currency, min_price_minor)"
	    " VALUES ($1, $2, $3, $4::integer, $5::bigint, $6::bigint, $7,"
	    " $8::bigint)"
	    " RETURNING " PRODUCT_COLS ", to_jsonb(p) AS after", 8, a->params);
	if (rc == TALLY_ECONFLICT)
		return ops_fail(o, rc, "sku", "a product with sku '%s' already "
		    "exists", a->params[0]);
	if (rc != 0)
		return ops_db_fail(o, rc, "adding the product");
	rc = ops_audited_new(o, "product.add", "product", PQgetvalue(res, 0, 0),
	    a->reason, res, PRODUCT_NCOLS, out);
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
	char cur[4], minor[24], min[24], days[24], credits[24];
	int64_t price_minor, min_minor = 0;
	int rc;

	*out = NULL;
	ops_reset(o);
	if ((rc = check_sku(o, req->sku)) != 0)
		return rc;
	if (req->name == NULL || req->name[0] == '\0')
		return ops_fail(o, TALLY_EUSAGE, "name", "name is empty");
	if ((rc = check_kind(o, req, &a.params[2])) != 0 ||
	    (rc = check_currency(o, req->currency, cur)) != 0 ||
	    (rc = parse_amount(o, "price", req->price, cur, &price_minor)) != 0)
		return rc;
	if (req->min_price != NULL &&
	    ((rc = parse_amount(o, "min_price", req->min_price, cur,
	    &min_minor)) != 0 ||
	    (rc = check_min(o, "min_price", price_minor, min_minor, cur)) != 0))
		return rc;
	snprintf(minor, sizeof(minor), "%lld", (long long)price_minor);
	snprintf(min, sizeof(min), "%lld", (long long)min_minor);
	snprintf(days, sizeof(days), "%lld", req->days);
	snprintf(credits, sizeof(credits), "%lld", req->credits);
	a.params[0] = req->sku;
	a.params[1] = req->name;
	a.params[3] = req->days != 0 ? days : NULL;
	a.params[4] = req->credits != 0 ? credits : NULL;
	a.params[5] = minor;
	a.params[6] = cur;
	a.params[7] = req->min_price != NULL ? min : NULL;
	return ops_change(o, add_fn, &a, out);
}

int
ops_product_list(struct ops *o, const struct ops_product_list_req *req,
    json_t **out)
{
	static const struct ops_list_sql q = {
		"listing products",
		"SELECT count(*) FROM products p",
		"SELECT " PRODUCT_COLS ", p.created_at, p.deactivated_at"
		" FROM products p ORDER BY p.sku" OPS_LIMIT_OFFSET(1, 2), 0
	};

	return ops_list(o, &q, &req->page, NULL, out);
}

/* ---- update ------------------------------------------------------ */

struct update_arg {
	const struct ops_product_update_req *req;
	char cur[4];		/* the new currency, or "" */
};

/*
 * The values after the change into params[1..5] (name, price, currency,
 * min price, active) from the request and the product's row cur
 * (columns: id, currency, price_minor, min_price_minor); the numbers are
 * written into num[0..1].
 */
static int
new_values(struct ops *o, const struct update_arg *a, const PGresult *cur,
    const char **params, char num[2][24])
{
	const struct ops_product_update_req *req = a->req;
	const char *old_cur = PQgetvalue(cur, 0, 1);
	const char *c = a->cur[0] != '\0' ? a->cur : old_cur;
	bool moved = strcmp(c, old_cur) != 0;
	bool had_min = !PQgetisnull(cur, 0, 3);
	int64_t price, min = 0;
	bool has_min;
	int rc;

	if (moved && req->price == NULL)
		return ops_fail(o, TALLY_EUSAGE, "price", "price: changing the "
		    "currency from %s to %s needs the price in %s", old_cur, c, c);
	if (moved && had_min && req->min_price == NULL && !req->no_min_price)
		return ops_fail(o, TALLY_EUSAGE, "min_price", "min_price: the "
		    "product has a min price in %s; give it in %s, or drop it",
		    old_cur, c);
	if (req->price != NULL) {
		if ((rc = parse_amount(o, "price", req->price, c, &price)) != 0)
			return rc;
	} else
		price = strtoll(PQgetvalue(cur, 0, 2), NULL, 10);
	if (req->min_price != NULL) {
		if ((rc = parse_amount(o, "min_price", req->min_price, c,
		    &min)) != 0)
			return rc;
		has_min = true;
	} else {
		has_min = had_min && !req->no_min_price;
		if (has_min)
			min = strtoll(PQgetvalue(cur, 0, 3), NULL, 10);
	}
	if (has_min && (rc = check_min(o, req->min_price != NULL ?
	    "min_price" : "price", price, min, c)) != 0)
		return rc;
	snprintf(num[0], 24, "%lld", (long long)price);
	snprintf(num[1], 24, "%lld", (long long)min);
	params[1] = req->name;
	params[2] = num[0];
	params[3] = c;
	params[4] = has_min ? num[1] : NULL;
	params[5] = req->active == OPS_YES ? "true" :
	    req->active == OPS_NO ? "false" : NULL;
	return 0;
}

/* Held orders of product $1 the next tally-allocate releases. */
static const char releasable_sql[] =
    "SELECT count(*) FROM orders o, products p"
    " WHERE p.id = $1::bigint AND o.status = 'HELD'"
    "   AND (o.product_id = p.id OR (o.product_id IS NULL AND o.sku = p.sku))"
    "   AND tally_order_hold_reason_now(o.id) IS DISTINCT FROM o.hold_reason";

static int
update_fn(struct ops *o, void *p, json_t **out)
{
	struct update_arg *a = p;
	const char *params[6];
	PGresult *cur = NULL, *res = NULL;
	char num[2][24], *released = NULL;
	int rc;

	params[0] = a->req->sku;
	rc = db_query(o->db, &cur, "SELECT p.id, p.currency, p.price_minor,"
	    " p.min_price_minor, to_jsonb(p) AS before FROM products p"
	    " WHERE p.sku = $1 FOR NO KEY UPDATE", 1, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "reading the product");
	if (PQntuples(cur) == 0) {
		rc = ops_fail(o, TALLY_ENOTFOUND, "sku", "no product with sku "
		    "'%s' (tallyctl product list)", a->req->sku);
		goto out;
	}
	if ((rc = new_values(o, a, cur, params, num)) != 0)
		goto out;
	params[0] = PQgetvalue(cur, 0, 0);
	rc = db_query(o->db, &res,
	    "UPDATE products p SET name = coalesce($2, p.name),"
	    " price_minor = $3::bigint, currency = $4,"
	    " min_price_minor = $5::bigint,"
	    " active = coalesce($6::boolean, p.active)"
	    " WHERE p.id = $1::bigint"
	    " RETURNING " PRODUCT_COLS ", to_jsonb(p) AS after", 6, params);
	if (rc != 0) {
		rc = ops_db_fail(o, rc, "updating the product");
		goto out;
	}
	rc = db_query_value(o->db, &released, releasable_sql, 1, params);
	if (rc != 0) {
		rc = ops_db_fail(o, rc, "counting held orders");
		goto out;
	}
	rc = ops_audit(o, "product.update", "product", params[0],
	    a->req->reason, PQgetvalue(cur, 0, 4),
	    PQgetvalue(res, 0, PRODUCT_NCOLS));
	if (rc == 0) {
		*out = ops_change_json(o, res, 0, PRODUCT_NCOLS);
		json_object_set_new(*out, "held_released", json_integer(
		    released != NULL ? strtoll(released, NULL, 10) : 0));
	}
out:
	free(released);
	PQclear(cur);
	PQclear(res);
	return rc;
}

int
ops_product_update(struct ops *o, const struct ops_product_update_req *req,
    json_t **out)
{
	struct update_arg a = { req, "" };
	int rc;

	*out = NULL;
	ops_reset(o);
	if ((rc = check_sku(o, req->sku)) != 0)
		return rc;
	if (req->name != NULL && req->name[0] == '\0')
		return ops_fail(o, TALLY_EUSAGE, "name", "name is empty");
	if (req->currency != NULL &&
	    (rc = check_currency(o, req->currency, a.cur)) != 0)
		return rc;
	if (req->min_price != NULL && req->no_min_price)
		return ops_fail(o, TALLY_EUSAGE, "min_price", "min_price: give a "
		    "min price or drop it (no_min_price), not both");
	if (req->active != OPS_UNSET && req->active != OPS_YES &&
	    req->active != OPS_NO)
		return ops_fail(o, TALLY_EUSAGE, "active", "active must be yes "
		    "or no");
	if (req->name == NULL && req->price == NULL && req->currency == NULL &&
	    req->min_price == NULL && !req->no_min_price &&
	    req->active == OPS_UNSET)
		return ops_fail(o, TALLY_EUSAGE, NULL, "nothing to change: give "
		    "a name, price, currency, min price or active");
	return ops_change(o, update_fn, &a, out);
}
