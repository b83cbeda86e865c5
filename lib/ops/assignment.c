/*
 * assignment.c - seats by hand (see ops/assignment.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/period.h"
#include "books/seats.h"
#include "ops/account.h"
#include "ops/assignment.h"

#define ASSIGNMENT_COLS \
	"s.id, a.email AS account, cu.email AS customer, s.order_id, s.status," \
	" s.starts_at, s.ends_at, s.ended_at, s.reason"
#define ASSIGNMENT_FROM \
	" FROM assignments s JOIN pool_accounts a ON a.id = s.account_id" \
	" JOIN customers cu ON cu.id = s.customer_id"
#define ASSIGNMENT_NCOLS 9

/* The display columns of the row an UPDATE ... RETURNING just wrote. */
#define ASSIGNMENT_RETURNING \
	" RETURNING s.id," \
	" (SELECT email FROM pool_accounts WHERE id = s.account_id) AS account," \
	" (SELECT email FROM customers WHERE id = s.customer_id) AS customer," \
	" s.order_id, s.status, s.starts_at, s.ends_at, s.ended_at, s.reason," \
	" to_jsonb(old) AS before, to_jsonb(s) AS after"

static void
ll_text(char buf[24], long long v)
{
	snprintf(buf, 24, "%lld", v);
}

/* --- list ----------------------------------------------------------------- */

#define LIST_FILTER \
	ASSIGNMENT_FROM \
	" WHERE ($1::text IS NULL OR s.status = $1)" \
	"   AND ($2::integer IS NULL OR (s.status = 'ACTIVE' AND s.ends_at <=" \
	"        coalesce($5::timestamptz, now()) + make_interval(days => $2::integer)))" \
	"   AND ($3::text IS NULL OR lower(cu.email) = lower($3))" \
	"   AND ($4::bigint IS NULL OR s.account_id = $4::bigint)"

static const struct ops_list_sql list_sql = {
	"listing assignments",
	"SELECT count(*)" LIST_FILTER,
	"SELECT " ASSIGNMENT_COLS LIST_FILTER
	" ORDER BY CASE WHEN $2::integer IS NOT NULL THEN s.ends_at END, s.id"
	OPS_LIMIT_OFFSET(6, 7), 5
};

struct list_arg {
	const struct ops_assignment_list_req *req;
	const char **params;
};

static int
list_fn(struct ops *o, void *p, json_t **out)
{
	struct list_arg *a = p;
	char accbuf[24];
	long long acc;
	int rc;

	a->params[3] = NULL;
	if (a->req->account != NULL) {
		rc = ops_account_find(o, a->req->account, "account", false, &acc,
		    NULL);
		if (rc != 0)
			return rc;
		ll_text(accbuf, acc);
		a->params[3] = accbuf;
	}
	return ops_list_page(o, &list_sql, &a->req->page, a->params, out);
}

int
ops_assignment_list(struct ops *o, const struct ops_assignment_list_req *req,
    json_t **out)
{
	static const char *const statuses[] = { "ACTIVE", "EXPIRED", "REVOKED",
	    NULL };
	const char *params[5];
	struct list_arg a = { req, params };
	char st[16], days[24], lim[24], off[24], as_of[PERIOD_ISO_MAX];
	struct period_instant t;
	int rc;

	*out = NULL;
	ops_reset(o);
	params[0] = ops_upper(st, sizeof(st), req->status);
	if ((rc = ops_choice_check(o, "status", params[0], false,
	    statuses)) != 0)
		return rc;
	if (req->ending_soon && (req->days < 0 ||
	    req->days > OPS_ASSIGNMENT_MAX_DAYS))
		return ops_fail(o, TALLY_EUSAGE, "days", "days must be a whole "
		    "number from 0 to %d", OPS_ASSIGNMENT_MAX_DAYS);
	if ((rc = ops_page_params(o, &req->page, lim, off)) != 0)
		return rc;
	ll_text(days, req->days);
	params[1] = req->ending_soon ? days : NULL;
	params[2] = req->customer;
	params[4] = NULL;
	/* the one instant grammar of every --as-of (lib/base/period.h), a
	 * local time in the configured zone; PostgreSQL gets UTC */
	if (req->as_of != NULL) {
		if (period_parse_instant_us(req->as_of, ops_zone(o), &t) != 0)
			return ops_fail(o, TALLY_EUSAGE, "as_of", "as_of: not a "
			    "date or time: '%s' (2026-11-17, 2026-11-17T10:00, "
			    "2026-11-17T09:00:00.25Z)", req->as_of);
		period_format_utc_us(t, as_of);
		params[4] = as_of;
	}
	return ops_look(o, list_fn, &a, out);
}

