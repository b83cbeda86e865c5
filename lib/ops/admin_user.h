/*
 * ops/admin_user.h - the browser panel's admin users and their sessions
 * (the contract is ops/ops.h; `tallyctl admin-user` and tally-admin's
 * login are the faces).
 *
 * An admin user has a name (1 to 64 of A-Z a-z 0-9 . _ -, starting with
 * a letter or digit; never reused, not even after a removal: it is the
 * audit actor "admin:NAME"), a role (read, write, admin: as a token's),
 * and a password kept only as its crypt(3) yescrypt hash (libxcrypt).
 * Passwords come from the caller, which wipes them; an operation never
 * logs, prints or returns one.  Every item: id, name, role, state
 * (active, disabled, removed), created_at, created_by,
 * password_changed_at, last_login_at.
 *
 * tallyctl (tally_admin) adds and changes users; tally-admin
 * (tally_admin_api) may only check a password, stamp a login and keep
 * sessions (sql/071_admin_users.sql).
 */
#ifndef TALLY_OPS_ADMIN_USER_H
#define TALLY_OPS_ADMIN_USER_H

#include <stdbool.h>
#include <stddef.h>

#include "ops/ops.h"

/* the shortest and longest password accepted */
#define OPS_ADMIN_PASSWORD_MIN 8
#define OPS_ADMIN_PASSWORD_MAX 1024

struct ops_admin_user_req {
	const char *name;
	const char *role;	/* add: read, write or admin */
	const char *password;	/* add, passwd, verify */
	const char *reason;	/* the audit reason; NULL: none */
};

/* Add one.  ECONFLICT when the name is or was in use. */
int ops_admin_user_add(struct ops *o, const struct ops_admin_user_req *req,
    json_t **out);
/* A new password; the user's sessions end. */
int ops_admin_user_passwd(struct ops *o, const struct ops_admin_user_req *req,
    json_t **out);
/* Disable (sessions end, no login) or enable again; EREFUSED when it is
 * so already, or removed. */
int ops_admin_user_disable(struct ops *o,
    const struct ops_admin_user_req *req, json_t **out);
int ops_admin_user_enable(struct ops *o,
    const struct ops_admin_user_req *req, json_t **out);
/* Remove for good: no login, sessions end, the name stays taken. */
int ops_admin_user_remove(struct ops *o, const struct ops_admin_user_req *req,
    json_t **out);

struct ops_admin_user_list_req {
	bool all;		/* removed ones too */
	struct ops_page page;
};

/* By name. */
int ops_admin_user_list(struct ops *o,
    const struct ops_admin_user_list_req *req, json_t **out);

/*
 * Whether name's password is password: 0 with *out {"item": {"id",
 * "name", "role"}} for an active user whose password it is; EREFUSED
 * with one sentence that does not say which part was wrong (nor whether
 * the user exists: an unknown name costs the same time).  Changes
 * nothing.
 */
int ops_admin_user_verify(struct ops *o, const struct ops_admin_user_req *req,
    json_t **out);

/* A password's yescrypt hash into hash (at least OPS_ADMIN_HASH_MAX
 * bytes): 0, or TALLY_EINTERNAL when libxcrypt or the random source
 * fails. */
#define OPS_ADMIN_HASH_MAX 128
int ops_admin_password_hash(const char *password, char *hash, size_t n);

/* ---- sessions (admin_session.c) ---- */

/* A session's token: 32 random bytes from getrandom(), in hex (the
 * cookie).  Only its SHA-256 is stored. */
#define OPS_SESSION_TOKEN_LEN 64

struct ops_admin_session_req {
	const char *name;	/* create */
	const char *password;	/* create */
	const char *client;	/* create: the client's address, or NULL */
	const char *token;	/* touch, end, notice */
	long idle;		/* create, touch: seconds without a request
				 * (0: 1800) */
	long max;		/* create, touch: seconds since the login
				 * (0: 43200) */
	const char *notice;	/* notice: the text, NULL clears it */
};

/*
 * Log in: check the password (ops_admin_user_verify), make a session,
 * stamp last_login_at, audit admin_session.login with actor admin:NAME
 * (o->actor is ignored).  *out {"item": {"id", "name", "role"}, "token":
 * the cookie's value}.  EREFUSED as ops_admin_user_verify.  Expired
 * sessions of every user are dropped on the way.
 */
int ops_admin_session_create(struct ops *o,
    const struct ops_admin_session_req *req, json_t **out);
/*
 * The session of token, if it holds (user active, seen within idle,
 * made within max): 0 with *out {"item": {"id" (the user's), "name",
 * "role", "notice"}},
 * and its last_seen_at now and its notice taken (shown once); else
 * ENOTFOUND.  Not audited: a read.
 */
int ops_admin_session_touch(struct ops *o,
    const struct ops_admin_session_req *req, json_t **out);
/* Log out: the session is gone (audited admin_session.logout with
 * o->actor).  ENOTFOUND when there is none. */
int ops_admin_session_end(struct ops *o,
    const struct ops_admin_session_req *req, json_t **out);
/* Keep notice for the session's next page. */
int ops_admin_session_notice(struct ops *o,
    const struct ops_admin_session_req *req);

/* Whether token has the shape of one (64 lower-case hex digits). */
bool ops_admin_session_token_ok(const char *token);
/* A fresh token (for the panel's pre-login cookie too): -1 when the
 * random source fails. */
int ops_admin_session_token_make(char token[OPS_SESSION_TOKEN_LEN + 1]);

#endif
