/*
 * case.c - reconcile cases: list, show, accept (see ops/case.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "base/err.h"
#include "base/period.h"
#include "ops/case.h"
#include "pg/audit.h"

/* The columns every answer has, in this order; age from now. */
#define CASE_COLS \
	"c.id, c.category, c.status, c.severity, c.keys::text AS keys," \
	" CASE WHEN c.currency IS NULL THEN c.amount_minor::numeric" \
	"      ELSE tally_major(c.amount_minor, c.currency) END AS amount," \
	" c.currency, c.occurred_at, c.first_seen, c.last_seen, c.occurrences," \
	" floor(extract(epoch FROM now() - coalesce(c.occurred_at, c.first_seen))" \
	"       / 86400)::integer AS age_days," \
	" c.accepted_until, c.accepted_by, c.accepted_note, c.closed_at"
#define CASE_NCOLS 16

#define CASE_FILTER \
	"  FROM reconcile_cases c" \
	"  JOIN reconcile_categories k ON k.category = c.category" \
	" WHERE ($1::text IS NULL OR c.status = $1)" \
	"   AND ($2::text IS NULL OR c.category = $2)" \
	"   AND ($3::text IS NULL OR c.severity = $3)"

static const struct ops_list_sql list_sql = {
	"listing cases",
	"SELECT count(*)" CASE_FILTER,
	"SELECT " CASE_COLS CASE_FILTER
	" ORDER BY c.status = 'CLOSED', k.sort,"
	"          tally_severity_rank(c.severity) DESC, c.id"
	OPS_LIMIT_OFFSET(4, 5), 3
};

struct list_arg {
	const struct ops_case_list_req *req;
	const char *const *params;
};

static int
list_fn(struct ops *o, void *p, json_t **out)
{
	struct list_arg *a = p;
	char *known = NULL;
	int rc;

	if (a->params[1] != NULL) {
		rc = db_query_value(o->db, &known, "SELECT count(*) FROM"
		    " reconcile_categories WHERE category = $1", 1, a->params + 1);
		if (rc != 0)
			return ops_db_fail(o, rc, "reading the categories");
		rc = strcmp(known, "0") == 0 ? ops_fail(o, TALLY_EUSAGE,
		    "category", "no category '%s' (see tallyctl case --help)",
		    a->req->category) : 0;
		free(known);
		if (rc != 0)
			return rc;
	}
	return ops_list_page(o, &list_sql, &a->req->page, a->params, out);
}

int
ops_case_list(struct ops *o, const struct ops_case_list_req *req,
    json_t **out)
{
	static const char *const statuses[] = { "OPEN", "ACCEPTED", "CLOSED",
	    NULL };
	static const char *const severities[] = { "info", "warning", "error",
	    NULL };
	const char *params[3];
	struct list_arg a = { req, params };
	char cat[48], st[16], lim[24], off[24];
	int rc;

	*out = NULL;
	ops_reset(o);
	if ((rc = ops_page_params(o, &req->page, lim, off)) != 0)
		return rc;
	params[0] = ops_upper(st, sizeof(st), req->status);
	if ((rc = ops_choice_check(o, "status", params[0], false,
	    statuses)) != 0)
		return rc;
	if (req->open && params[0] != NULL && strcmp(params[0], "OPEN") != 0)
		return ops_fail(o, TALLY_EUSAGE, "status", "status %s does not go "
		    "with open (only OPEN ones)", params[0]);
	if (req->open)
		params[0] = "OPEN";
	if ((rc = ops_choice_check(o, "severity", req->severity, false,
	    severities)) != 0)
		return rc;
	params[1] = ops_upper(cat, sizeof(cat), req->category);
	params[2] = req->severity;
	return ops_look(o, list_fn, &a, out);
}

/* The case, with details and its state as JSON (for the audit row). */
static int
find_case(struct ops *o, long long id, bool lock, PGresult **row)
{
	static const char *const sql[2] = {
		"SELECT " CASE_COLS ", c.details::text AS details,"
		" to_jsonb(c) AS state FROM reconcile_cases c WHERE c.id = $1",
		"SELECT " CASE_COLS ", c.details::text AS details,"
		" to_jsonb(c) AS state FROM reconcile_cases c WHERE c.id = $1"
		" FOR UPDATE",
	};
	const char *params[1];
	char idbuf[24];
	int rc;

	*row = NULL;
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	params[0] = idbuf;
	rc = db_query(o->db, row, sql[lock], 1, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "reading the case");
	if (PQntuples(*row) == 0) {
		PQclear(*row);
		*row = NULL;
		return ops_fail(o, TALLY_ENOTFOUND, "id", "no case %s", idbuf);
	}
	return 0;
}

