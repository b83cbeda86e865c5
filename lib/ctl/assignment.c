/*
 * ctl_assignment.c - seats by hand: list, assign, extend, revoke, release.
 *
 * Seats are counted by the assignments trigger (sql/001_core.sql): ending
 * an ACTIVE assignment frees its seat in the same statement.  A new seat
 * goes through seats_assign() (lib/books/seats.h), the policy tally-allocate
 * uses.  Only an ACTIVE assignment whose end is still ahead can be
 * extended, revoked or released; anything else is refused (exit 65), so
 * the outcome never depends on whether tally-expire has run yet.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl/account.h"
#include "ctl/assignment.h"
#include "ctl/ctlopt.h"
#include "base/err.h"
#include "base/log.h"
#include "books/seats.h"
#include "base/strbuf.h"

#define MAX_DAYS 36500		/* seats_assign()'s limit */

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

/* --- list ----------------------------------------------------------------- */

static int
assignment_list(struct ctl *c, int argc, char **argv)
{
	const char *status = NULL, *customer = NULL, *account = NULL, *as_of = NULL;
	long long soon = 0, limit = 1000;
	bool have_soon = false;
	const struct ctlopt opts[] = {
		{ "status", CTLOPT_STR, &status, 0, 0, NULL },
		{ "ending-soon", CTLOPT_INT, &soon, 0, MAX_DAYS, &have_soon },
		{ "customer", CTLOPT_STR, &customer, 0, 0, NULL },
		{ "account", CTLOPT_STR, &account, 0, 0, NULL },
		{ "as-of", CTLOPT_STR, &as_of, 0, 0, NULL },
		{ "limit", CTLOPT_INT, &limit, 0, 1000000000, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_END
	};
	const char *params[6];
	char st[16] = "", soonbuf[24], accbuf[24], lim[24];
	PGresult *res = NULL;
	long long acc_id;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if (status != NULL) {
		if (strcasecmp(status, "ACTIVE") != 0 &&
		    strcasecmp(status, "EXPIRED") != 0 &&
		    strcasecmp(status, "REVOKED") != 0)
			return ctlopt_usage_error(c, "--status must be ACTIVE, EXPIRED "
			    "or REVOKED");
		for (size_t i = 0; status[i] != '\0' && i + 1 < sizeof(st); i++)
			st[i] = (char)(status[i] >= 'a' && status[i] <= 'z' ?
			    status[i] - 'a' + 'A' : status[i]);
	}
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	params[3] = NULL;
	if (account != NULL) {
		if ((rc = ctl_account_find(c, account, false, &acc_id, NULL)) != 0)
			return rc;
		snprintf(accbuf, sizeof(accbuf), "%lld", acc_id);
		params[3] = accbuf;
	}
	snprintf(soonbuf, sizeof(soonbuf), "%lld", soon);
	snprintf(lim, sizeof(lim), "%lld", limit);
	params[0] = status != NULL ? st : NULL;
	params[1] = have_soon ? soonbuf : NULL;
	params[2] = customer;
	params[4] = as_of;
	params[5] = limit > 0 ? lim : NULL;
	rc = db_query(c->db, &res,
	    "SELECT " ASSIGNMENT_COLS ASSIGNMENT_FROM
	    " WHERE ($1::text IS NULL OR s.status = $1)"
	    "   AND ($2::integer IS NULL OR (s.status = 'ACTIVE' AND s.ends_at <="
	    "        coalesce($5::timestamptz, now()) + make_interval(days => $2::integer)))"
	    "   AND ($3::text IS NULL OR lower(cu.email) = lower($3))"
	    "   AND ($4::bigint IS NULL OR s.account_id = $4::bigint)"
	    " ORDER BY CASE WHEN $2::integer IS NOT NULL THEN s.ends_at END, s.id"
	    " LIMIT $6::bigint", 6, params);
	if (rc == TALLY_EDATA)
		return ctlopt_usage_error(c, "--as-of is not a timestamp: '%s'",
		    as_of != NULL ? as_of : "");
	if (rc != 0)
		return ctlopt_db_error(c, rc, "listing assignments");
	rc = ctlopt_print(c, res, 0);
	PQclear(res);
	return rc;
}

/* --- assign --------------------------------------------------------------- */

struct assign_arg {
	struct ctl *c;
	const char *account;	/* NULL: by policy */
	const char *customer;
	long long order_id;
	const char *starts;
	int days;
	const char *reason;
	PGresult *res;
	bool new_customer;
};

/*
 * The customer by email; created when new (a manual sale has no order).
 * Two statements: after ON CONFLICT waited for a concurrent insert of the
 * same email, only a new statement's snapshot sees that row.
 */
static int
customer_id(struct assign_arg *a, long long *id)
{
	const char *params[1] = { a->customer };
	PGresult *res = NULL;
	int rc;

	rc = db_query(a->c->db, &res, "INSERT INTO customers (email) VALUES ($1)"
	    " ON CONFLICT ((lower(email))) DO NOTHING RETURNING id", 1, params);
	if (rc == 0 && PQntuples(res) == 0) {
		PQclear(res);
		rc = db_query(a->c->db, &res, "SELECT id FROM customers"
		    " WHERE lower(email) = lower($1)", 1, params);
		a->new_customer = false;
	} else if (rc == 0) {
		a->new_customer = true;
	}
	if (rc != 0)
		return ctlopt_db_error(a->c, rc, "finding the customer");
	if (PQntuples(res) != 1) {
		PQclear(res);
		log_err("tallyctl assignment assign: customer %s vanished", a->customer);
		return TALLY_ERETRY;
	}
	*id = db_value_ll(res, 0, 0, 0);
	PQclear(res);
	return 0;
}

/* Say in the admin's terms why seats_assign() refused. */
static int
explain_refusal(struct assign_arg *a, long long account_id)
{
	struct ctl *c = a->c;
	const char *params[1];
	char buf[24];
	PGresult *res = NULL;
	int rc;

	if (a->order_id != 0) {
		snprintf(buf, sizeof(buf), "%lld", a->order_id);
		params[0] = buf;
		rc = db_query(c->db, &res, "SELECT p.kind FROM orders o"
		    " LEFT JOIN products p ON p.id = o.product_id WHERE o.id = $1",
		    1, params);
		if (rc == 0 && PQntuples(res) == 1 && db_value(res, 0, 0) != NULL &&
		    strcmp(PQgetvalue(res, 0, 0), "SEAT") != 0) {
			PQclear(res);
			return ctlopt_refuse(c, "order %lld is not for a seat plan",
			    a->order_id);
		}
		PQclear(res);
	}
	if (account_id == 0)
		return ctlopt_refuse(c, "no account in the pool has a free seat "
		    "(tallyctl account list --status AVAILABLE)");
	snprintf(buf, sizeof(buf), "%lld", account_id);
	params[0] = buf;
	rc = db_query(c->db, &res, "SELECT email, status, current_seats_used,"
	    " coalesce(max_seats, 1) FROM pool_accounts WHERE id = $1", 1, params);
	if (rc != 0 || PQntuples(res) != 1) {
		PQclear(res);
		return ctlopt_refuse(c, "account %lld has no free seat", account_id);
	}
	if (strcmp(PQgetvalue(res, 0, 1), "SUSPENDED") == 0)
		rc = ctlopt_refuse(c, "account %lld (%s) is suspended: it gets no "
		    "new assignments", account_id, PQgetvalue(res, 0, 0));
	else
		rc = ctlopt_refuse(c, "account %lld (%s) is full: %s of %s seats in "
		    "use", account_id, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 2),
		    PQgetvalue(res, 0, 3));
	PQclear(res);
	return rc;
}