/* --- assign --------------------------------------------------------------- */

struct assign_arg {
	const struct ops_assignment_req *req;
	const char *customer;	/* the email the seat goes to */
	char *order_customer;	/* the order's customer's, when not given */
	long long days;
	bool new_customer;
};

/*
 * The customer by email; created when new (a manual sale has no order).
 * Two statements: after ON CONFLICT waited for a concurrent insert of the
 * same email, only a new statement's snapshot sees that row.
 */
static int
customer_id(struct ops *o, struct assign_arg *a, long long *id)
{
	const char *params[1] = { a->customer };
	PGresult *res = NULL;
	int rc;

	rc = db_query(o->db, &res, "INSERT INTO customers (email) VALUES ($1)"
	    " ON CONFLICT ((lower(email))) DO NOTHING RETURNING id", 1, params);
	if (rc == 0 && PQntuples(res) == 0) {
		PQclear(res);
		rc = db_query(o->db, &res, "SELECT id FROM customers"
		    " WHERE lower(email) = lower($1)", 1, params);
		a->new_customer = false;
	} else if (rc == 0) {
		a->new_customer = true;
	}
	if (rc != 0)
		return ops_db_fail(o, rc, "finding the customer");
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ops_fail(o, TALLY_ERETRY, NULL, "customer %s vanished",
		    a->customer);
	}
	*id = db_value_ll(res, 0, 0, 0);
	PQclear(res);
	return 0;
}

/*
 * What the order says: its customer (the seat is theirs) and its plan's
 * days, for what the request leaves out.  seats_assign() checks the order
 * again under its lock.
 */
static int
from_order(struct ops *o, struct assign_arg *a)
{
	const struct ops_assignment_req *req = a->req;
	const char *params[1];
	PGresult *res = NULL;
	const char *email, *days;
	char buf[24];
	int rc;

	ll_text(buf, req->order_id);
	params[0] = buf;
	rc = db_query(o->db, &res, "SELECT c.email, p.duration_days, p.kind"
	    " FROM orders o LEFT JOIN customers c ON c.id = o.customer_id"
	    " LEFT JOIN products p ON p.id = o.product_id WHERE o.id = $1",
	    1, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "reading the order");
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ops_fail(o, TALLY_ENOTFOUND, "order_id", "no order %lld",
		    req->order_id);
	}
	email = db_value(res, 0, 0);
	days = db_value(res, 0, 1);
	if (req->customer != NULL && email != NULL &&
	    strcasecmp(req->customer, email) != 0)
		rc = ops_fail(o, TALLY_EREFUSED, "customer", "order %lld was paid "
		    "by %s, not %s: its seat is theirs", req->order_id, email,
		    req->customer);
	else if (req->customer == NULL && email == NULL)
		rc = ops_fail(o, TALLY_EUSAGE, "customer", "order %lld names no "
		    "customer: give customer", req->order_id);
	else if (a->days == 0 && days == NULL)
		rc = ops_fail(o, TALLY_EREFUSED, "order_id", "order %lld is not "
		    "for a seat plan", req->order_id);
	if (rc == 0 && req->customer == NULL) {
		free(a->order_customer);
		a->order_customer = xstrdup(email);
		a->customer = a->order_customer;
	}
	if (rc == 0 && a->days == 0)
		a->days = strtoll(days, NULL, 10);
	PQclear(res);
	return rc;
}

