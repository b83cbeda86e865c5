/*
 * admin_session.c - the panel's sessions: log in, look up (and touch),
 * log out, the one-time notice (ops/admin_user.h).
 *
 * The cookie holds 32 bytes from getrandom() in hex; the table only
 * their SHA-256, looked up by equality on the primary key: a guess
 * that is wrong finds nothing, and the hash says nothing of the
 * cookie.  A session ends idle (last_seen_at) or old (created_at) in
 * the lookup itself; the rows left behind are dropped at the next login.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "base/err.h"
#include "base/fsutil.h"
#include "base/hex.h"
#include "ops/admin_user.h"
#include "pg/query.h"

bool
ops_admin_session_token_ok(const char *token)
{
	size_t i;

	if (token == NULL || strlen(token) != OPS_SESSION_TOKEN_LEN)
		return false;
	for (i = 0; i < OPS_SESSION_TOKEN_LEN; i++)
		if (!((token[i] >= '0' && token[i] <= '9') ||
		    (token[i] >= 'a' && token[i] <= 'f')))
			return false;
	return true;
}

int
ops_admin_session_token_make(char token[OPS_SESSION_TOKEN_LEN + 1])
{
	unsigned char rnd[OPS_SESSION_TOKEN_LEN / 2];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(rnd)) {
		n = getrandom(rnd + got, sizeof(rnd) - got, 0);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	hex_encode(rnd, sizeof(rnd), token);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return 0;
}

/* The token's SHA-256 in hex: what admin_sessions.id_hash holds. */
static void
token_hash(const char *token, char hex[65])
{
	fsutil_sha256_hex(token, strlen(token), hex);
}

/* What a session's change works with. */
struct create_arg {
	const struct ops_admin_session_req *req;
	const json_t *user;	/* verify's item */
	char token[OPS_SESSION_TOKEN_LEN + 1];
	char hash[65];
	char idle[24], max[24];	/* seconds, as parameters */
};

static void
limits(struct create_arg *a, const struct ops_admin_session_req *req)
{
	snprintf(a->idle, sizeof(a->idle), "%ld", req->idle > 0 ? req->idle :
	    1800);
	snprintf(a->max, sizeof(a->max), "%ld", req->max > 0 ? req->max :
	    43200);
}

/* fn on the session of req->token, in a change of its own. */
static int
by_token(struct ops *o, const struct ops_admin_session_req *req,
    ops_answer_fn *fn, json_t **out)
{
	struct create_arg a = { .req = req };

	*out = NULL;
	ops_reset(o);
	if (!ops_admin_session_token_ok(req->token))
		return ops_fail(o, TALLY_ENOTFOUND, NULL, "no such session");
	token_hash(req->token, a.hash);
	limits(&a, req);
	return ops_change(o, fn, &a, out);
}

/* --- create -------------------------------------------------------------- */

static int
create_fn(struct ops *o, void *p, json_t **out)
{
	struct create_arg *a = p;
	char id[24];
	const char *params[3] = { a->hash, id, a->req->client };
	int rc;

	snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(
	    json_object_get(a->user, "id")));
	params[0] = a->idle;
	params[1] = a->max;
	rc = db_command(o->db, NULL, "DELETE FROM admin_sessions"
	    " WHERE last_seen_at < now() - make_interval(secs => $1::bigint)"
	    "    OR created_at < now() - make_interval(secs => $2::bigint)",
	    2, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "dropping ended sessions");
	params[0] = a->hash;
	params[1] = id;
	rc = db_command(o->db, NULL, "INSERT INTO admin_sessions"
	    " (id_hash, user_id, client) VALUES (decode($1, 'hex'), $2, $3)",
	    3, params);
	if (rc == 0)
		rc = db_command(o->db, NULL, "UPDATE admin_users SET last_login_at"
		    " = now() WHERE id = $1::bigint", 1, params + 1);
	if (rc != 0)
		return ops_db_fail(o, rc, "making the session");
	rc = ops_audit(o, "admin_session.login", "admin_user", id, NULL, NULL,
	    NULL);
	if (rc == 0)
		*out = json_pack("{s:O, s:s}", "item", a->user, "token", a->token);
	return rc;
}

