/*
 * account.c - the pool of shared accounts: add, change, list, show.
 *
 * Every change writes its audit row with the row before and after as
 * to_jsonb() from the same statement, in the same transaction.  Accounts
 * are locked FOR NO KEY UPDATE (HACKING.md: a FOR UPDATE would also wait
 * for the foreign-key checks of assignments being inserted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/argnum.h"
#include "base/err.h"
#include "ops/account.h"
#include "ops/account_rules.h"

#define EMAIL_MAX 254		/* RFC 5321 path limit */

int
ops_account_find(struct ops *o, const char *spec, const char *field,
    bool lock, long long *id, PGresult **row)
{
	/* four fixed statements: the lookup key picks one, data never
	 * becomes SQL */
	static const char *const sql[2][2] = {
		{ "SELECT " ACCOUNT_COLS " FROM pool_accounts a"
		  " WHERE lower(a.email) = lower($1)",
		  "SELECT " ACCOUNT_COLS " FROM pool_accounts a"
		  " WHERE lower(a.email) = lower($1) FOR NO KEY UPDATE" },
		{ "SELECT " ACCOUNT_COLS " FROM pool_accounts a WHERE a.id = $1",
		  "SELECT " ACCOUNT_COLS " FROM pool_accounts a WHERE a.id = $1"
		  " FOR NO KEY UPDATE" },
	};
	const char *params[1] = { spec };
	PGresult *res = NULL;
	bool by_id = ops_is_digits(spec);
	int rc;

	if (row != NULL)
		*row = NULL;
	if (spec == NULL || (by_id && strlen(spec) > 18))
		goto notfound;
	rc = db_query(o->db, &res, sql[by_id][lock], 1, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "looking up the account");
	if (PQntuples(res) != 1) {
		PQclear(res);
		goto notfound;
	}
	*id = db_value_ll(res, 0, 0, 0);
	if (row != NULL)
		*row = res;
	else
		PQclear(res);
	return 0;
notfound:
	return ops_fail(o, TALLY_ENOTFOUND, field, "no account '%s'",
	    spec != NULL ? spec : "");
}

/* --- value rules ------------------------------------------------------- */

const char *
ops_email_problem(const char *s)
{
	const char *at;

	if (s == NULL || *s == '\0')
		return "is empty";
	if (strlen(s) > EMAIL_MAX)
		return "is longer than 254 characters";
	/* the same rule as the pool_accounts check: ^[^@\s]+@[^@\s]+$ */
	for (const char *p = s; *p != '\0'; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '\f' || *p == '\v')
			return "contains white space";
	at = strchr(s, '@');
	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return "is not an address like name@example.com";
	return NULL;
}

const char *
ops_account_max_seats(const char *s, const char **out)
{
	long long v;

	*out = NULL;
	if (s == NULL || *s == '\0')
		return NULL;
	if (argnum_parse(s, 1, ACCOUNT_MAX_SEATS, &v) != 0)
		return "must be empty (single-user) or a whole number from 1 to "
		    "10000";
	*out = s;
	return NULL;
}

const char *
ops_account_status(const char *s, const char **out)
{
	if (s == NULL || *s == '\0' || strcasecmp(s, "AVAILABLE") == 0) {
		*out = "AVAILABLE";
		return NULL;
	}
	if (strcasecmp(s, "SUSPENDED") == 0) {
		*out = "SUSPENDED";
		return NULL;
	}
	if (strcasecmp(s, "ASSIGNED") == 0)
		return "ASSIGNED follows seat use and cannot be set; use AVAILABLE "
		    "or SUSPENDED";
	return "must be AVAILABLE or SUSPENDED";
}

