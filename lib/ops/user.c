/*
 * user.c - app users: credit adjustments and the list.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "ops/user.h"
#include "pg/query.h"

#define CREDIT_NCOLS 8

/*
 * An app user by id (id != 0), else by external id, else by email
 * (refused when two share it), else, for digits, by id: locked, so
 * concurrent changes of one user follow one another (and the balances
 * written to the audit log do too).
 */
static int
find_user(struct ops *o, long long id, const char *spec, char *out,
    size_t outsz)
{
	const char *params[1] = { spec };
	PGresult *res = NULL;
	char idbuf[24];
	int rc;

	if (id != 0) {
		snprintf(idbuf, sizeof(idbuf), "%lld", id);
		params[0] = idbuf;
		rc = db_query(o->db, &res, "SELECT id FROM app_users WHERE id = $1"
		    " FOR NO KEY UPDATE", 1, params);
	} else {
		rc = db_query(o->db, &res, "SELECT id FROM app_users"
		    " WHERE external_id = $1 FOR NO KEY UPDATE", 1, params);
	}
	if (rc == 0 && PQntuples(res) == 0 && id == 0) {
		PQclear(res);
		rc = db_query(o->db, &res, "SELECT id FROM app_users"
		    " WHERE lower(email) = lower($1) ORDER BY id FOR NO KEY UPDATE",
		    1, params);
	}
	if (rc == 0 && PQntuples(res) == 0 && id == 0 && ops_is_digits(spec) &&
	    strlen(spec) <= 18) {
		PQclear(res);
		rc = db_query(o->db, &res, "SELECT id FROM app_users"
		    " WHERE id = $1::bigint FOR NO KEY UPDATE", 1, params);
	}
	if (rc != 0)
		return ops_db_fail(o, rc, "looking up the user");
	if (PQntuples(res) == 0 && id != 0)
		rc = ops_fail(o, TALLY_ENOTFOUND, "id", "no user %lld", id);
	else if (PQntuples(res) == 0)
		rc = ops_fail(o, TALLY_ENOTFOUND, "user", "no user '%s' (by "
		    "external id, email or id)", spec);
	else if (PQntuples(res) > 1)
		rc = ops_fail(o, TALLY_EREFUSED, "user", "%d users have email '%s'; "
		    "name one by its external id (tallyctl user list --search)",
		    PQntuples(res), spec);
	else
		snprintf(out, outsz, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

/* The user named by id or spec: required, for the message. */
static int
user_named(struct ops *o, long long id, const char *spec)
{
	if (id < 0 || (id == 0 && (spec == NULL || spec[0] == '\0')))
		return ops_fail(o, TALLY_EUSAGE, "user", "user is required: an "
		    "id, an external id or an email");
	return 0;
}

struct credit_arg {
	const struct ops_user_credit_req *req;
	char delta[24];
};

/* The same request id again: done already when identical (*replay). */
static int
check_replay(struct ops *o, const struct credit_arg *a,
    const char *const *params, bool *replay)
{
	PGresult *old = NULL;
	bool same;
	int rc;

	*replay = false;
	rc = db_query(o->db, &old, "SELECT user_id::text = $1 AND delta = $2::bigint"
	    " FROM credit_ledger WHERE kind = 'ADJUSTMENT' AND ref = $3",
	    3, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "looking up the request id");
	if (PQntuples(old) == 1) {
		same = strcmp(PQgetvalue(old, 0, 0), "t") == 0;
		if (!same)
			rc = ops_fail(o, TALLY_EREFUSED, "request_id", "request id "
			    "'%s' was already used for another adjustment",
			    a->req->request_id);
		*replay = same;
	}
	PQclear(old);
	return rc;
}

static int
credit_fn(struct ops *o, void *p, json_t **out)
{
	struct credit_arg *a = p;
	const char *params[4];
	PGresult *res = NULL;
	bool replay = false;
	char uid[24];
	int rc;

	if ((rc = find_user(o, a->req->id, a->req->user, uid,
	    sizeof(uid))) != 0)
		return rc;
	params[0] = uid;
	params[1] = a->delta;
	params[2] = a->req->request_id;
	params[3] = a->req->reason;
	if (a->req->request_id != NULL &&
	    (rc = check_replay(o, a, params, &replay)) != 0)
		return rc;
	if (replay) {
		*out = json_pack("{s:n, s:[], s:b, s:b}", "item", "columns",
		    "replay", true, "dry_run", o->dry_run);
		return 0;
	}
	rc = db_query(o->db, &res, query_sql("ops/user_credit"), 4, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "writing the credit ledger");
	rc = ops_audit_change(o, "user.credit", "user", uid, a->req->reason,
	    res, 0, CREDIT_NCOLS);
	if (rc == 0) {
		*out = ops_change_json(o, res, 0, CREDIT_NCOLS);
		json_object_set_new(*out, "replay", json_false());
	}
	PQclear(res);
	return rc;
}

int
ops_user_credit(struct ops *o, const struct ops_user_credit_req *req,
    json_t **out)
{
	struct credit_arg a = { .req = req };

	*out = NULL;
	ops_reset(o);
	if (user_named(o, req->id, req->user) != 0)
		return TALLY_EUSAGE;
	if (req->delta == 0 || req->delta < -OPS_USER_MAX_DELTA ||
	    req->delta > OPS_USER_MAX_DELTA)
		return ops_fail(o, TALLY_EUSAGE, "delta", "delta must be a whole "
		    "number other than 0, at most %lld either way (negative takes "
		    "credits away)", OPS_USER_MAX_DELTA);
	if (req->reason == NULL || req->reason[0] == '\0')
		return ops_fail(o, TALLY_EUSAGE, "reason", "reason is required");
	if (req->request_id != NULL && (req->request_id[0] == '\0' ||
	    strlen(req->request_id) > 200))
		return ops_fail(o, TALLY_EUSAGE, "request_id", "request_id: 1 to "
		    "200 characters");
	snprintf(a.delta, sizeof(a.delta), "%lld", req->delta);
	return ops_change(o, credit_fn, &a, out);
}

/* --- status -------------------------------------------------------------- */

#define STATUS_NCOLS 6

struct status_arg {
	const struct ops_user_status_req *req;
};

static int
status_fn(struct ops *o, void *p, json_t **out)
{
	const struct ops_user_status_req *req = ((struct status_arg *)p)->req;
	const char *params[3];
	PGresult *res = NULL;
	char uid[24];
	int rc;

	if ((rc = find_user(o, req->id, req->user, uid, sizeof(uid))) != 0)
		return rc;
	params[0] = uid;
	params[1] = req->status;
	params[2] = req->reason;
	rc = db_query(o->db, &res, query_sql("ops/user_status"), 3, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "writing the user's status");
	if (PQntuples(res) == 0)
		rc = ops_fail(o, TALLY_EREFUSED, "status", "status: user %s is "
		    "%s already", uid, req->status);
	else
		rc = ops_audited(o, "user.status", "user", uid, req->reason, res,
		    STATUS_NCOLS, out);
	PQclear(res);
	return rc;
}

int
ops_user_status(struct ops *o, const struct ops_user_status_req *req,
    json_t **out)
{
	static const char *const statuses[] = { "active", "suspended", NULL };
	struct status_arg a = { .req = req };

	*out = NULL;
	ops_reset(o);
	if (user_named(o, req->id, req->user) != 0)
		return TALLY_EUSAGE;
	if (ops_choice_check(o, "status", req->status, true, statuses) != 0)
		return TALLY_EUSAGE;
	if (req->reason == NULL || req->reason[0] == '\0')
		return ops_fail(o, TALLY_EUSAGE, "reason", "reason is required");
	if (strlen(req->reason) > OPS_USER_REASON_MAX)
		return ops_fail(o, TALLY_EUSAGE, "reason", "reason: at most %d "
		    "bytes", OPS_USER_REASON_MAX);
	return ops_change(o, status_fn, &a, out);
}

/* --- show ---------------------------------------------------------------- */

static int
show_fn(struct ops *o, void *p, json_t **out)
{
	const long long *id = p;
	const char *params[1];
	PGresult *res = NULL, *led = NULL;
	char idbuf[24];
	int rc;

	snprintf(idbuf, sizeof(idbuf), "%lld", *id);
	params[0] = idbuf;
	rc = db_query(o->db, &res, query_sql("ops/user_show"), 1, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "looking up the user");
	if (PQntuples(res) == 0) {
		rc = ops_fail(o, TALLY_ENOTFOUND, "id", "no user %lld", *id);
		goto out;
	}
	rc = db_query(o->db, &led,
	    "SELECT l.id, l.created_at, l.kind, l.delta, l.ref, l.reason"
	    " FROM credit_ledger l WHERE l.user_id = $1"
	    " ORDER BY l.created_at DESC, l.id DESC LIMIT 50", 1, params);
	if (rc != 0) {
		rc = ops_db_fail(o, rc, "listing the user's credits");
		goto out;
	}
	*out = ops_item_json(res, 0, 0);
	json_object_set_new(*out, "ledger", ops_items_json(led, 0));
out:
	PQclear(res);
	PQclear(led);
	return rc;
}

int
ops_user_show(struct ops *o, long long id, json_t **out)
{
	*out = NULL;
	ops_reset(o);
	if (id < 1)
		return ops_fail(o, TALLY_EUSAGE, "id", "id must be a user's id");
	/* one snapshot: the balance and the ledger agree */
	return ops_look(o, show_fn, &id, out);
}

/* --- list ----------------------------------------------------------------- */

#define USER_FILTER \
	" FROM app_users u" \
	" WHERE $1::text IS NULL OR strpos(lower(u.external_id), lower($1)) > 0" \
	"    OR strpos(lower(coalesce(u.email, '')), lower($1)) > 0"
#define USER_ROWS(order) \
	"SELECT u.id, u.external_id, u.email," \
	" (SELECT coalesce(sum(l.delta), 0) FROM credit_ledger l" \
	"  WHERE l.user_id = u.id)::bigint AS balance," \
	" u.registered_at, u.last_login_at, u.status" USER_FILTER \
	" ORDER BY " order "u.id" OPS_LIMIT_OFFSET(2, 3)
#define USER_LIST(order) \
	{ "listing users", "SELECT count(*)" USER_FILTER, USER_ROWS(order), 1 }

/* One fixed statement per sort and direction: the request picks one,
 * never text of its own. */
static const struct {
	const char *sort;
	struct ops_list_sql asc, desc;
} user_sorts[] = {
	{ "email", USER_LIST("u.email NULLS LAST, "),
	  USER_LIST("u.email DESC NULLS LAST, ") },
	{ "registered", USER_LIST("u.registered_at NULLS LAST, "),
	  USER_LIST("u.registered_at DESC NULLS LAST, ") },
	{ "balance", USER_LIST("balance NULLS LAST, "),
	  USER_LIST("balance DESC NULLS LAST, ") },
	{ "last_login", USER_LIST("u.last_login_at NULLS LAST, "),
	  USER_LIST("u.last_login_at DESC NULLS LAST, ") },
};
static const struct ops_list_sql user_by_id = USER_LIST("");

int
ops_user_list(struct ops *o, const struct ops_user_list_req *req,
    json_t **out)
{
	static const char *const orders[] = { "asc", "desc", NULL };
	const struct ops_list_sql *q = &user_by_id;
	const char *params[1] = { req->search };
	bool desc;
	size_t i;

	*out = NULL;
	ops_reset(o);
	if (ops_choice_check(o, "order", req->order, false, orders) != 0)
		return TALLY_EUSAGE;
	if (req->sort != NULL) {
		for (i = 0; i < sizeof(user_sorts) / sizeof(user_sorts[0]); i++)
			if (strcmp(req->sort, user_sorts[i].sort) == 0)
				break;
		if (i == sizeof(user_sorts) / sizeof(user_sorts[0]))
			return ops_fail(o, TALLY_EUSAGE, "sort", "sort must be "
			    "email, registered, balance or last_login");
		/* newest and highest first, names from A */
		desc = req->order != NULL ? strcmp(req->order, "desc") == 0 :
		    strcmp(req->sort, "email") != 0;
		q = desc ? &user_sorts[i].desc : &user_sorts[i].asc;
	}
	return ops_list(o, q, &req->page, params, out);
}
