/*
 * fx.c - setting and listing exchange rates (ops/fx.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "base/err.h"
#include "base/money.h"
#include "base/period.h"
#include "ops/fx.h"
#include "ops/ops.h"
#include "pg/audit.h"
#include "pg/db.h"

/* The columns a rate is shown with, everywhere. */
#define FX_COLS \
    "r.id, r.from_currency::text AS \"from\", r.to_currency::text AS \"to\"," \
    " trim_scale(r.rate)::text AS rate, r.valid_from::text AS valid_from," \
    " r.created_at, r.created_by"

int
ops_fx_rate_valid(const char *s)
{
	int ints = 0, fracs = 0;
	bool point = false, nonzero = false;

	if (s == NULL || *s == '\0')
		return -1;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '.') {
			if (point)
				return -1;
			point = true;
			continue;
		}
		if (*p < '0' || *p > '9')
			return -1;
		if (*p != '0')
			nonzero = true;
		if (point)
			fracs++;
		else
			ints++;
	}
	if (ints == 0 || (point && fracs == 0) || ints > OPS_FX_RATE_MAX_INT ||
	    fracs > OPS_FX_RATE_MAX_FRAC || !nonzero)
		return -1;
	return 0;
}

static int
currency_arg(struct ops *o, const char *field, const char *in, char out[4])
{
	if (in == NULL || in[0] == '\0')
		return ops_fail(o, TALLY_EUSAGE, field, "%s: a currency is "
		    "required (an ISO 4217 code such as EUR)", field);
	if (money_currency_normalize(in, out) != 0 || !money_currency_valid(out))
		return ops_fail(o, TALLY_EUSAGE, field, "%s: not an ISO 4217 "
		    "currency code: '%s'", field, in);
	return 0;
}

struct set_arg {
	const struct ops_fx_set_req *rq;
	char from[4], to[4];
};

static int
set_fn(struct ops *o, void *p, json_t **out)
{
	struct set_arg *a = p;
	PGresult *prev = NULL, *row = NULL;
	const char *params[5];
	char id[24], *before = NULL, *after = NULL;
	json_t *b = NULL, *b2;
	int rc;

	params[0] = a->from;
	params[1] = a->to;
	params[2] = a->rq->valid_from;
	/* what was in force for the pair on that day, as the audit's before */
	rc = db_query(o->db, &prev, "SELECT " FX_COLS " FROM fx_rates r"
	    " WHERE r.from_currency = $1 AND r.to_currency = $2"
	    " AND r.valid_from <= $3::date"
	    " ORDER BY r.valid_from DESC, r.created_at DESC, r.id DESC LIMIT 1",
	    3, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "looking up the rate in force");
	params[3] = a->rq->rate;
	params[4] = audit_actor(o->actor);
	rc = db_query(o->db, &row, "INSERT INTO fx_rates AS r (from_currency,"
	    " to_currency, rate, valid_from, created_by)"
	    " VALUES ($1, $2, $4::numeric, $3::date, $5)"
	    " RETURNING " FX_COLS, 5, params);
	if (rc != 0) {
		rc = ops_db_fail(o, rc, "recording the rate");
		goto out;
	}
	if (PQntuples(prev) > 0)
		b = ops_row_json(prev, 0);
	before = b != NULL ? json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	b2 = ops_row_json(row, 0);
	after = json_dumps(b2, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(b2);
	if (after == NULL)
		abort();	/* jansson fails only when out of memory */
	snprintf(id, sizeof(id), "%s/%s", a->from, a->to);
	rc = ops_audit(o, "fx.set", "fx_rate", id, a->rq->reason, before, after);
	if (rc == 0) {
		*out = ops_change_json(o, row, 0, 0);
		/* the same day set again: the new row replaces that one */
		json_object_set_new(*out, "replaces", b != NULL &&
		    strcmp(PQgetvalue(prev, 0, 4), a->rq->valid_from) == 0 ?
		    json_string(PQgetvalue(prev, 0, 3)) : json_null());
	}
out:
	free(before);
	free(after);
	json_decref(b);
	PQclear(prev);
	PQclear(row);
	return rc;
}

int
ops_fx_set(struct ops *o, const struct ops_fx_set_req *rq, json_t **out)
{
	struct set_arg a;
	struct period_date d;
	int rc;

	*out = NULL;
	ops_reset(o);
	memset(&a, 0, sizeof(a));
	a.rq = rq;
	if ((rc = currency_arg(o, "from", rq->from, a.from)) != 0 ||
	    (rc = currency_arg(o, "to", rq->to, a.to)) != 0)
		return rc;
	if (strcmp(a.from, a.to) == 0)
		return ops_fail(o, TALLY_EUSAGE, "to", "from and to are the "
		    "same currency (%s): its rate is always 1", a.from);
	if (ops_fx_rate_valid(rq->rate) != 0)
		return ops_fail(o, TALLY_EUSAGE, "rate", "rate: want a positive "
		    "decimal such as 1.08 (at most %d digits before the point "
		    "and %d after), not '%s'", OPS_FX_RATE_MAX_INT,
		    OPS_FX_RATE_MAX_FRAC, rq->rate != NULL ? rq->rate : "");
	if (period_parse_date(rq->valid_from, &d) != 0)
		return ops_fail(o, TALLY_EUSAGE, "valid_from", "valid_from: want "
		    "a date YYYY-MM-DD, not '%s'",
		    rq->valid_from != NULL ? rq->valid_from : "");
	return ops_change(o, set_fn, &a, out);
}

#define FX_FILTER \
    " FROM fx_rates r" \
    " WHERE ($1::text IS NULL OR r.from_currency = $1)" \
    " AND ($2::text IS NULL OR r.to_currency = $2)"

static const struct ops_list_sql list_sql = {
	"listing exchange rates",
	"SELECT count(*)" FX_FILTER,
	"SELECT " FX_COLS ","
	" NOT EXISTS (SELECT 1 FROM fx_rates n"
	"  WHERE n.from_currency = r.from_currency"
	"  AND n.to_currency = r.to_currency AND n.valid_from = r.valid_from"
	"  AND (n.created_at, n.id) > (r.created_at, r.id)) AS in_force"
	FX_FILTER
	" ORDER BY r.from_currency, r.to_currency, r.valid_from DESC,"
	" r.created_at DESC, r.id DESC" OPS_LIMIT_OFFSET(3, 4), 2
};

int
ops_fx_list(struct ops *o, const struct ops_fx_list_req *rq, json_t **out)
{
	const char *params[2] = { NULL, NULL };
	char from[4], to[4];
	int rc;

	*out = NULL;
	ops_reset(o);
	if (rq->from != NULL) {
		if ((rc = currency_arg(o, "from", rq->from, from)) != 0)
			return rc;
		params[0] = from;
	}
	if (rq->to != NULL) {
		if ((rc = currency_arg(o, "to", rq->to, to)) != 0)
			return rc;
		params[1] = to;
	}
	return ops_list(o, &list_sql, &rq->page, params, out);
}