static int
assign_tx(struct db *db, void *p)
{
	struct assign_arg *a = p;
	struct ctl *c = a->c;
	long long acc = 0, cust = 0, id = 0;
	const char *params[1];
	char idbuf[24];
	int rc;

	PQclear(a->res);
	a->res = NULL;
	if (a->account != NULL &&
	    (rc = ctl_account_find(c, a->account, false, &acc, NULL)) != 0)
		return rc;
	if ((rc = customer_id(a, &cust)) != 0)
		return rc;
	rc = seats_assign(db, acc, cust, a->order_id, a->starts, a->days, &id);
	switch (rc) {
	case 0:
		break;
	case TALLY_EREFUSED:
		return explain_refusal(a, acc);
	case TALLY_ENOTFOUND:
		log_err("tallyctl assignment assign: no order %lld", a->order_id);
		return rc;
	case TALLY_ECONFLICT:
		return ctlopt_refuse(c, "order %lld is already fulfilled",
		    a->order_id);
	case TALLY_EDATA:
		log_err("tallyctl assignment assign: --starts is not a timestamp: "
		    "'%s'", a->starts != NULL ? a->starts : "");
		return rc;
	default:
		return ctlopt_db_error(c, rc, "assigning the seat");
	}
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	params[0] = idbuf;
	rc = db_query(db, &a->res, "SELECT " ASSIGNMENT_COLS ","
	    " to_jsonb(s) || jsonb_build_object('account_email', a.email,"
	    "  'customer_email', cu.email) AS after"
	    ASSIGNMENT_FROM " WHERE s.id = $1", 1, params);
	if (rc != 0)
		return ctlopt_db_error(c, rc, "reading the new assignment");
	if (PQntuples(a->res) != 1)
		return TALLY_EINTERNAL;
	return ctlopt_audit(c, "assignment.assign", "assignment", idbuf, a->reason,
	    NULL, PQgetvalue(a->res, 0, ASSIGNMENT_NCOLS));
}