/* Say in the admin's terms why seats_assign() refused. */
static int
explain_refusal(struct ops *o, const struct ops_assignment_req *req,
    long long account_id)
{
	const char *params[1];
	char buf[24];
	PGresult *res = NULL;
	int rc;

	if (req->order_id != 0) {
		ll_text(buf, req->order_id);
		params[0] = buf;
		rc = db_query(o->db, &res, "SELECT p.kind FROM orders o"
		    " LEFT JOIN products p ON p.id = o.product_id WHERE o.id = $1",
		    1, params);
		if (rc == 0 && PQntuples(res) == 1 && db_value(res, 0, 0) != NULL &&
		    strcmp(PQgetvalue(res, 0, 0), "SEAT") != 0) {
			PQclear(res);
			return ops_fail(o, TALLY_EREFUSED, "order_id", "order %lld "
			    "is not for a seat plan", req->order_id);
		}
		PQclear(res);
	}
	/* a full pool or account clashes with what is there (ECONFLICT);
	 * a suspended one is refused by a rule (EREFUSED) */
	if (account_id == 0)
		return ops_fail(o, TALLY_ECONFLICT, NULL, "no account in the pool "
		    "has a free seat (tallyctl account list --status AVAILABLE)");
	ll_text(buf, account_id);
	params[0] = buf;
	rc = db_query(o->db, &res, "SELECT email, status, current_seats_used,"
	    " coalesce(max_seats, 1) FROM pool_accounts WHERE id = $1", 1, params);
	if (rc != 0 || PQntuples(res) != 1) {
		PQclear(res);
		return ops_fail(o, TALLY_ECONFLICT, "account", "account %lld has no "
		    "free seat", account_id);
	}
	if (strcmp(PQgetvalue(res, 0, 1), "SUSPENDED") == 0)
		rc = ops_fail(o, TALLY_EREFUSED, "account", "account %lld (%s) is "
		    "suspended: it gets no new assignments", account_id,
		    PQgetvalue(res, 0, 0));
	else
		rc = ops_fail(o, TALLY_ECONFLICT, "account", "account %lld (%s) is "
		    "full: %s of %s seats in use", account_id, PQgetvalue(res, 0, 0),
		    PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3));
	PQclear(res);
	return rc;
}

static int
seat_error(struct ops *o, const struct ops_assignment_req *req, int rc,
    long long acc)
{
	switch (rc) {
	case TALLY_EREFUSED:
		return explain_refusal(o, req, acc);
	case TALLY_ENOTFOUND:
		return ops_fail(o, rc, "order_id", "no order %lld", req->order_id);
	case TALLY_ECONFLICT:
		return ops_fail(o, TALLY_EREFUSED, "order_id", "order %lld is "
		    "already fulfilled", req->order_id);
	case TALLY_EDATA:
		return ops_fail(o, rc, "starts", "starts is not a timestamp: '%s'",
		    req->starts != NULL ? req->starts : "");
	default:
		return ops_db_fail(o, rc, "assigning the seat");
	}
}

