/*
 * ops/token.h - bearer tokens for tally-admin's JSON API: create, list,
 * revoke (the contract is ops/ops.h; `tallyctl token` is the face).
 *
 * A token is "tly_" KEY "_" SECRET: KEY is 10 base32 characters (50
 * random bits) naming its row, no secret; SECRET is 32 random bytes in
 * base64url (43 characters).  Only the SHA-256 of the whole token is
 * stored (api_tokens.token_hash), so the table cannot be used to log in
 * and the token is shown once, when created.  A check looks the row up
 * by KEY and compares the hashes in constant time (lib/admin/auth.c).
 *
 * A name (1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit)
 * is the audit actor "token:NAME" of every change made with the token,
 * and is never reused, not even after a revoke.  Roles: read (GET
 * routes), write (day-to-day changes), admin (money, configuration and
 * the access log).  Every item: id, name, role, key_id, state (active,
 * expired, revoked), created_at, created_by, expires_at, last_used_at,
 * revoked_at, revoked_by.
 */
#ifndef TALLY_OPS_TOKEN_H
#define TALLY_OPS_TOKEN_H

#include <stdbool.h>

#include "ops/ops.h"

#define OPS_TOKEN_PREFIX "tly_"
#define OPS_TOKEN_KEY_LEN 10
#define OPS_TOKEN_SECRET_LEN 43
/* "tly_" KEY "_" SECRET */
#define OPS_TOKEN_LEN (4 + OPS_TOKEN_KEY_LEN + 1 + OPS_TOKEN_SECRET_LEN)

struct ops_token_req {
	const char *name;	/* create, revoke */
	const char *role;	/* create: read, write or admin */
	/* create: when it stops working, an instant in the grammar of
	 * lib/base/period.h (a date is its midnight) in o->cfg's tz (UTC
	 * without); in the future.  NULL: never. */
	const char *expires;
	const char *reason;	/* the audit reason; NULL: none */
};

/*
 * Create a token.  *out has the item and "token": the token itself, the
 * one time it is ever shown (a dry run's works nowhere).  ECONFLICT when
 * the name was ever used.
 */
int ops_token_create(struct ops *o, const struct ops_token_req *req,
    json_t **out);
/* Revoke it at once; EREFUSED when it is revoked already. */
int ops_token_revoke(struct ops *o, const struct ops_token_req *req,
    json_t **out);

struct ops_token_list_req {
	bool active;		/* only those that work now */
	struct ops_page page;
};

/* By name. */
int ops_token_list(struct ops *o, const struct ops_token_list_req *req,
    json_t **out);

/*
 * True when token has the shape of one ("tly_" KEY "_" SECRET, nothing
 * else): its KEY in key_id.  Anything else is refused before a lookup.
 */
bool ops_token_split(const char *token, char key_id[OPS_TOKEN_KEY_LEN + 1]);

/* The SHA-256 of token, hex: what api_tokens.token_hash holds. */
void ops_token_hash_hex(const char *token, char hex[65]);

#endif