int
ops_admin_session_create(struct ops *o, const struct ops_admin_session_req *req,
    json_t **out)
{
	struct ops_admin_user_req ureq = { .name = req->name,
	    .password = req->password };
	struct create_arg a = { .req = req };
	json_t *user = NULL;
	const json_t *item;
	char actor[80];
	const char *saved = o->actor;
	int rc;

	*out = NULL;
	if ((rc = ops_admin_user_verify(o, &ureq, &user)) != 0)
		return rc;
	item = json_object_get(user, "item");
	a.user = item;
	if (ops_admin_session_token_make(a.token) != 0) {
		json_decref(user);
		return ops_fail(o, TALLY_EINTERNAL, NULL, "the system's random "
		    "source failed");
	}
	token_hash(a.token, a.hash);
	limits(&a, req);
	snprintf(actor, sizeof(actor), "admin:%s",
	    json_string_value(json_object_get(item, "name")));
	o->actor = actor;
	rc = ops_change(o, create_fn, &a, out);
	o->actor = saved;
	OPENSSL_cleanse(a.token, sizeof(a.token));
	json_decref(user);
	return rc;
}

/* --- touch --------------------------------------------------------------- */

static int
touch_fn(struct ops *o, void *p, json_t **out)
{
	struct create_arg *a = p;
	const char *params[3] = { a->hash, a->idle, a->max };
	PGresult *res = NULL;
	int rc;

	/* expired sessions go here and at logins; the lookup below refuses
	 * them either way */
	rc = db_query(o->db, &res, query_sql("ops/admin_session_touch"), 3,
	    params);
	if (rc != 0)
		return ops_db_fail(o, rc, "looking up the session");
	if (PQntuples(res) == 0)
		rc = ops_fail(o, TALLY_ENOTFOUND, NULL, "no such session, or it "
		    "has ended");
	else
		*out = ops_item_json(res, 0, 4);
	PQclear(res);
	return rc;
}

int
ops_admin_session_touch(struct ops *o, const struct ops_admin_session_req *req,
    json_t **out)
{
	return by_token(o, req, touch_fn, out);
}

/* --- end, notice --------------------------------------------------------- */

static int
end_fn(struct ops *o, void *p, json_t **out)
{
	struct create_arg *a = p;
	const char *params[1] = { a->hash };
	PGresult *res = NULL;
	int rc;

	rc = db_query(o->db, &res, "DELETE FROM admin_sessions"
	    " WHERE id_hash = decode($1, 'hex') RETURNING user_id", 1, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "ending the session");
	if (PQntuples(res) == 0)
		rc = ops_fail(o, TALLY_ENOTFOUND, NULL, "no such session");
	else
		rc = ops_audit(o, "admin_session.logout", "admin_user",
		    PQgetvalue(res, 0, 0), NULL, NULL, NULL);
	if (rc == 0)
		*out = json_pack("{s:b}", "ended", 1);
	PQclear(res);
	return rc;
}

int
ops_admin_session_end(struct ops *o, const struct ops_admin_session_req *req,
    json_t **out)
{
	return by_token(o, req, end_fn, out);
}

int
ops_admin_session_notice(struct ops *o, const struct ops_admin_session_req *req)
{
	char hash[65];
	const char *params[2] = { hash, req->notice };
	int rc;

	ops_reset(o);
	if (!ops_admin_session_token_ok(req->token))
		return ops_fail(o, TALLY_ENOTFOUND, NULL, "no such session");
	token_hash(req->token, hash);
	if ((rc = ops_connect(o)) != 0)
		return rc;
	rc = db_command(o->db, NULL, "UPDATE admin_sessions SET notice ="
	    " left($2, 500) WHERE id_hash = decode($1, 'hex')", 2, params);
	return rc != 0 ? ops_db_fail(o, rc, "keeping the notice") : 0;
}
