/*
 * admin_user.c - the panel's admin users: add, passwd, disable, enable,
 * remove, list, and the password check a login makes (ops/admin_user.h).
 *
 * Passwords are hashed with yescrypt through libxcrypt's reentrant calls
 * (crypt_gensalt_rn, crypt_rn): tally-admin checks logins in many
 * threads at once.  The work area (struct crypt_data, some 32 KiB) is
 * wiped after use, as are the caller's copies we make.
 */
#include <crypt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/err.h"
#include "ops/admin_user.h"
#include "pg/audit.h"

#define USER_COLS \
	"u.id, u.name, u.role," \
	" CASE WHEN u.removed_at IS NOT NULL THEN 'removed'" \
	"      WHEN u.disabled THEN 'disabled' ELSE 'active' END AS state," \
	" u.created_at, u.created_by, u.password_changed_at, u.last_login_at"
#define USER_NCOLS 8
/* what the audit log keeps of a row: all but the hash */
#define USER_AUDIT(t) "to_jsonb(" t ") - 'password_hash'"


static int
password_check(struct ops *o, const char *pw)
{
	size_t n = pw != NULL ? strlen(pw) : 0;

	if (n == 0)
		return ops_fail(o, TALLY_EUSAGE, "password", "password is "
		    "required (an empty one is refused)");
	if (n < OPS_ADMIN_PASSWORD_MIN || n > OPS_ADMIN_PASSWORD_MAX)
		return ops_fail(o, TALLY_EUSAGE, "password", "password must be "
		    "%d to %d characters", OPS_ADMIN_PASSWORD_MIN,
		    OPS_ADMIN_PASSWORD_MAX);
	return 0;
}

int
ops_admin_password_hash(const char *password, char *hash, size_t n)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	int rc = TALLY_EINTERNAL;

	if (cd == NULL)
		abort();
	/* cost 0: libxcrypt's default for yescrypt; salt from getrandom() */
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, (int)sizeof(salt)) ==
	    NULL)
		goto out;
	if (crypt_rn(password, salt, cd, (int)sizeof(*cd)) == NULL ||
	    cd->output[0] == '*' || strlen(cd->output) >= n)
		goto out;
	snprintf(hash, n, "%s", cd->output);
	rc = 0;
out:
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return rc;
}

/* Whether password hashes to stored, in constant time for its length. */
static bool
password_matches(const char *password, const char *stored)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	bool same = false;
	size_t n = strlen(stored);

	if (cd == NULL)
		abort();
	if (crypt_rn(password, stored, cd, (int)sizeof(*cd)) != NULL &&
	    cd->output[0] != '*' && strlen(cd->output) == n)
		same = CRYPTO_memcmp(cd->output, stored, n) == 0;
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return same;
}

/* A hash to check against when the name is unknown, so that costs what a
 * known name does (made once, of a password nobody knows). */
static char stand_in[OPS_ADMIN_HASH_MAX];
static pthread_once_t stand_in_once = PTHREAD_ONCE_INIT;

static void
stand_in_make(void)
{
	if (ops_admin_password_hash("no such user: a stand-in", stand_in,
	    sizeof(stand_in)) != 0)
		snprintf(stand_in, sizeof(stand_in), "*");
}

/* --- add ----------------------------------------------------------------- */

struct add_arg {
	const struct ops_admin_user_req *req;
	char hash[OPS_ADMIN_HASH_MAX];
};

static int
add_fn(struct ops *o, void *p, json_t **out)
{
	struct add_arg *a = p;
	const char *params[4] = { a->req->name, a->req->role, a->hash,
	    audit_actor(o->actor) };
	PGresult *res = NULL;
	int rc;

	rc = db_query(o->db, &res,
	    "INSERT INTO admin_users AS u (name, role, password_hash, created_by)"
	    " VALUES ($1, $2, $3, $4)"
	    " RETURNING " USER_COLS ", " USER_AUDIT("u"), 4, params);
	if (rc == TALLY_ECONFLICT)
		return ops_fail(o, rc, "name", "an admin user named '%s' exists or "
		    "existed: names are never reused", a->req->name);
	if (rc != 0)
		return ops_db_fail(o, rc, "adding the admin user");
	rc = ops_audited_new(o, "admin_user.add", "admin_user",
	    PQgetvalue(res, 0, 0), a->req->reason, res, USER_NCOLS, out);
	PQclear(res);
	return rc;
}

