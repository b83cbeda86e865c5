/*
 * token.c - bearer tokens: create, revoke, list (ops/token.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base/config.h"
#include "base/err.h"
#include "base/fsutil.h"
#include "base/period.h"
#include "ops/token.h"
#include "pg/audit.h"

#define TOKEN_COLS \
	"t.id, t.name, t.role, t.key_id," \
	" CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked'" \
	"      WHEN t.expires_at <= now() THEN 'expired' ELSE 'active' END" \
	"   AS state," \
	" t.created_at, t.created_by, t.expires_at, t.last_used_at," \
	" t.revoked_at, t.revoked_by"
#define TOKEN_NCOLS 11
/* what the audit log keeps of a row: all but the hash */
#define TOKEN_AUDIT(t) "to_jsonb(" t ") - 'token_hash'"

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static bool
in_set(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return false;
	return true;
}

bool
ops_token_split(const char *token, char key_id[OPS_TOKEN_KEY_LEN + 1])
{
	const char *key;

	if (token == NULL || strlen(token) != OPS_TOKEN_LEN ||
	    strncmp(token, OPS_TOKEN_PREFIX, strlen(OPS_TOKEN_PREFIX)) != 0)
		return false;
	key = token + strlen(OPS_TOKEN_PREFIX);
	if (key[OPS_TOKEN_KEY_LEN] != '_' ||
	    !in_set(key, OPS_TOKEN_KEY_LEN, b32) ||
	    !in_set(key + OPS_TOKEN_KEY_LEN + 1, OPS_TOKEN_SECRET_LEN, b64url))
		return false;
	memcpy(key_id, key, OPS_TOKEN_KEY_LEN);
	key_id[OPS_TOKEN_KEY_LEN] = '\0';
	return true;
}

void
ops_token_hash_hex(const char *token, char hex[65])
{
	fsutil_sha256_hex(token, strlen(token), hex);
}

/* A fresh token into buf (OPS_TOKEN_LEN + 1); -1 when the system's
 * random source fails. */
static int
token_make(char buf[OPS_TOKEN_LEN + 1])
{
	unsigned char rnd[OPS_TOKEN_KEY_LEN + 33];
	unsigned char *sec = rnd + OPS_TOKEN_KEY_LEN;
	char *p = buf;
	size_t i;

	if (RAND_bytes(rnd, (int)sizeof(rnd)) != 1)
		return -1;
	memcpy(p, OPS_TOKEN_PREFIX, strlen(OPS_TOKEN_PREFIX));
	p += strlen(OPS_TOKEN_PREFIX);
	/* 5 random bits a character: 32 divides 256, so no bias */
	for (i = 0; i < OPS_TOKEN_KEY_LEN; i++)
		*p++ = b32[rnd[i] & 31];
	*p++ = '_';
	/* 32 bytes in base64url without padding: 43 characters */
	for (i = 0; i + 3 <= 32; i += 3) {
		unsigned v = (unsigned)sec[i] << 16 | (unsigned)sec[i + 1] << 8 |
		    sec[i + 2];

		*p++ = b64url[v >> 18 & 63];
		*p++ = b64url[v >> 12 & 63];
		*p++ = b64url[v >> 6 & 63];
		*p++ = b64url[v & 63];
	}
	{
		unsigned v = (unsigned)sec[30] << 8 | sec[31];

		*p++ = b64url[v >> 10 & 63];
		*p++ = b64url[v >> 4 & 63];
		*p++ = b64url[(v << 2) & 63];
	}
	*p = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return 0;
}


/* --- create -------------------------------------------------------------- */

struct create_arg {
	const struct ops_token_req *req;
	const char *expires;	/* UTC ISO, or NULL */
	char token[OPS_TOKEN_LEN + 1];
	char key[OPS_TOKEN_KEY_LEN + 1];
	char hash[65];
};

static int
create_fn(struct ops *o, void *p, json_t **out)
{
	struct create_arg *a = p;
	const char *params[6];
	PGresult *res = NULL;
	int rc;

	params[0] = a->req->name;
	params[1] = a->req->role;
	params[2] = a->key;
	params[3] = a->hash;
	params[4] = audit_actor(o->actor);
	params[5] = a->expires;
	rc = db_query(o->db, &res,
	    "INSERT INTO api_tokens AS t (name, role, key_id, token_hash,"
	    " created_by, expires_at)"
	    " VALUES ($1, $2, $3, decode($4, 'hex'), $5, $6::timestamptz)"
	    " RETURNING " TOKEN_COLS ", " TOKEN_AUDIT("t"), 6, params);
	if (rc == TALLY_ECONFLICT && strstr(db_errmsg(o->db), "key_id") != NULL)
		/* 50 random bits met another token's: as likely as a
		 * meteorite; the admin simply runs it again */
		return ops_fail(o, rc, NULL, "the new token's key clashed with "
		    "another's; run it again");
	if (rc == TALLY_ECONFLICT)
		return ops_fail(o, rc, "name", "a token named '%s' exists or "
		    "existed: names are never reused", a->req->name);
	if (rc != 0)
		return ops_db_fail(o, rc, "creating the token");
	rc = ops_audit_new(o, "token.create", "token", PQgetvalue(res, 0, 0),
	    a->req->reason, res, 0, TOKEN_NCOLS);
	if (rc == 0) {
		*out = ops_change_json(o, res, 0, TOKEN_NCOLS);
		json_object_set_new(*out, "token", json_string(a->token));
	}
	PQclear(res);
	return rc;
}