int
ops_account_write_error(struct ops *o, int rc, const char *email)
{
	const char *msg = db_errmsg(o->db);

	if (rc == TALLY_ECONFLICT)
		return ops_fail(o, rc, "email", "an account with email '%s' "
		    "already exists", email != NULL ? email : "?");
	if (strstr(msg, "seats_not_oversubscribed") != NULL ||
	    strstr(msg, "status_matches_seats") != NULL)
		return ops_fail(o, TALLY_EREFUSED, "max_seats", "the new capacity "
		    "is below the seats in use (revoke or release assignments "
		    "first)");
	if (strstr(msg, "pool_accounts_email_check") != NULL)
		return ops_fail(o, TALLY_EDATA, "email", "'%s' is not a valid "
		    "email", email != NULL ? email : "?");
	return ops_db_fail(o, rc, "writing the account");
}

/* --- add ----------------------------------------------------------------- */

struct add_arg {
	const struct ops_account_req *req;
	const char *max_seats, *status;
};

static int
add_fn(struct ops *o, void *p, json_t **out)
{
	struct add_arg *a = p;
	const char *params[4] = { a->req->email, a->req->note, a->max_seats,
	    a->status };
	PGresult *res = NULL;
	int rc;

	rc = db_query(o->db, &res,
	    "INSERT INTO pool_accounts AS a (email, note, max_seats, status)"
	    " VALUES ($1, coalesce($2, ''), $3::integer, $4)"
	    " RETURNING " ACCOUNT_COLS ", to_jsonb(a) AS after", 4, params);
	if (rc != 0)
		return ops_account_write_error(o, rc, a->req->email);
	rc = ops_audited_new(o, "account.add", "account", PQgetvalue(res, 0, 0),
	    a->req->reason, res, ACCOUNT_NCOLS, out);
	PQclear(res);
	return rc;
}

int
ops_account_add(struct ops *o, const struct ops_account_req *req,
    json_t **out)
{
	struct add_arg a = { .req = req };
	const char *why;

	*out = NULL;
	ops_reset(o);
	if ((why = ops_email_problem(req->email)) != NULL)
		return ops_fail(o, TALLY_EUSAGE, "email", "email '%s' %s",
		    req->email != NULL ? req->email : "", why);
	if ((why = ops_account_max_seats(req->max_seats, &a.max_seats)) != NULL)
		return ops_fail(o, TALLY_EUSAGE, "max_seats", "max_seats %s", why);
	if ((why = ops_account_status(req->status, &a.status)) != NULL)
		return ops_fail(o, TALLY_EUSAGE, "status", "status %s", why);
	if (strcmp(a.status, "SUSPENDED") == 0 &&
	    (req->note == NULL || req->note[0] == '\0'))
		return ops_fail(o, TALLY_EUSAGE, "note", "a suspended account "
		    "needs a note saying why");
	return ops_change(o, add_fn, &a, out);
}

/* --- suspend, reactivate, update ----------------------------------------- */

enum change_kind { CHANGE_SUSPEND, CHANGE_REACTIVATE, CHANGE_UPDATE };

struct change_arg {
	const struct ops_account_req *req;
	enum change_kind kind;
	const char *max_seats;	/* NULL with set_seats: single-user */
	bool set_seats;
};

static const char *const change_actions[] = {
	"account.suspend", "account.reactivate", "account.update"
};

/* One statement per change: the locked old row and the new one come back
 * together for the audit log.  $2 note (NULL: keep), $3 set max_seats?,
 * $4 max_seats, $5 email (NULL: keep), $6 new status (NULL: keep). */
static const char change_sql[] =
	"WITH old AS (SELECT * FROM pool_accounts WHERE id = $1"
	"  FOR NO KEY UPDATE)"
	" UPDATE pool_accounts a SET"
	"  note = coalesce($2, a.note),"
	"  max_seats = CASE WHEN $3::boolean THEN $4::integer ELSE a.max_seats END,"
	"  email = coalesce($5, a.email),"
	"  status = coalesce($6, a.status),"
	"  updated_at = now()"
	" FROM old WHERE a.id = old.id"
	" RETURNING " ACCOUNT_COLS ", to_jsonb(old) AS before, to_jsonb(a) AS after";