static int
assign_fn(struct ops *o, void *p, json_t **out)
{
	struct assign_arg *a = p;
	const struct ops_assignment_req *req = a->req;
	long long acc = 0, cust = 0, id = 0;
	const char *params[1];
	PGresult *res = NULL;
	char idbuf[24];
	int rc;

	a->customer = req->customer;
	a->days = req->days;
	if (req->order_id != 0 && (rc = from_order(o, a)) != 0)
		return rc;
	if (req->account != NULL && strcmp(req->account, "auto") != 0 &&
	    (rc = ops_account_find(o, req->account, "account", false, &acc,
	    NULL)) != 0)
		return rc;
	if ((rc = customer_id(o, a, &cust)) != 0)
		return rc;
	rc = seats_assign(o->db, acc, cust, req->order_id, req->starts,
	    (int)a->days, &id);
	if (rc != 0)
		return seat_error(o, req, rc, acc);
	ll_text(idbuf, id);
	params[0] = idbuf;
	rc = db_query(o->db, &res, "SELECT " ASSIGNMENT_COLS ","
	    " to_jsonb(s) || jsonb_build_object('account_email', a.email,"
	    "  'customer_email', cu.email) AS after"
	    ASSIGNMENT_FROM " WHERE s.id = $1", 1, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "reading the new assignment");
	if (PQntuples(res) != 1)
		rc = ops_fail(o, TALLY_EINTERNAL, NULL, "assignment %s vanished",
		    idbuf);
	else
		rc = ops_audit_new(o, "assignment.assign", "assignment", idbuf,
		    req->reason, res, 0, ASSIGNMENT_NCOLS);
	if (rc == 0) {
		*out = ops_change_json(o, res, 0, ASSIGNMENT_NCOLS);
		json_object_set_new(*out, "new_customer",
		    json_boolean(a->new_customer));
	}
	PQclear(res);
	return rc;
}

int
ops_assignment_assign(struct ops *o, const struct ops_assignment_req *req,
    json_t **out)
{
	struct assign_arg a = { .req = req };
	const char *why;
	int rc;

	*out = NULL;
	ops_reset(o);
	if (req->customer != NULL &&
	    (why = ops_email_problem(req->customer)) != NULL)
		return ops_fail(o, TALLY_EUSAGE, "customer", "customer '%s' %s",
		    req->customer, why);
	if (req->order_id < 0)
		return ops_fail(o, TALLY_EUSAGE, "order_id", "order_id must be a "
		    "whole number from 1");
	if (req->order_id == 0 && (req->customer == NULL || req->days == 0))
		return ops_fail(o, TALLY_EUSAGE, req->customer == NULL ?
		    "customer" : "days", "customer and days are required, or an "
		    "order to take them from");
	if (req->days < 0 || req->days > OPS_ASSIGNMENT_MAX_DAYS)
		return ops_fail(o, TALLY_EUSAGE, "days", "days must be a whole "
		    "number from 1 to %d", OPS_ASSIGNMENT_MAX_DAYS);
	rc = ops_change(o, assign_fn, &a, out);
	free(a.order_customer);
	return rc;
}

/* --- extend, revoke, release ---------------------------------------------- */

enum change_kind { CHANGE_EXTEND, CHANGE_REVOKE, CHANGE_RELEASE };

struct change_arg {
	const struct ops_assignment_req *req;
	enum change_kind kind;
	const char *reason;
};

static const char *const change_action[] = {
	"assignment.extend", "assignment.revoke", "assignment.release"
};
static const char *const change_verb[] = { "extended", "revoked", "released" };

/* $1 id, $2 days (extend) or reason (revoke, release) */
static const char *const change_sql[] = {
	"WITH old AS (SELECT * FROM assignments WHERE id = $1 FOR NO KEY UPDATE)"
	" UPDATE assignments s SET ends_at = s.ends_at + make_interval(days => $2::integer),"
	" updated_at = now() FROM old WHERE s.id = old.id" ASSIGNMENT_RETURNING,
	"WITH old AS (SELECT * FROM assignments WHERE id = $1 FOR NO KEY UPDATE)"
	" UPDATE assignments s SET status = 'REVOKED', ended_at = now(), reason = $2,"
	" updated_at = now() FROM old WHERE s.id = old.id" ASSIGNMENT_RETURNING,
	/* ends_at stays the planned end (starts_at may be in the future, and
	 * ends_at > starts_at must hold); ended_at says when it really ended */
	"WITH old AS (SELECT * FROM assignments WHERE id = $1 FOR NO KEY UPDATE)"
	" UPDATE assignments s SET status = 'EXPIRED', ended_at = now(), reason = $2,"
	" updated_at = now() FROM old WHERE s.id = old.id" ASSIGNMENT_RETURNING,
};