int
ops_token_create(struct ops *o, const struct ops_token_req *req,
    json_t **out)
{
	struct create_arg a = { .req = req };
	const char *tz = ops_zone(o);
	char when[PERIOD_ISO_MAX];
	time_t t;
	int rc;

	*out = NULL;
	ops_reset(o);
	if ((rc = ops_name_role_check(o, req->name, req->role)) != 0)
		return rc;
	if (req->expires != NULL) {
		if (period_parse_instant(req->expires, tz, &t) != 0)
			return ops_fail(o, TALLY_EUSAGE, "expires", "expires: not a "
			    "date or time: '%s' (2027-01-31, 2027-01-31T18:00, "
			    "2027-01-31T18:00Z)", req->expires);
		if (t <= time(NULL))
			return ops_fail(o, TALLY_EUSAGE, "expires", "expires: %s "
			    "is not in the future", req->expires);
		period_format_utc(t, when);
		a.expires = when;
	}
	if (token_make(a.token) != 0)
		return ops_fail(o, TALLY_EINTERNAL, NULL, "the system's random "
		    "source failed");
	memcpy(a.key, a.token + strlen(OPS_TOKEN_PREFIX), OPS_TOKEN_KEY_LEN);
	a.key[OPS_TOKEN_KEY_LEN] = '\0';
	ops_token_hash_hex(a.token, a.hash);
	rc = ops_change(o, create_fn, &a, out);
	OPENSSL_cleanse(a.token, sizeof(a.token));
	return rc;
}

/* --- revoke -------------------------------------------------------------- */

static int
revoke_fn(struct ops *o, void *p, json_t **out)
{
	const struct ops_token_req *req = p;
	const char *params[3] = { req->name, audit_actor(o->actor),
	    req->reason };
	PGresult *cur = NULL, *res = NULL;
	int rc;

	rc = db_query(o->db, &cur, "SELECT id, revoked_at FROM api_tokens"
	    " WHERE name = $1 FOR NO KEY UPDATE", 1, params);
	if (rc != 0)
		return ops_db_fail(o, rc, "finding the token");
	if (PQntuples(cur) == 0)
		rc = ops_fail(o, TALLY_ENOTFOUND, "name", "no token named '%s'",
		    req->name);
	else if (!PQgetisnull(cur, 0, 1))
		rc = ops_fail(o, TALLY_EREFUSED, NULL, "token '%s' was revoked "
		    "at %s", req->name, PQgetvalue(cur, 0, 1));
	if (rc != 0)
		goto out;
	rc = db_query(o->db, &res,
	    "WITH old AS (SELECT * FROM api_tokens WHERE name = $1)"
	    " UPDATE api_tokens t SET revoked_at = now(), revoked_by = $2,"
	    " revoke_reason = $3 FROM old WHERE t.id = old.id"
	    " RETURNING " TOKEN_COLS ", " TOKEN_AUDIT("old") ", "
	    TOKEN_AUDIT("t"), 3, params);
	if (rc != 0) {
		rc = ops_db_fail(o, rc, "revoking the token");
		goto out;
	}
	rc = ops_audited(o, "token.revoke", "token", PQgetvalue(res, 0, 0),
	    req->reason, res, TOKEN_NCOLS, out);
out:
	PQclear(cur);
	PQclear(res);
	return rc;
}

int
ops_token_revoke(struct ops *o, const struct ops_token_req *req,
    json_t **out)
{
	*out = NULL;
	ops_reset(o);
	if (req->name == NULL || req->name[0] == '\0')
		return ops_fail(o, TALLY_EUSAGE, "name", "name is required");
	return ops_change(o, revoke_fn, (void *)req, out);
}

/* --- list ---------------------------------------------------------------- */

int
ops_token_list(struct ops *o, const struct ops_token_list_req *req,
    json_t **out)
{
#define TOKEN_FILTER \
	" FROM api_tokens t WHERE NOT $1::boolean" \
	" OR (t.revoked_at IS NULL AND (t.expires_at IS NULL" \
	"     OR t.expires_at > now()))"
	static const struct ops_list_sql q = {
		"listing tokens",
		"SELECT count(*)" TOKEN_FILTER,
		"SELECT " TOKEN_COLS TOKEN_FILTER " ORDER BY t.name"
		OPS_LIMIT_OFFSET(2, 3), 1
	};
#undef TOKEN_FILTER
	return ops_list_flag(o, &q, &req->page, req->active, out);
}