/* What the current row says about the change: 0 or a refusal. */
static int
change_allowed(struct ops *o, const struct change_arg *a, const PGresult *cur)
{
	const char *status = PQgetvalue(cur, 0, 2);
	long long used = db_value_ll(cur, 0, 4, 0), cap;

	if (a->kind == CHANGE_SUSPEND && strcmp(status, "SUSPENDED") == 0)
		return ops_fail(o, TALLY_EREFUSED, NULL, "account %s (%s) is "
		    "already suspended", PQgetvalue(cur, 0, 0),
		    PQgetvalue(cur, 0, 1));
	if (a->kind == CHANGE_REACTIVATE && strcmp(status, "SUSPENDED") != 0)
		return ops_fail(o, TALLY_EREFUSED, NULL, "account %s (%s) is %s, "
		    "not suspended", PQgetvalue(cur, 0, 0), PQgetvalue(cur, 0, 1),
		    status);
	cap = a->max_seats != NULL ? strtoll(a->max_seats, NULL, 10) : 1;
	if (a->kind == CHANGE_UPDATE && a->set_seats && cap < used)
		return ops_fail(o, TALLY_EREFUSED, "max_seats", "account %s (%s) "
		    "has %lld seats in use; the capacity cannot go below that "
		    "(revoke or release assignments first)", PQgetvalue(cur, 0, 0),
		    PQgetvalue(cur, 0, 1), used);
	return 0;
}

static int
change_fn(struct ops *o, void *p, json_t **out)
{
	struct change_arg *a = p;
	const struct ops_account_req *req = a->req;
	PGresult *cur = NULL, *res = NULL;
	const char *params[6];
	const char *reason;
	char idbuf[24];
	long long id;
	int rc;

	rc = ops_account_find(o, req->account, "account", true, &id, &cur);
	if (rc != 0)
		return rc;
	if ((rc = change_allowed(o, a, cur)) != 0)
		goto out;
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	params[0] = idbuf;
	params[1] = req->note;
	params[2] = a->set_seats ? "true" : "false";
	params[3] = a->max_seats;
	params[4] = a->kind == CHANGE_UPDATE ? req->email : NULL;
	/* leaving SUSPENDED: the guard trigger recomputes AVAILABLE/ASSIGNED */
	params[5] = a->kind == CHANGE_SUSPEND ? "SUSPENDED" :
	    a->kind == CHANGE_REACTIVATE ? "AVAILABLE" : NULL;
	rc = db_query(o->db, &res, change_sql, 6, params);
	if (rc != 0) {
		rc = ops_account_write_error(o, rc, params[4]);
		goto out;
	}
	/* for suspend and reactivate the note says why; an update's note is
	 * just the new note */
	reason = req->reason != NULL ? req->reason :
	    a->kind != CHANGE_UPDATE ? req->note : NULL;
	rc = ops_audited(o, change_actions[a->kind], "account", idbuf, reason,
	    res, ACCOUNT_NCOLS, out);
out:
	PQclear(cur);
	PQclear(res);
	return rc;
}

static int
run_change(struct ops *o, struct change_arg *a, json_t **out)
{
	if (a->req->account == NULL || a->req->account[0] == '\0')
		return ops_fail(o, TALLY_EUSAGE, "account", "account is required: "
		    "an id or an email");
	return ops_change(o, change_fn, a, out);
}

int
ops_account_suspend(struct ops *o, const struct ops_account_req *req,
    json_t **out)
{
	struct change_arg a = { .req = req, .kind = CHANGE_SUSPEND };

	*out = NULL;
	ops_reset(o);
	if (req->note == NULL || req->note[0] == '\0')
		return ops_fail(o, TALLY_EUSAGE, "note", "note is required: say "
		    "why the account is suspended");
	return run_change(o, &a, out);
}

int
ops_account_reactivate(struct ops *o, const struct ops_account_req *req,
    json_t **out)
{
	struct change_arg a = { .req = req, .kind = CHANGE_REACTIVATE };

	*out = NULL;
	ops_reset(o);
	return run_change(o, &a, out);
}