/* The locked row must be ACTIVE (and, to extend, not past its end). */
static int
change_allowed(struct ops *o, const struct change_arg *a, const char *id,
    const PGresult *cur)
{
	const char *status = PQgetvalue(cur, 0, 0);

	if (strcmp(status, "ACTIVE") != 0) {
		if (a->kind == CHANGE_REVOKE && strcmp(status, "REVOKED") == 0)
			return ops_fail(o, TALLY_EREFUSED, NULL, "assignment %s was "
			    "already revoked at %s (%s)", id, PQgetvalue(cur, 0, 3),
			    PQgetvalue(cur, 0, 4));
		return ops_fail(o, TALLY_EREFUSED, NULL, "assignment %s is %s "
		    "since %s; only an ACTIVE assignment can be %s", id, status,
		    PQgetvalue(cur, 0, 3), change_verb[a->kind]);
	}
	if (a->kind == CHANGE_EXTEND && strcmp(PQgetvalue(cur, 0, 1), "t") == 0)
		return ops_fail(o, TALLY_EREFUSED, NULL, "assignment %s ended at %s "
		    "(tally-expire has not run since); an expired assignment "
		    "cannot be extended: assign a new seat", id,
		    PQgetvalue(cur, 0, 2));
	return 0;
}

static int
change_fn(struct ops *o, void *p, json_t **out)
{
	struct change_arg *a = p;
	char id[24], days[24];
	const char *params[2] = { id, NULL };
	PGresult *cur = NULL, *res = NULL;
	int rc;

	ll_text(id, a->req->id);
	ll_text(days, a->req->days);
	rc = db_query(o->db, &cur, "SELECT status, ends_at <= now(), ends_at,"
	    " ended_at, coalesce(reason, '') FROM assignments WHERE id = $1"
	    " FOR NO KEY UPDATE", 1, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "looking up the assignment");
	if (PQntuples(cur) == 0)
		rc = ops_fail(o, TALLY_ENOTFOUND, "id", "no assignment %s", id);
	else
		rc = change_allowed(o, a, id, cur);
	PQclear(cur);
	if (rc != 0)
		return rc;
	params[1] = a->kind == CHANGE_EXTEND ? days : a->reason;
	rc = db_query(o->db, &res, change_sql[a->kind], 2, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "changing the assignment");
	rc = ops_audited(o, change_action[a->kind], "assignment", id, a->reason,
	    res, ASSIGNMENT_NCOLS, out);
	PQclear(res);
	return rc;
}

static int
run_change(struct ops *o, const struct ops_assignment_req *req,
    enum change_kind kind, json_t **out)
{
	struct change_arg a = { req, kind, req->reason };
	int rc;

	*out = NULL;
	ops_reset(o);
	if ((rc = ops_id_check(o, req->id, "an assignment id")) != 0)
		return rc;
	if (kind == CHANGE_EXTEND && (req->days < 1 ||
	    req->days > OPS_ASSIGNMENT_MAX_DAYS))
		return ops_fail(o, TALLY_EUSAGE, "days", "days must be a whole "
		    "number from 1 to %d", OPS_ASSIGNMENT_MAX_DAYS);
	if (kind == CHANGE_REVOKE && (a.reason == NULL || a.reason[0] == '\0'))
		return ops_fail(o, TALLY_EUSAGE, "reason", "reason is required: "
		    "say why the seat is taken away");
	if (kind == CHANGE_RELEASE && (a.reason == NULL || a.reason[0] == '\0'))
		a.reason = "released early by an admin";
	return ops_change(o, change_fn, &a, out);
}

int
ops_assignment_extend(struct ops *o, const struct ops_assignment_req *req,
    json_t **out)
{
	return run_change(o, req, CHANGE_EXTEND, out);
}

int
ops_assignment_revoke(struct ops *o, const struct ops_assignment_req *req,
    json_t **out)
{
	return run_change(o, req, CHANGE_REVOKE, out);
}

int
ops_assignment_release(struct ops *o, const struct ops_assignment_req *req,
    json_t **out)
{
	return run_change(o, req, CHANGE_RELEASE, out);
}
