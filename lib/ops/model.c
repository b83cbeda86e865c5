/*
 * model.c - models of the image service: set and list.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/money.h"
#include "ops/model.h"

#define MODEL_COLS \
	"m.id, m.name, m.active, m.flagged, m.credit_cost," \
	" tally_major(m.provider_cost_minor, m.provider_currency) AS provider_cost," \
	" m.provider_currency AS currency"
#define MODEL_NCOLS 7

struct set_arg {
	const struct ops_model_req *req;
	const char *currency;	/* normalised, NULL: unchanged */
	const char *credit_cost;
	bool created;
};

static const char insert_sql[] =
	"INSERT INTO models AS m (name, active, credit_cost,"
	" provider_cost_minor, provider_currency, flagged)"
	" VALUES ($1, coalesce($2::boolean, true), coalesce($3::bigint, 0),"
	" coalesce($4::bigint, 0), coalesce($5, 'USD'), false)"
	" RETURNING " MODEL_COLS ", NULL::jsonb AS before, to_jsonb(m) AS after";

/* reviewed by an admin: an automatically registered model is no longer
 * flagged */
static const char update_sql[] =
	"WITH old AS (SELECT * FROM models WHERE name = $1 FOR NO KEY UPDATE)"
	" UPDATE models m SET active = coalesce($2::boolean, m.active),"
	" credit_cost = coalesce($3::bigint, m.credit_cost),"
	" provider_cost_minor = coalesce($4::bigint, m.provider_cost_minor),"
	" provider_currency = coalesce($5, m.provider_currency),"
	" flagged = false"
	" FROM old WHERE m.id = old.id"
	" RETURNING " MODEL_COLS ", to_jsonb(old) AS before, to_jsonb(m) AS after";

static int
set_fn(struct ops *o, void *p, json_t **out)
{
	struct set_arg *a = p;
	const struct ops_model_req *req = a->req;
	PGresult *cur = NULL, *res = NULL;
	const char *params[5];
	const char *currency;
	char minor[24];
	int64_t cost_minor;
	int rc;

	params[0] = req->name;
	rc = db_query(o->db, &cur, "SELECT provider_currency FROM models"
	    " WHERE name = $1 FOR NO KEY UPDATE", 1, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "looking up the model");
	a->created = PQntuples(cur) == 0;
	/* the cost is in the given currency, else the model's own (USD for a
	 * new one, the column default) */
	currency = a->currency != NULL ? a->currency :
	    !a->created ? PQgetvalue(cur, 0, 0) : "USD";
	if (req->provider_cost != NULL) {
		rc = money_parse_major(req->provider_cost, money_exponent(currency),
		    &cost_minor);
		if (rc != 0 || cost_minor < 0) {
			rc = ops_fail(o, TALLY_EUSAGE, "provider_cost", "provider_cost: "
			    "not an amount in %s: '%s'", currency, req->provider_cost);
			goto out;
		}
		snprintf(minor, sizeof(minor), "%lld", (long long)cost_minor);
	}
	params[1] = req->active == OPS_UNSET ? NULL :
	    req->active == OPS_YES ? "true" : "false";
	params[2] = a->credit_cost;
	params[3] = req->provider_cost != NULL ? minor : NULL;
	params[4] = req->provider_cost != NULL || a->currency != NULL ?
	    currency : NULL;
	rc = db_query(o->db, &res, a->created ? insert_sql : update_sql, 5,
	    params);
	if (rc != 0) {
		rc = ops_db_fail(o, rc, "writing the model");
		goto out;
	}
	rc = ops_audit(o, "model.set", "model", PQgetvalue(res, 0, 0),
	    req->reason, db_value(res, 0, MODEL_NCOLS),
	    PQgetvalue(res, 0, MODEL_NCOLS + 1));
	if (rc == 0) {
		*out = ops_change_json(o, res, 0, MODEL_NCOLS);
		json_object_set_new(*out, "created", json_boolean(a->created));
	}
out:
	PQclear(cur);
	PQclear(res);
	return rc;
}