int
ops_account_update(struct ops *o, const struct ops_account_req *req,
    json_t **out)
{
	struct change_arg a = { .req = req, .kind = CHANGE_UPDATE };
	const char *why;

	*out = NULL;
	ops_reset(o);
	if (req->note == NULL && req->max_seats == NULL && req->email == NULL)
		return ops_fail(o, TALLY_EUSAGE, NULL, "nothing to change: give "
		    "note, max_seats or email");
	a.set_seats = req->max_seats != NULL;
	if (a.set_seats && (why = ops_account_max_seats(req->max_seats,
	    &a.max_seats)) != NULL)
		return ops_fail(o, TALLY_EUSAGE, "max_seats", "max_seats %s", why);
	if (req->email != NULL && (why = ops_email_problem(req->email)) != NULL)
		return ops_fail(o, TALLY_EUSAGE, "email", "email '%s' %s",
		    req->email, why);
	return run_change(o, &a, out);
}

/* --- list and show ------------------------------------------------------- */

int
ops_account_list(struct ops *o, const struct ops_account_list_req *req,
    json_t **out)
{
#define ACCOUNT_FILTER \
	" FROM pool_accounts a" \
	" WHERE ($1::text IS NULL OR a.status = $1)" \
	"   AND ($2::text IS NULL OR strpos(lower(a.email), lower($2)) > 0" \
	"        OR strpos(lower(a.note), lower($2)) > 0)"
	static const struct ops_list_sql q = {
		"listing accounts",
		"SELECT count(*)" ACCOUNT_FILTER,
		"SELECT " ACCOUNT_COLS ACCOUNT_FILTER " ORDER BY a.id"
		OPS_LIMIT_OFFSET(3, 4), 2
	};
#undef ACCOUNT_FILTER
	const char *params[2];
	char st[16];

	*out = NULL;
	ops_reset(o);
	if (req->status != NULL && strcasecmp(req->status, "AVAILABLE") != 0 &&
	    strcasecmp(req->status, "ASSIGNED") != 0 &&
	    strcasecmp(req->status, "SUSPENDED") != 0)
		return ops_fail(o, TALLY_EUSAGE, "status", "status must be "
		    "AVAILABLE, ASSIGNED or SUSPENDED");
	params[0] = ops_upper(st, sizeof(st), req->status);
	params[1] = req->search;
	return ops_list(o, &q, &req->page, params, out);
}

static int
show_fn(struct ops *o, void *p, json_t **out)
{
	const char *spec = *(const char **)p;
	const char *params[1];
	PGresult *acc = NULL, *asg = NULL;
	char idbuf[24];
	long long id;
	int rc;

	rc = ops_account_find(o, spec, "account", false, &id, &acc);
	if (rc != 0)
		return rc;
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	params[0] = idbuf;
	rc = db_query(o->db, &asg,
	    "SELECT s.id, c.email AS customer, s.status, s.starts_at, s.ends_at,"
	    " s.ended_at, s.order_id, s.reason"
	    " FROM assignments s JOIN customers c ON c.id = s.customer_id"
	    " WHERE s.account_id = $1"
	    " ORDER BY (s.status = 'ACTIVE') DESC, s.starts_at DESC, s.id DESC"
	    " LIMIT 50", 1, params);
	if (rc != 0) {
		ops_db_fail(o, rc, "listing the account's assignments");
		goto out;
	}
	*out = ops_item_json(acc, 0, 0);
	json_object_set_new(*out, "assignments", ops_items_json(asg, 0));
out:
	PQclear(acc);
	PQclear(asg);
	return rc;
}

int
ops_account_show(struct ops *o, const struct ops_account_req *req,
    json_t **out)
{
	const char *spec;

	*out = NULL;
	ops_reset(o);
	if (req->account == NULL || req->account[0] == '\0')
		return ops_fail(o, TALLY_EUSAGE, "account", "account is required: "
		    "an id or an email");
	/* one snapshot: the account and its assignments agree */
	spec = req->account;
	return ops_look(o, show_fn, &spec, out);
}