static int
assignment_assign(struct ctl *c, int argc, char **argv)
{
	struct assign_arg a = { .c = c };
	long long days = 0;
	bool have_days = false;
	const char *why;
	const struct ctlopt opts[] = {
		{ "account", CTLOPT_STR, &a.account, 0, 0, NULL },
		{ "customer", CTLOPT_STR, &a.customer, 0, 0, NULL },
		{ "days", CTLOPT_INT, &days, 1, MAX_DAYS, &have_days },
		{ "order", CTLOPT_INT, &a.order_id, 1, LLONG_MAX, NULL },
		{ "starts", CTLOPT_STR, &a.starts, 0, 0, NULL },
		{ "reason", CTLOPT_STR, &a.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if (a.customer == NULL || !have_days)
		return ctlopt_usage_error(c, "--customer EMAIL and --days N are "
		    "required");
	if ((why = ctl_account_email_problem(a.customer)) != NULL)
		return ctlopt_usage_error(c, "--customer '%s' %s", a.customer, why);
	if (a.account != NULL && strcmp(a.account, "auto") == 0)
		a.account = NULL;
	a.days = (int)days;
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	rc = ctlopt_mutate(c, assign_tx, &a);
	if (rc == 0) {
		if (a.new_customer)
			fprintf(stderr, "customer %s: new\n", a.customer);
		rc = ctlopt_print_record(c, a.res, 0, ASSIGNMENT_NCOLS);
	}
	PQclear(a.res);
	return rc;
}

/* --- extend, revoke, release ---------------------------------------------- */

enum change_kind { CHANGE_EXTEND, CHANGE_REVOKE, CHANGE_RELEASE };

struct change_arg {
	struct ctl *c;
	enum change_kind kind;
	const char *id;
	const char *days;
	const char *reason;
	PGresult *res;
};

static const char *const change_action[] = {
	"assignment.extend", "assignment.revoke", "assignment.release"
};
static const char *const change_verb[] = { "extended", "revoked", "released" };

/* $1 id, $2 days (extend) or reason (revoke, release) */
static const char *const change_sql[] = {
	"WITH old AS (SELECT * FROM assignments WHERE id = $1 FOR UPDATE)"
	" UPDATE assignments s SET ends_at = s.ends_at + make_interval(days => $2::integer),"
	" updated_at = now() FROM old WHERE s.id = old.id" ASSIGNMENT_RETURNING,
	"WITH old AS (SELECT * FROM assignments WHERE id = $1 FOR UPDATE)"
	" UPDATE assignments s SET status = 'REVOKED', ended_at = now(), reason = $2,"
	" updated_at = now() FROM old WHERE s.id = old.id" ASSIGNMENT_RETURNING,
	/* ends_at stays the planned end (starts_at may be in the future, and
	 * ends_at > starts_at must hold); ended_at says when it really ended */
	"WITH old AS (SELECT * FROM assignments WHERE id = $1 FOR UPDATE)"
	" UPDATE assignments s SET status = 'EXPIRED', ended_at = now(), reason = $2,"
	" updated_at = now() FROM old WHERE s.id = old.id" ASSIGNMENT_RETURNING,
};

static int
change_tx(struct db *db, void *p)
{
	struct change_arg *a = p;
	struct ctl *c = a->c;
	const char *params[2] = { a->id, NULL };
	PGresult *cur = NULL;
	const char *status;
	int rc;

	PQclear(a->res);
	a->res = NULL;
	rc = db_query(db, &cur, "SELECT status, ends_at <= now(), ends_at,"
	    " ended_at, coalesce(reason, '') FROM assignments WHERE id = $1"
	    " FOR UPDATE", 1, params);
	if (rc != 0)
		return ctlopt_db_error(c, rc, "looking up the assignment");
	if (PQntuples(cur) == 0) {
		PQclear(cur);
		log_err("tallyctl assignment %s: no assignment %s", c->verb, a->id);
		return TALLY_ENOTFOUND;
	}
	status = PQgetvalue(cur, 0, 0);
	if (strcmp(status, "ACTIVE") != 0) {
		if (a->kind == CHANGE_REVOKE && strcmp(status, "REVOKED") == 0)
			rc = ctlopt_refuse(c, "assignment %s was already revoked at %s "
			    "(%s)", a->id, PQgetvalue(cur, 0, 3), PQgetvalue(cur, 0, 4));
		else
			rc = ctlopt_refuse(c, "assignment %s is %s since %s; only an "
			    "ACTIVE assignment can be %s", a->id, status,
			    PQgetvalue(cur, 0, 3), change_verb[a->kind]);
		PQclear(cur);
		return rc;
	}
	if (a->kind == CHANGE_EXTEND && strcmp(PQgetvalue(cur, 0, 1), "t") == 0) {
		rc = ctlopt_refuse(c, "assignment %s ended at %s (tally-expire has not "
		    "run since); an expired assignment cannot be extended: assign a "
		    "new seat", a->id, PQgetvalue(cur, 0, 2));
		PQclear(cur);
		return rc;
	}
	PQclear(cur);
	params[1] = a->kind == CHANGE_EXTEND ? a->days : a->reason;
	rc = db_query(db, &a->res, change_sql[a->kind], 2, params);
	if (rc != 0)
		return ctlopt_db_error(c, rc, "changing the assignment");
	return ctlopt_audit(c, change_action[a->kind], "assignment", a->id,
	    a->reason, PQgetvalue(a->res, 0, ASSIGNMENT_NCOLS),
	    PQgetvalue(a->res, 0, ASSIGNMENT_NCOLS + 1));
}

static int
run_change(struct ctl *c, enum change_kind kind, int argc, char **argv)
{
	struct change_arg a = { .c = c, .kind = kind };
	long long days = 0, id;
	bool have_days = false;
	const char *pos[1];
	const struct ctlopt extend_opts[] = {
		{ "days", CTLOPT_INT, &days, 1, MAX_DAYS, &have_days },
		{ "reason", CTLOPT_STR, &a.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	const struct ctlopt end_opts[] = {
		{ "reason", CTLOPT_STR, &a.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	char daybuf[24];
	int rc;

	rc = ctlopt_parse(c, argc, argv, kind == CHANGE_EXTEND ? extend_opts :
	    end_opts, pos, 1, 1);
	if (rc != 0)
		return rc;
	if (ctlopt_parse_ll(pos[0], 1, LLONG_MAX, &id) != 0)
		return ctlopt_usage_error(c, "not an assignment id: '%s'", pos[0]);
	a.id = pos[0];
	if (kind == CHANGE_EXTEND) {
		if (!have_days)
			return ctlopt_usage_error(c, "--days N is required");
		snprintf(daybuf, sizeof(daybuf), "%lld", days);
		a.days = daybuf;
	}
	if (kind == CHANGE_REVOKE && (a.reason == NULL || a.reason[0] == '\0'))
		return ctlopt_usage_error(c, "--reason is required: say why the "
		    "seat is taken away");
	if (kind == CHANGE_RELEASE && (a.reason == NULL || a.reason[0] == '\0'))
		a.reason = "released early by an admin";
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	rc = ctlopt_mutate(c, change_tx, &a);
	if (rc == 0)
		rc = ctlopt_print_record(c, a.res, 0, ASSIGNMENT_NCOLS);
	PQclear(a.res);
	return rc;
}

static int
assignment_extend(struct ctl *c, int argc, char **argv)
{
	return run_change(c, CHANGE_EXTEND, argc, argv);
}

static int
assignment_revoke(struct ctl *c, int argc, char **argv)
{
	return run_change(c, CHANGE_REVOKE, argc, argv);
}

static int
assignment_release(struct ctl *c, int argc, char **argv)
{
	return run_change(c, CHANGE_RELEASE, argc, argv);
}

static const struct ctlopt_verb assignment_verbs[] = {
	{ "list", assignment_list, "[--status ACTIVE|EXPIRED|REVOKED] "
	  "[--ending-soon DAYS [--as-of TIME]] [--customer EMAIL] "
	  "[--account ID|EMAIL] [--limit N]",
	  "Assignments, oldest first (at most --limit, default 1000; 0: all).\n"
	  "--ending-soon DAYS: ACTIVE ones ending within DAYS of now (or of\n"
	  "--as-of), soonest first; 0 shows those already past their end." },
	{ "assign", assignment_assign, "--customer EMAIL --days N "
	  "[--account ID|EMAIL|auto] [--order ID] [--starts TIME] [--reason TEXT]",
	  "Give a customer a seat for N days from now (or --starts).  Without\n"
	  "--account the pool's policy picks one (partly used multi-seat\n"
	  "accounts first).  A new email becomes a new customer.  With --order\n"
	  "the seat fulfils that paid order (tally-allocate then leaves it).\n"
	  "Refused when the account is suspended or full, or nothing has room." },
	{ "extend", assignment_extend, "ID --days N [--reason TEXT]",
	  "Move an ACTIVE assignment's end N days later.  Refused for an\n"
	  "assignment that has ended (EXPIRED, REVOKED, or past its end)." },
	{ "revoke", assignment_revoke, "ID --reason TEXT",
	  "Take a seat away now (status REVOKED); the seat is free at once.\n"
	  "Refused when the assignment is not ACTIVE (revoking twice too)." },
	{ "release", assignment_release, "ID [--reason TEXT]",
	  "End an ACTIVE assignment now as EXPIRED - the customer is done\n"
	  "early - and free its seat.  Refused when it is not ACTIVE." },
	{ NULL, NULL, NULL, NULL }
};

int
ctl_assignment(int argc, char **argv)
{
	return ctlopt_run_group("assignment", "Seats held by customers.",
	    assignment_verbs, argc, argv);
}
