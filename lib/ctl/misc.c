/*
 * ctl_misc.c - orders, raw events, products, models and app users, by hand.
 *
 * Lists are read-only queries; product add, model set and user credit are
 * audited mutations (the row before and after from the same statement).
 * Money is parsed exactly with lib/base/money.h and stored in minor units;
 * listings show it in major units with tally_major() (exact numeric).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl/misc.h"
#include "ctl/ctlopt.h"
#include "base/err.h"
#include "base/log.h"
#include "base/money.h"
#include "base/strbuf.h"

#define LIST_DEFAULT_LIMIT 1000

static void
ll_text(char *buf, size_t n, long long v)
{
	snprintf(buf, n, "%lld", v);
}

/* "0" means no limit: NULL makes LIMIT $n ALL */
static const char *
limit_param(long long limit, char *buf, size_t n)
{
	if (limit == 0)
		return NULL;
	ll_text(buf, n, limit);
	return buf;
}

static void
upper_ascii(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

/* --- order ---------------------------------------------------------------- */

static int
order_list(struct ctl *c, int argc, char **argv)
{
	bool unfulfilled = false;
	const char *status = NULL, *customer = NULL;
	long long limit = LIST_DEFAULT_LIMIT;
	const struct ctlopt opts[] = {
		{ "unfulfilled", CTLOPT_FLAG, &unfulfilled, 0, 0, NULL },
		{ "status", CTLOPT_STR, &status, 0, 0, NULL },
		{ "customer", CTLOPT_STR, &customer, 0, 0, NULL },
		{ "limit", CTLOPT_INT, &limit, 0, 1000000000, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_END
	};
	char st[32] = "", lim[24];
	const char *params[4];
	PGresult *res = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if (status != NULL) {
		snprintf(st, sizeof(st), "%s", status);
		upper_ascii(st);
	}
	params[0] = unfulfilled ? "true" : "false";
	params[1] = status != NULL ? st : NULL;
	params[2] = customer;
	params[3] = limit_param(limit, lim, sizeof(lim));
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	/* unfulfilled: waiting in the allocator's queue, or paid with no
	 * fulfilment (which reconcile would flag); last_error says why */
	rc = db_query(c->db, &res,
	    "SELECT o.id, o.source, o.provider_ref, cu.email AS customer, p.sku,"
	    " tally_major(o.amount_minor, o.currency) AS amount, o.currency,"
	    " o.status, o.paid_at, f.kind AS fulfilled, f.created_at AS fulfilled_at,"
	    " q.attempts, q.last_error"
	    " FROM orders o"
	    " LEFT JOIN customers cu ON cu.id = o.customer_id"
	    " LEFT JOIN products p ON p.id = o.product_id"
	    " LEFT JOIN fulfilments f ON f.order_id = o.id"
	    " LEFT JOIN fulfil_queue q ON q.order_id = o.id"
	    " WHERE (NOT $1::boolean OR (f.id IS NULL AND"
	    "        (q.order_id IS NOT NULL OR o.status = 'PAID')))"
	    "   AND ($2::text IS NULL OR o.status = $2)"
	    "   AND ($3::text IS NULL OR lower(cu.email) = lower($3))"
	    " ORDER BY o.id DESC LIMIT $4::bigint", 4, params);
	if (rc != 0)
		return ctlopt_db_error(c, rc, "listing orders");
	rc = ctlopt_print(c, res, 0);
	PQclear(res);
	return rc;
}

static const struct ctlopt_verb order_verbs[] = {
	{ "list", order_list, "[--unfulfilled] [--status S] [--customer EMAIL] "
	  "[--limit N]",
	  "Orders, newest first (at most --limit, default 1000; 0: all).\n"
	  "--unfulfilled: paid orders that have not got their seat or credits\n"
	  "yet, with the allocator's attempts and last error." },
	{ NULL, NULL, NULL, NULL }
};

int
ctl_order(int argc, char **argv)
{
	return ctlopt_run_group("order", "Orders from the payment providers.",
	    order_verbs, argc, argv);
}

/* --- event ---------------------------------------------------------------- */

static int
event_list(struct ctl *c, int argc, char **argv)
{
	bool failed = false;
	const char *source = NULL, *status = NULL;
	long long limit = LIST_DEFAULT_LIMIT;
	const struct ctlopt opts[] = {
		{ "failed", CTLOPT_FLAG, &failed, 0, 0, NULL },
		{ "source", CTLOPT_STR, &source, 0, 0, NULL },
		{ "status", CTLOPT_STR, &status, 0, 0, NULL },
		{ "limit", CTLOPT_INT, &limit, 0, 1000000000, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_END
	};
	char st[32] = "", lim[24];
	const char *params[4];
	PGresult *res = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if (status != NULL) {
		snprintf(st, sizeof(st), "%s", status);
		upper_ascii(st);
	}
	params[0] = failed ? "FAILED" : status != NULL ? st : NULL;
	params[1] = source;
	params[2] = limit_param(limit, lim, sizeof(lim));
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	rc = db_query(c->db, &res,
	    "SELECT id, source, event_key,"
	    " coalesce(payload->>'type', payload->>'transaction_status',"
	    "          payload->>'status') AS type,"
	    " received_at, status, attempts, processed_at, error"
	    " FROM raw_events"
	    " WHERE ($1::text IS NULL OR status = $1)"
	    "   AND ($2::text IS NULL OR source = $2)"
	    " ORDER BY id DESC LIMIT $3::bigint", 3, params);
	if (rc != 0)
		return ctlopt_db_error(c, rc, "listing events");
	rc = ctlopt_print(c, res, 0);
	PQclear(res);
	return rc;
}

static const struct ctlopt_verb event_verbs[] = {
	{ "list", event_list, "[--failed] [--status S] [--source NAME] [--limit N]",
	  "Webhook deliveries as stored, newest first (at most --limit, default\n"
	  "1000; 0: all).  --failed: those the allocator could not understand,\n"
	  "with the reason (unknown sku, missing email, bad amount, ...)." },
	{ NULL, NULL, NULL, NULL }
};

int
ctl_event(int argc, char **argv)
{
	return ctlopt_run_group("event", "Raw webhook and usage events.",
	    event_verbs, argc, argv);
}

/* --- product -------------------------------------------------------------- */

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

struct product_arg {
	struct ctl *c;
	const char *params[7];
	const char *reason;
	PGresult *res;
};

static int
product_add_tx(struct db *db, void *p)
{
	struct product_arg *a = p;
	int rc;

	PQclear(a->res);
	a->res = NULL;
	rc = db_query(db, &a->res,
	    "INSERT INTO products AS p (sku, name, kind, duration_days, credits,"
	    " price_minor, currency)"
	    " VALUES ($1, $2, $3, $4::integer, $5::bigint, $6::bigint, $7)"
	    " RETURNING " PRODUCT_COLS ", to_jsonb(p) AS after", 7, a->params);
	if (rc == TALLY_ECONFLICT) {
		log_err("tallyctl product add: a product with sku '%s' already exists",
		    a->params[0]);
		return rc;
	}
	if (rc != 0)
		return ctlopt_db_error(a->c, rc, "adding the product");
	return ctlopt_audit(a->c, "product.add", "product",
	    PQgetvalue(a->res, 0, 0), a->reason, NULL,
	    PQgetvalue(a->res, 0, PRODUCT_NCOLS));
}

static int
product_add(struct ctl *c, int argc, char **argv)
{
	struct product_arg a = { .c = c };
	const char *sku = NULL, *name = NULL, *kind = NULL, *price = NULL;
	const char *currency = NULL;
	long long days = 0, credits = 0;
	bool have_days = false, have_credits = false;
	const struct ctlopt opts[] = {
		{ "sku", CTLOPT_STR, &sku, 0, 0, NULL },
		{ "name", CTLOPT_STR, &name, 0, 0, NULL },
		{ "kind", CTLOPT_STR, &kind, 0, 0, NULL },
		{ "days", CTLOPT_INT, &days, 1, 3650, &have_days },
		{ "credits", CTLOPT_INT, &credits, 1, 1000000000000LL, &have_credits },
		{ "price", CTLOPT_STR, &price, 0, 0, NULL },
		{ "currency", CTLOPT_STR, &currency, 0, 0, NULL },
		{ "reason", CTLOPT_STR, &a.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	char cur[4], minor[24], daybuf[24], credbuf[24];
	int64_t price_minor;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if (sku == NULL || name == NULL || kind == NULL || price == NULL ||
	    currency == NULL)
		return ctlopt_usage_error(c, "--sku, --name, --kind, --price and "
		    "--currency are required");
	if (!sku_ok(sku))
		return ctlopt_usage_error(c, "--sku: 1 to 64 letters, digits, "
		    "'_', '.', ':' or '-'");
	if (name[0] == '\0')
		return ctlopt_usage_error(c, "--name is empty");
	if (strcasecmp(kind, "seat") == 0) {
		if (!have_days || have_credits)
			return ctlopt_usage_error(c, "a seat plan takes --days N "
			    "(and no --credits)");
		a.params[2] = "SEAT";
	} else if (strcasecmp(kind, "credits") == 0) {
		if (!have_credits || have_days)
			return ctlopt_usage_error(c, "a credit package takes "
			    "--credits N (and no --days)");
		a.params[2] = "CREDITS";
	} else {
		return ctlopt_usage_error(c, "--kind must be seat or credits");
	}
	if (money_currency_normalize(currency, cur) != 0 ||
	    !money_currency_valid(cur))
		return ctlopt_usage_error(c, "--currency: not an ISO 4217 code: "
		    "'%s'", currency);
	rc = money_parse_major(price, money_exponent(cur), &price_minor);
	if (rc != 0 || price_minor < 0)
		return ctlopt_usage_error(c, "--price: not an amount in %s: '%s' "
		    "(at most %d decimals, no thousands separators)", cur, price,
		    money_exponent(cur));
	snprintf(minor, sizeof(minor), "%lld", (long long)price_minor);
	ll_text(daybuf, sizeof(daybuf), days);
	ll_text(credbuf, sizeof(credbuf), credits);
	a.params[0] = sku;
	a.params[1] = name;
	a.params[3] = have_days ? daybuf : NULL;
	a.params[4] = have_credits ? credbuf : NULL;
	a.params[5] = minor;
	a.params[6] = cur;
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	rc = ctlopt_mutate(c, product_add_tx, &a);
	if (rc == 0)
		rc = ctlopt_print_record(c, a.res, 0, PRODUCT_NCOLS);
	PQclear(a.res);
	return rc;
}

static int
product_list(struct ctl *c, int argc, char **argv)
{
	const struct ctlopt opts[] = { CTLOPT_OUTPUT(c), CTLOPT_END };
	PGresult *res = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	rc = db_query(c->db, &res, "SELECT " PRODUCT_COLS ", p.created_at"
	    " FROM products p ORDER BY p.sku", 0, NULL);
	if (rc != 0)
		return ctlopt_db_error(c, rc, "listing products");
	rc = ctlopt_print(c, res, 0);
	PQclear(res);
	return rc;
}

static const struct ctlopt_verb product_verbs[] = {
	{ "add", product_add, "--sku SKU --name NAME --kind seat|credits "
	  "(--days N | --credits N) --price DECIMAL --currency CUR [--reason TEXT]",
	  "Add a product: a seat plan (--days) or a credit package (--credits).\n"
	  "The sku is what payments name in their metadata.  --price is in\n"
	  "major units, exactly (19.99 USD, 150000 IDR, 1500 JPY)." },
	{ "list", product_list, "", "All products, by sku." },
	{ NULL, NULL, NULL, NULL }
};

int
ctl_product(int argc, char **argv)
{
	return ctlopt_run_group("product", "What customers can buy.",
	    product_verbs, argc, argv);
}

/* --- model ---------------------------------------------------------------- */

#define MODEL_COLS \
	"m.id, m.name, m.active, m.flagged, m.credit_cost," \
	" tally_major(m.provider_cost_minor, m.provider_currency) AS provider_cost," \
	" m.provider_currency AS currency"
#define MODEL_NCOLS 7

static int
model_list(struct ctl *c, int argc, char **argv)
{
	const struct ctlopt opts[] = { CTLOPT_OUTPUT(c), CTLOPT_END };
	PGresult *res = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	/* last_used through usage_events (model_id, started_at): one index
	 * probe per model */
	rc = db_query(c->db, &res, "SELECT " MODEL_COLS ","
	    " (SELECT max(u.started_at) FROM usage_events u"
	    "  WHERE u.model_id = m.id) AS last_used, m.created_at"
	    " FROM models m ORDER BY m.name", 0, NULL);
	if (rc != 0)
		return ctlopt_db_error(c, rc, "listing models");
	rc = ctlopt_print(c, res, 0);
	PQclear(res);
	return rc;
}

struct model_arg {
	struct ctl *c;
	const char *name;
	int active;		/* -1 unchanged, 0, 1 */
	const char *credit_cost;	/* NULL: unchanged */
	const char *cost;	/* decimal as given, NULL: unchanged */
	const char *currency;	/* normalised, NULL: unchanged */
	const char *reason;
	PGresult *res;
	bool created;
};

static int
model_set_tx(struct db *db, void *p)
{
	struct model_arg *a = p;
	PGresult *cur = NULL;
	const char *params[6];
	const char *currency;
	char minor[24];
	int64_t cost_minor;
	int rc;

	PQclear(a->res);
	a->res = NULL;
	params[0] = a->name;
	rc = db_query(db, &cur, "SELECT provider_currency FROM models"
	    " WHERE name = $1 FOR UPDATE", 1, params);
	if (rc != 0)
		return ctlopt_db_error(a->c, rc, "looking up the model");
	a->created = PQntuples(cur) == 0;
	/* the cost is in the given currency, else the model's own (USD for a
	 * new one, the column default) */
	currency = a->currency != NULL ? a->currency :
	    !a->created ? PQgetvalue(cur, 0, 0) : "USD";
	if (a->cost != NULL) {
		rc = money_parse_major(a->cost, money_exponent(currency), &cost_minor);
		if (rc != 0 || cost_minor < 0) {
			log_err("tallyctl model set: --provider-cost: not an amount in "
			    "%s: '%s'", currency, a->cost);
			PQclear(cur);
			return TALLY_EUSAGE;
		}
		snprintf(minor, sizeof(minor), "%lld", (long long)cost_minor);
	}
	params[1] = a->active < 0 ? NULL : a->active ? "true" : "false";
	params[2] = a->credit_cost;
	params[3] = a->cost != NULL ? minor : NULL;
	params[4] = a->cost != NULL || a->currency != NULL ? currency : NULL;
	params[5] = NULL;
	/* reviewed by an admin: an automatically registered model is no
	 * longer flagged */
	if (a->created)
		rc = db_query(db, &a->res,
		    "INSERT INTO models AS m (name, active, credit_cost,"
		    " provider_cost_minor, provider_currency, flagged)"
		    " VALUES ($1, coalesce($2::boolean, true), coalesce($3::bigint, 0),"
		    " coalesce($4::bigint, 0), coalesce($5, 'USD'), false)"
		    " RETURNING " MODEL_COLS ", NULL::jsonb AS before,"
		    " to_jsonb(m) AS after", 5, params);
	else
		rc = db_query(db, &a->res,
		    "WITH old AS (SELECT * FROM models WHERE name = $1 FOR UPDATE)"
		    " UPDATE models m SET active = coalesce($2::boolean, m.active),"
		    " credit_cost = coalesce($3::bigint, m.credit_cost),"
		    " provider_cost_minor = coalesce($4::bigint, m.provider_cost_minor),"
		    " provider_currency = coalesce($5, m.provider_currency),"
		    " flagged = false"
		    " FROM old WHERE m.id = old.id"
		    " RETURNING " MODEL_COLS ", to_jsonb(old) AS before,"
		    " to_jsonb(m) AS after", 5, params);
	PQclear(cur);
	if (rc != 0)
		return ctlopt_db_error(a->c, rc, "writing the model");
	return ctlopt_audit(a->c, "model.set", "model", PQgetvalue(a->res, 0, 0),
	    a->reason, db_value(a->res, 0, MODEL_NCOLS),
	    PQgetvalue(a->res, 0, MODEL_NCOLS + 1));
}

static int
model_set(struct ctl *c, int argc, char **argv)
{
	struct model_arg a = { .c = c, .active = -1 };
	bool on = false, off = false;
	long long credit_cost = 0;
	bool have_cc = false;
	const char *pos[1], *currency = NULL;
	const struct ctlopt opts[] = {
		{ "active", CTLOPT_FLAG, &on, 0, 0, NULL },
		{ "inactive", CTLOPT_FLAG, &off, 0, 0, NULL },
		{ "credit-cost", CTLOPT_INT, &credit_cost, 0, 1000000000000LL, &have_cc },
		{ "provider-cost", CTLOPT_STR, &a.cost, 0, 0, NULL },
		{ "currency", CTLOPT_STR, &currency, 0, 0, NULL },
		{ "reason", CTLOPT_STR, &a.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	char ccbuf[24], cur[4];
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	if (on && off)
		return ctlopt_usage_error(c, "--active and --inactive together");
	if (pos[0][0] == '\0' || strlen(pos[0]) > 128)
		return ctlopt_usage_error(c, "a model name has 1 to 128 characters");
	if (currency != NULL) {
		if (a.cost == NULL)
			return ctlopt_usage_error(c, "--currency goes with "
			    "--provider-cost");
		if (money_currency_normalize(currency, cur) != 0 ||
		    !money_currency_valid(cur))
			return ctlopt_usage_error(c, "--currency: not an ISO 4217 "
			    "code: '%s'", currency);
		a.currency = cur;
	}
	a.name = pos[0];
	a.active = on ? 1 : off ? 0 : -1;
	if (have_cc) {
		ll_text(ccbuf, sizeof(ccbuf), credit_cost);
		a.credit_cost = ccbuf;
	}
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	rc = ctlopt_mutate(c, model_set_tx, &a);
	if (rc == 0) {
		if (a.created)
			fprintf(stderr, "model %s: new\n", a.name);
		rc = ctlopt_print_record(c, a.res, 0, MODEL_NCOLS);
	}
	PQclear(a.res);
	return rc;
}

static const struct ctlopt_verb model_verbs[] = {
	{ "list", model_list, "",
	  "The image service's models: active, flagged (registered from usage\n"
	  "under an unknown name), credits per call, provider cost per call,\n"
	  "last use." },
	{ "set", model_set, "NAME [--active|--inactive] [--credit-cost N] "
	  "[--provider-cost DECIMAL [--currency CUR]] [--reason TEXT]",
	  "Create or change a model.  Options not given keep their value; a\n"
	  "flagged model becomes reviewed (not flagged).  --provider-cost is\n"
	  "what the provider charges us per call, in major units of --currency\n"
	  "(default: the model's currency, USD for a new model)." },
	{ NULL, NULL, NULL, NULL }
};

int
ctl_model(int argc, char **argv)
{
	return ctlopt_run_group("model", "Models of the image service.",
	    model_verbs, argc, argv);
}

/* --- user ----------------------------------------------------------------- */

static int
user_list(struct ctl *c, int argc, char **argv)
{
	const char *sort = NULL, *search = NULL;
	long long limit = LIST_DEFAULT_LIMIT;
	const struct ctlopt opts[] = {
		{ "sort", CTLOPT_STR, &sort, 0, 0, NULL },
		{ "search", CTLOPT_STR, &search, 0, 0, NULL },
		{ "limit", CTLOPT_INT, &limit, 0, 1000000000, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_END
	};
	const char *params[3];
	char lim[24];
	PGresult *res = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if (sort != NULL && strcmp(sort, "registered") != 0 &&
	    strcmp(sort, "balance") != 0 && strcmp(sort, "last-login") != 0)
		return ctlopt_usage_error(c, "--sort must be registered, balance "
		    "or last-login");
	params[0] = sort;
	params[1] = search;
	params[2] = limit_param(limit, lim, sizeof(lim));
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	/* the sort key is a parameter chosen by CASE, never spliced SQL;
	 * newest/highest first */
	rc = db_query(c->db, &res,
	    "SELECT u.id, u.external_id, u.email,"
	    " (SELECT coalesce(sum(l.delta), 0) FROM credit_ledger l"
	    "  WHERE l.user_id = u.id)::bigint AS balance,"
	    " u.registered_at, u.last_login_at"
	    " FROM app_users u"
	    " WHERE $2::text IS NULL OR strpos(lower(u.external_id), lower($2)) > 0"
	    "    OR strpos(lower(coalesce(u.email, '')), lower($2)) > 0"
	    " ORDER BY"
	    "  CASE WHEN $1 = 'balance' THEN (SELECT coalesce(sum(l.delta), 0)"
	    "   FROM credit_ledger l WHERE l.user_id = u.id) END DESC NULLS LAST,"
	    "  CASE WHEN $1 = 'registered' THEN u.registered_at END DESC NULLS LAST,"
	    "  CASE WHEN $1 = 'last-login' THEN u.last_login_at END DESC NULLS LAST,"
	    "  u.id"
	    " LIMIT $3::bigint", 3, params);
	if (rc != 0)
		return ctlopt_db_error(c, rc, "listing users");
	rc = ctlopt_print(c, res, 0);
	PQclear(res);
	return rc;
}

struct credit_arg {
	struct ctl *c;
	const char *user;
	const char *delta;
	const char *reason;
	const char *request_id;
	PGresult *res;
	bool replay;		/* the request id was applied before, identically */
};

#define CREDIT_NCOLS 8

/* An app user by external id, else by email (refused when ambiguous). */
static int
find_user(struct ctl *c, const char *spec, char *id, size_t idsz)
{
	const char *params[1] = { spec };
	PGresult *res = NULL;
	int rc;

	rc = db_query(c->db, &res, "SELECT id FROM app_users WHERE external_id = $1"
	    " FOR UPDATE", 1, params);
	if (rc == 0 && PQntuples(res) == 0) {
		PQclear(res);
		rc = db_query(c->db, &res, "SELECT id FROM app_users"
		    " WHERE lower(email) = lower($1) ORDER BY id FOR UPDATE", 1, params);
	}
	if (rc != 0)
		return ctlopt_db_error(c, rc, "looking up the user");
	if (PQntuples(res) == 0) {
		log_err("tallyctl user credit: no user '%s' (by external id or email)",
		    spec);
		rc = TALLY_ENOTFOUND;
	} else if (PQntuples(res) > 1) {
		rc = ctlopt_refuse(c, "%d users have email '%s'; name one by its "
		    "external id (tallyctl user list --search)", PQntuples(res), spec);
	} else {
		snprintf(id, idsz, "%s", PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return rc;
}

static int
credit_tx(struct db *db, void *p)
{
	struct credit_arg *a = p;
	const char *params[4];
	char uid[24];
	int rc;

	PQclear(a->res);
	a->res = NULL;
	a->replay = false;
	/* the user row lock orders concurrent adjustments, so the balances
	 * written to the audit log follow one another */
	if ((rc = find_user(a->c, a->user, uid, sizeof(uid))) != 0)
		return rc;
	params[0] = uid;
	params[1] = a->delta;
	params[2] = a->request_id;
	params[3] = a->reason;
	if (a->request_id != NULL) {
		/* the same request again (a retried script) is done already */
		PGresult *old = NULL;

		rc = db_query(db, &old, "SELECT user_id::text = $1 AND delta = $2::bigint"
		    " FROM credit_ledger WHERE kind = 'ADJUSTMENT' AND ref = $3",
		    3, params);
		if (rc != 0)
			return ctlopt_db_error(a->c, rc, "looking up the request id");
		if (PQntuples(old) == 1) {
			bool same = strcmp(PQgetvalue(old, 0, 0), "t") == 0;

			PQclear(old);
			if (!same)
				return ctlopt_refuse(a->c, "request id '%s' was already "
				    "used for another adjustment", a->request_id);
			a->replay = true;
			return 0;
		}
		PQclear(old);
	}
	rc = db_query(db, &a->res,
	    "WITH bal AS (SELECT coalesce(sum(delta), 0)::bigint AS b"
	    "   FROM credit_ledger WHERE user_id = $1),"
	    " ins AS (INSERT INTO credit_ledger AS l (user_id, delta, kind, ref, reason)"
	    "   VALUES ($1, $2::bigint, 'ADJUSTMENT',"
	    "           coalesce($3, 'tallyctl:' || gen_random_uuid()), $4)"
	    "   RETURNING l.*)"
	    " SELECT ins.id AS ledger_id, ins.user_id, ins.delta,"
	    "  bal.b AS balance_before, bal.b + ins.delta AS balance, ins.ref,"
	    "  ins.reason, ins.created_at,"
	    "  jsonb_build_object('user_id', ins.user_id, 'balance', bal.b) AS before,"
	    "  to_jsonb(ins) || jsonb_build_object('balance', bal.b + ins.delta)"
	    "   AS after"
	    " FROM ins, bal", 4, params);
	if (rc != 0)
		return ctlopt_db_error(a->c, rc, "writing the credit ledger");
	return ctlopt_audit(a->c, "user.credit", "user", uid, a->reason,
	    PQgetvalue(a->res, 0, CREDIT_NCOLS),
	    PQgetvalue(a->res, 0, CREDIT_NCOLS + 1));
}

static int
user_credit(struct ctl *c, int argc, char **argv)
{
	struct credit_arg a = { .c = c };
	long long delta = 0;
	bool have_delta = false;
	const char *pos[1];
	const struct ctlopt opts[] = {
		{ "delta", CTLOPT_INT, &delta, -1000000000000LL, 1000000000000LL,
		  &have_delta },
		{ "reason", CTLOPT_STR, &a.reason, 0, 0, NULL },
		{ "request-id", CTLOPT_STR, &a.request_id, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	char dbuf[24];
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	if (!have_delta || delta == 0)
		return ctlopt_usage_error(c, "--delta N is required and not 0 "
		    "(negative takes credits away)");
	if (a.reason == NULL || a.reason[0] == '\0')
		return ctlopt_usage_error(c, "--reason is required");
	if (a.request_id != NULL && (a.request_id[0] == '\0' ||
	    strlen(a.request_id) > 200))
		return ctlopt_usage_error(c, "--request-id: 1 to 200 characters");
	ll_text(dbuf, sizeof(dbuf), delta);
	a.delta = dbuf;
	a.user = pos[0];
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	rc = ctlopt_mutate(c, credit_tx, &a);
	if (rc == 0 && a.replay) {
		fprintf(stderr, "request id '%s' was applied before; nothing to do\n",
		    a.request_id);
	} else if (rc == 0) {
		if (db_value_ll(a.res, 0, 4, 0) < 0)
			log_warning("user %s now has a negative balance (%s)", a.user,
			    PQgetvalue(a.res, 0, 4));
		rc = ctlopt_print_record(c, a.res, 0, CREDIT_NCOLS);
	}
	PQclear(a.res);
	return rc;
}

static const struct ctlopt_verb user_verbs[] = {
	{ "list", user_list, "[--sort registered|balance|last-login] "
	  "[--search TEXT] [--limit N]",
	  "Users of the image service with their credit balance (at most\n"
	  "--limit, default 1000; 0: all).  --sort puts the newest or highest\n"
	  "first; --search matches part of the external id or email." },
	{ "credit", user_credit, "USER --delta N --reason TEXT [--request-id ID]",
	  "Adjust a user's credits (USER: external id or email; negative N\n"
	  "takes credits away).  One ADJUSTMENT in the credit ledger, with a\n"
	  "unique reference: --request-id, or a generated one.  Running the\n"
	  "same --request-id again does nothing (safe to retry a script)." },
	{ NULL, NULL, NULL, NULL }
};

int
ctl_user(int argc, char **argv)
{
	return ctlopt_run_group("user", "Users of the image service and their "
	    "credits.", user_verbs, argc, argv);
}