int
ops_admin_user_add(struct ops *o, const struct ops_admin_user_req *req,
    json_t **out)
{
	struct add_arg a = { .req = req };
	int rc;

	*out = NULL;
	ops_reset(o);
	if ((rc = ops_name_role_check(o, req->name, req->role)) != 0)
		return rc;
	if ((rc = password_check(o, req->password)) != 0)
		return rc;
	if (ops_admin_password_hash(req->password, a.hash, sizeof(a.hash)) != 0)
		return ops_fail(o, TALLY_EINTERNAL, NULL, "cannot hash the "
		    "password (libxcrypt or the random source failed)");
	rc = ops_change(o, add_fn, &a, out);
	OPENSSL_cleanse(a.hash, sizeof(a.hash));
	return rc;
}

/* --- passwd, disable, enable, remove ------------------------------------- */

enum verb { PASSWD, DISABLE, ENABLE, REMOVE };

static const char *const verb_action[] = {
	[PASSWD] = "admin_user.passwd", [DISABLE] = "admin_user.disable",
	[ENABLE] = "admin_user.enable", [REMOVE] = "admin_user.remove",
};

/* $1 name, $2 the new hash (passwd) */
static const char *const verb_set[] = {
	[PASSWD] = "password_hash = $2, password_changed_at = now()",
	[DISABLE] = "disabled = true",
	[ENABLE] = "disabled = false",
	[REMOVE] = "removed_at = now(), disabled = true",
};

struct change_arg {
	const struct ops_admin_user_req *req;
	enum verb verb;
	char hash[OPS_ADMIN_HASH_MAX];
};

static int
change_fn(struct ops *o, void *p, json_t **out)
{
	struct change_arg *a = p;
	const char *params[2] = { a->req->name, a->hash };
	PGresult *cur = NULL, *res = NULL;
	struct strbuf sql = STRBUF_INIT;
	const char *state;
	int rc;

	rc = db_query(o->db, &cur, "SELECT " USER_COLS " FROM admin_users u"
	    " WHERE u.name = $1 FOR NO KEY UPDATE", 1, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "finding the admin user");
	if (PQntuples(cur) == 0) {
		rc = ops_fail(o, TALLY_ENOTFOUND, "name", "no admin user named "
		    "'%s'", a->req->name);
		goto out;
	}
	state = PQgetvalue(cur, 0, 3);
	if (strcmp(state, "removed") == 0)
		rc = ops_fail(o, TALLY_EREFUSED, NULL, "admin user '%s' was "
		    "removed", a->req->name);
	else if (a->verb == DISABLE && strcmp(state, "disabled") == 0)
		rc = ops_fail(o, TALLY_EREFUSED, NULL, "admin user '%s' is "
		    "disabled already", a->req->name);
	else if (a->verb == ENABLE && strcmp(state, "active") == 0)
		rc = ops_fail(o, TALLY_EREFUSED, NULL, "admin user '%s' is not "
		    "disabled", a->req->name);
	if (rc != 0)
		goto out;
	strbuf_addf(&sql, "WITH old AS (SELECT * FROM admin_users WHERE name = $1)"
	    " UPDATE admin_users u SET %s FROM old WHERE u.id = old.id"
	    " RETURNING " USER_COLS ", " USER_AUDIT("old") ", " USER_AUDIT("u"),
	    verb_set[a->verb]);
	rc = db_query(o->db, &res, sql.buf, a->verb == PASSWD ? 2 : 1, params);
	if (rc != 0) {
		rc = ops_db_fail(o, rc, "changing the admin user");
		goto out;
	}
	/* whatever changed, a session made before it no longer holds */
	if (a->verb != ENABLE) {
		params[0] = PQgetvalue(res, 0, 0);
		rc = db_command(o->db, NULL, "DELETE FROM admin_sessions"
		    " WHERE user_id = $1::bigint", 1, params);
		if (rc != 0) {
			rc = ops_db_fail(o, rc, "ending the user's sessions");
			goto out;
		}
	}
	rc = ops_audited(o, verb_action[a->verb], "admin_user",
	    PQgetvalue(res, 0, 0), a->req->reason, res, USER_NCOLS, out);
out:
	strbuf_release(&sql);
	PQclear(cur);
	PQclear(res);
	return rc;
}