struct case_arg {
	const struct ops_case_req *req;
	const char *until;	/* normalised */
};

static int
show_fn(struct ops *o, void *p, json_t **out)
{
	struct case_arg *a = p;
	PGresult *row = NULL;
	int rc;

	if ((rc = find_case(o, a->req->id, false, &row)) != 0)
		return rc;
	*out = ops_item_json(row, 0, CASE_NCOLS + 1);
	PQclear(row);
	return 0;
}

static int
check_id(struct ops *o, const struct ops_case_req *req)
{
	return ops_id_check(o, req->id, "a case id");
}

int
ops_case_show(struct ops *o, const struct ops_case_req *req, json_t **out)
{
	struct case_arg a = { req, NULL };
	int rc;

	*out = NULL;
	ops_reset(o);
	if ((rc = check_id(o, req)) != 0)
		return rc;
	return ops_look(o, show_fn, &a, out);
}

static int
accept_fn(struct ops *o, void *p, json_t **out)
{
	struct case_arg *a = p;
	PGresult *cur = NULL, *res = NULL;
	const char *params[4];
	int rc;

	if ((rc = find_case(o, a->req->id, true, &cur)) != 0)
		return rc;
	if (strcmp(PQgetvalue(cur, 0, 2), "CLOSED") == 0) {
		rc = ops_fail(o, TALLY_EREFUSED, NULL, "case %s is closed "
		    "(tally-reconcile no longer finds it): nothing to accept",
		    PQgetvalue(cur, 0, 0));
		goto out;
	}
	params[0] = PQgetvalue(cur, 0, 0);
	params[1] = audit_actor(o->actor);
	params[2] = a->req->note;
	params[3] = a->until;
	rc = db_query(o->db, &res,
	    "UPDATE reconcile_cases c SET status = 'ACCEPTED',"
	    "  accepted_at = now(), accepted_by = $2, accepted_note = $3,"
	    "  accepted_until = $4::date"
	    " WHERE c.id = $1::bigint"
	    " RETURNING " CASE_COLS ", to_jsonb(c) AS state", 4, params);
	if (rc != 0) {
		rc = ops_db_fail(o, rc, "accepting the case");
		goto out;
	}
	rc = ops_audit(o, "case.accept", "reconcile_case", PQgetvalue(cur, 0, 0),
	    a->req->note, PQgetvalue(cur, 0, CASE_NCOLS + 1),
	    PQgetvalue(res, 0, CASE_NCOLS));
	if (rc == 0)
		*out = ops_change_json(o, res, 0, CASE_NCOLS);
out:
	PQclear(cur);
	PQclear(res);
	return rc;
}

/* Today in the zone reconcile cuts dates in. */
static void
today(const struct ops *o, char out[16])
{
	const char *tz = o->cfg != NULL && o->cfg->tz != NULL &&
	    period_tz_valid(o->cfg->tz) ? o->cfg->tz : "UTC";
	struct period_date d;

	if (period_local_date(time(NULL), tz, &d) != 0 &&
	    period_local_date(time(NULL), "UTC", &d) != 0)
		d = period_from_days((long)(time(NULL) / 86400));
	snprintf(out, 16, "%04d-%02d-%02d", d.year % 10000, d.month, d.day);
}

int
ops_case_accept(struct ops *o, const struct ops_case_req *req, json_t **out)
{
	struct case_arg a = { req, NULL };
	struct period_date d;
	char now[16], until[16];
	int rc;

	*out = NULL;
	ops_reset(o);
	if ((rc = check_id(o, req)) != 0)
		return rc;
	if ((rc = ops_text_check(o, "note", req->note, OPS_CASE_NOTE_MAX,
	    "say why the case is fine")) != 0)
		return rc;
	if (req->until != NULL) {
		if (period_parse_date(req->until, &d) != 0)
			return ops_fail(o, TALLY_EUSAGE, "until", "until '%s' is not "
			    "a date (YYYY-MM-DD)", req->until);
		snprintf(until, sizeof(until), "%04d-%02d-%02d", d.year % 10000,
		    d.month, d.day);
		today(o, now);
		/* ISO dates compare as strings */
		if (strcmp(until, now) < 0)
			return ops_fail(o, TALLY_EUSAGE, "until", "until %s is in the "
			    "past (today is %s)", until, now);
		a.until = until;
	}
	return ops_change(o, accept_fn, &a, out);
}
