/*
 * bearer.c - who asks the JSON API: "Authorization: Bearer TOKEN" (RFC
 * 6750), checked against api_tokens (lib/ops/token.h).
 *
 * What is trusted, and why: only a token whose SHA-256 is in api_tokens,
 * not revoked, not past expires_at.  The token carries its row's key id
 * (no secret), so the lookup is by key id; the secret part is then
 * checked by comparing the SHA-256 of the whole token with the stored one
 * in constant time (CRYPTO_memcmp), against a stand-in hash when there is
 * no such row, so how long a check takes says nothing about how much of
 * a guess was right.  A token that is not shaped like one is refused
 * before any lookup.  Two Authorization headers are refused: which one a
 * proxy in front would have checked cannot be known.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "admin/api.h"
#include "base/err.h"
#include "base/log.h"
#include "ops/token.h"

/* the hash compared with when the key id names no token */
static const char no_hash[65] =
    "0000000000000000000000000000000000000000000000000000000000000000";

int
admin_bearer_authenticate(struct admin_req *r, struct admin_who *who)
{
	char key[OPS_TOKEN_KEY_LEN + 1], hex[65];
	const char *params[1] = { key };
	const char *h, *token, *stored = no_hash;
	PGresult *res = NULL;
	unsigned n = 0;
	bool found, same;
	int rc;

	memset(who, 0, sizeof(*who));
	h = admin_header(r, "Authorization", &n);
	if (h == NULL)
		return ADMIN_AUTH_NONE;
	if (n > 1 || strncasecmp(h, "Bearer ", 7) != 0)
		return ADMIN_AUTH_BAD;
	for (token = h + 7; *token == ' '; token++)
		;
	if (!ops_token_split(token, key))
		return ADMIN_AUTH_BAD;
	if ((rc = ops_connect(&r->ops)) != 0)
		return rc;
	rc = db_query(r->ops.db, &res, "SELECT id, name, role,"
	    " encode(token_hash, 'hex'), revoked_at IS NOT NULL,"
	    " coalesce(expires_at <= now(), false),"
	    " coalesce(last_used_at < now() - interval '1 minute', true)"
	    " FROM api_tokens WHERE key_id = $1", 1, params);
	if (rc != 0) {
		if (rc != TALLY_EUNAVAIL)
			log_err("checking a token: %s", db_errmsg(r->ops.db));
		return rc;
	}
	found = PQntuples(res) == 1;
	if (found)
		stored = PQgetvalue(res, 0, 3);
	ops_token_hash_hex(token, hex);
	same = strlen(stored) == 64 && CRYPTO_memcmp(hex, stored, 64) == 0;
	OPENSSL_cleanse(hex, sizeof(hex));
	if (!found || !same) {
		/* a known key id with a wrong secret: name it in the access
		 * log, where an admin sees someone trying that token */
		if (found)
			snprintf(who->actor, sizeof(who->actor), "token:%s",
			    PQgetvalue(res, 0, 1));
		PQclear(res);
		return ADMIN_AUTH_BAD;
	}
	snprintf(who->name, sizeof(who->name), "%s", PQgetvalue(res, 0, 1));
	snprintf(who->actor, sizeof(who->actor), "token:%s", who->name);
	if (strcmp(PQgetvalue(res, 0, 4), "t") == 0 ||
	    strcmp(PQgetvalue(res, 0, 5), "t") == 0) {
		PQclear(res);
		return ADMIN_AUTH_BAD;	/* revoked or expired */
	}
	who->role = admin_role_parse(PQgetvalue(res, 0, 2));
	snprintf(who->scope, sizeof(who->scope), "token:%s",
	    PQgetvalue(res, 0, 0));
	/* last_used_at at most once a minute: a read stays a read */
	if (strcmp(PQgetvalue(res, 0, 6), "t") == 0) {
		params[0] = PQgetvalue(res, 0, 0);
		db_command(r->ops.db, NULL, "UPDATE api_tokens SET last_used_at ="
		    " now() WHERE id = $1::bigint", 1, params);
	}
	PQclear(res);
	return 0;
}