int
ops_model_set(struct ops *o, const struct ops_model_req *req, json_t **out)
{
	struct set_arg a = { .req = req };
	char cc[24], cur[4];

	*out = NULL;
	ops_reset(o);
	if (req->name == NULL || req->name[0] == '\0' || strlen(req->name) > 128)
		return ops_fail(o, TALLY_EUSAGE, "name", "a model name has 1 to "
		    "128 characters");
	if (req->has_credit_cost && (req->credit_cost < 0 ||
	    req->credit_cost > OPS_MODEL_MAX_CREDIT_COST))
		return ops_fail(o, TALLY_EUSAGE, "credit_cost", "credit_cost must "
		    "be a whole number from 0 to %lld", OPS_MODEL_MAX_CREDIT_COST);
	if (req->currency != NULL) {
		if (req->provider_cost == NULL)
			return ops_fail(o, TALLY_EUSAGE, "currency", "currency goes "
			    "with provider_cost");
		if (money_currency_normalize(req->currency, cur) != 0 ||
		    !money_currency_valid(cur))
			return ops_fail(o, TALLY_EUSAGE, "currency", "currency: not "
			    "an ISO 4217 code: '%s'", req->currency);
		a.currency = cur;
	}
	if (req->has_credit_cost) {
		snprintf(cc, sizeof(cc), "%lld", req->credit_cost);
		a.credit_cost = cc;
	}
	return ops_change(o, set_fn, &a, out);
}

int
ops_model_list(struct ops *o, const struct ops_model_list_req *req,
    json_t **out)
{
	/* last_used through usage_events (model_id, started_at): one index
	 * probe per model */
	static const struct ops_list_sql q = {
		"listing models",
		"SELECT count(*) FROM models m",
		"SELECT " MODEL_COLS ","
		" (SELECT max(u.started_at) FROM usage_events u"
		"  WHERE u.model_id = m.id) AS last_used, m.created_at"
		" FROM models m ORDER BY m.name" OPS_LIMIT_OFFSET(1, 2), 0
	};

	return ops_list(o, &q, &req->page, NULL, out);
}

int
ops_model_usage(struct ops *o, const struct ops_model_usage_req *req,
    json_t **out)
{
	/* the window's calls through usage_events (model_id, started_at), its
	 * partitions pruned by the bound; last_used over all time, as the
	 * list's, one index probe per model */
	static const struct ops_list_sql q = {
		"counting model usage",
		"SELECT count(*) FROM models m WHERE $1::integer IS NOT NULL",
		"SELECT m.name, m.active, m.credit_cost, coalesce(s.calls, 0) AS calls,"
		" coalesce(s.errors, 0) AS errors, s.avg_ms,"
		" (SELECT max(u.started_at) FROM usage_events u"
		"  WHERE u.model_id = m.id) AS last_used"
		" FROM models m LEFT JOIN LATERAL"
		" (SELECT count(*) AS calls,"
		"   count(*) FILTER (WHERE u.status = 'error') AS errors,"
		"   round(avg(u.duration_ms), 1) AS avg_ms"
		"  FROM usage_events u WHERE u.model_id = m.id"
		"   AND u.started_at >= now() - make_interval(days => $1::integer)) s"
		" ON true ORDER BY m.name" OPS_LIMIT_OFFSET(2, 3), 1
	};
	const char *params[1];
	char days[24];

	*out = NULL;
	ops_reset(o);
	if (req->days < 0 || req->days > OPS_MODEL_MAX_USAGE_DAYS)
		return ops_fail(o, TALLY_EUSAGE, "days", "days must be a whole "
		    "number from 1 to %d", OPS_MODEL_MAX_USAGE_DAYS);
	snprintf(days, sizeof(days), "%lld", req->days != 0 ? req->days :
	    OPS_MODEL_USAGE_DAYS);
	params[0] = days;
	return ops_list(o, &q, &req->page, params, out);
}