static int
user_change(struct ops *o, const struct ops_admin_user_req *req,
    enum verb verb, json_t **out)
{
	struct change_arg a = { .req = req, .verb = verb };
	int rc;

	*out = NULL;
	ops_reset(o);
	if (req->name == NULL || req->name[0] == '\0')
		return ops_fail(o, TALLY_EUSAGE, "name", "name is required");
	if (verb == PASSWD) {
		if ((rc = password_check(o, req->password)) != 0)
			return rc;
		if (ops_admin_password_hash(req->password, a.hash,
		    sizeof(a.hash)) != 0)
			return ops_fail(o, TALLY_EINTERNAL, NULL, "cannot hash the "
			    "password (libxcrypt or the random source failed)");
	}
	rc = ops_change(o, change_fn, &a, out);
	OPENSSL_cleanse(a.hash, sizeof(a.hash));
	return rc;
}

int
ops_admin_user_passwd(struct ops *o, const struct ops_admin_user_req *req,
    json_t **out)
{
	return user_change(o, req, PASSWD, out);
}

int
ops_admin_user_disable(struct ops *o, const struct ops_admin_user_req *req,
    json_t **out)
{
	return user_change(o, req, DISABLE, out);
}

int
ops_admin_user_enable(struct ops *o, const struct ops_admin_user_req *req,
    json_t **out)
{
	return user_change(o, req, ENABLE, out);
}

int
ops_admin_user_remove(struct ops *o, const struct ops_admin_user_req *req,
    json_t **out)
{
	return user_change(o, req, REMOVE, out);
}

/* --- list ---------------------------------------------------------------- */

int
ops_admin_user_list(struct ops *o, const struct ops_admin_user_list_req *req,
    json_t **out)
{
#define USER_FILTER \
	" FROM admin_users u WHERE $1::boolean OR u.removed_at IS NULL"
	static const struct ops_list_sql q = {
		"listing admin users",
		"SELECT count(*)" USER_FILTER,
		"SELECT " USER_COLS USER_FILTER " ORDER BY u.name"
		OPS_LIMIT_OFFSET(2, 3), 1
	};
#undef USER_FILTER
	return ops_list_flag(o, &q, &req->page, req->all, out);
}

/* --- verify -------------------------------------------------------------- */

int
ops_admin_user_verify(struct ops *o, const struct ops_admin_user_req *req,
    json_t **out)
{
	const char *params[1] = { req->name };
	PGresult *res = NULL;
	bool found, same;
	int rc;

	*out = NULL;
	ops_reset(o);
	pthread_once(&stand_in_once, stand_in_make);
	if (req->name == NULL || req->password == NULL ||
	    strlen(req->password) > OPS_ADMIN_PASSWORD_MAX)
		return ops_fail(o, TALLY_EREFUSED, NULL, "the name or the password "
		    "is not right");
	if ((rc = ops_connect(o)) != 0)
		return rc;
	rc = db_query(o->db, &res, "SELECT id, name, role, password_hash"
	    " FROM admin_users WHERE name = $1 AND NOT disabled"
	    " AND removed_at IS NULL", 1, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "checking the password");
	found = PQntuples(res) == 1;
	same = password_matches(req->password, found ? PQgetvalue(res, 0, 3) :
	    stand_in);
	if (!found || !same) {
		PQclear(res);
		return ops_fail(o, TALLY_EREFUSED, NULL, "the name or the password "
		    "is not right");
	}
	*out = ops_item_json(res, 0, 3);
	PQclear(res);
	return 0;
}
