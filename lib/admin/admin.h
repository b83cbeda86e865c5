/*
 * admin.h - tally-admin: one HTTP server (libmicrohttpd) for the faces
 * admins use over HTTP, each over the operations layer (lib/ops/ops.h):
 * the JSON API under /api/admin/ (bearer tokens; lib/admin/api*.c) and
 * the browser panel under /admin (admin users and sessions).  What every
 * face shares is here, so a face is a route table, an authentication
 * step and a way to show a failure:
 *
 *   faces       struct admin_face, listed in admin_faces[] (faces.c).
 *   routes      struct admin_route: method, path pattern with {name}
 *               segments, the least role, flags, the handler.  The first
 *               route of any face whose pattern matches answers; a path
 *               that matches with another method is 405 with Allow.
 *   auth        the face's authenticate(): who asks, as a name, a role
 *               (read < write < admin) and the audit actor ("token:NAME"
 *               for the API, "admin:NAME" for the panel); failures are
 *               rate-limited per client address (429 + Retry-After).
 *   limits      before any handler: framing, header count, body size
 *               (max_body: 413), the whole-request deadline
 *               (request_deadline, lib/intake/httplimit.h; database work
 *               is bounded by the same statement_timeout), a pool of
 *               database connections as tally_admin_api.
 *   writes      ADMIN_WRITE routes take ?dry_run=true (the operation runs
 *               and rolls back) and an Idempotency-Key header (the same
 *               key and request replays the first answer, another request
 *               is 422; kept in the change's own transaction, per
 *               credential, for a day).
 *   access log  every request, whatever face and outcome, one row of
 *               admin_access_log, written before the answer is sent.
 *   answers     admin_answer*(): JSON, bytes, a file; admin_fail*(): the
 *               face's own failure page or problem+json; headers refused
 *               when a value would carry CR, LF or another control byte.
 *
 * Threads: one per connection (at most ADMIN_MAX_CONNECTIONS); a handler
 * runs in its connection's thread and may block on the database.
 */
#ifndef TALLY_ADMIN_H
#define TALLY_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/strbuf.h"
#include "ops/ops.h"

struct config;
struct admin_req;

#define ADMIN_MAX_CONNECTIONS 128
#define ADMIN_MAX_PARAMS 4
/* Idempotency-Key answers are kept this long */
#define ADMIN_IDEMPOTENCY_HOURS 24

enum admin_role {
	ADMIN_ROLE_NONE = 0,	/* a public route: no authentication */
	ADMIN_ROLE_READ,
	ADMIN_ROLE_WRITE,
	ADMIN_ROLE_ADMIN
};

/* "read", "write", "admin" (and "none"); ADMIN_ROLE_NONE for others. */
const char *admin_role_name(enum admin_role role);
enum admin_role admin_role_parse(const char *s);

/* Who asks, as the face's authenticate() found. */
struct admin_who {
	enum admin_role role;
	char name[72];		/* the token's or admin user's name */
	char actor[80];		/* the audit actor: "token:NAME", "admin:NAME" */
	char scope[48];		/* whose Idempotency-Keys: "token:ID" */
};

/* What authenticate() returns besides 0 (authenticated) */
#define ADMIN_AUTH_NONE 1	/* no credentials of the face's kind */
#define ADMIN_AUTH_BAD 2	/* credentials that do not hold: counted
				 * against the client's address */

/* Route flags */
#define ADMIN_WRITE 0x1		/* changes data: ?dry_run, Idempotency-Key */
#define ADMIN_CREATED 0x2	/* a success is 201 with Location */
#define ADMIN_RAW_BODY 0x4	/* the body is not necessarily JSON */

struct admin_route {
	const char *method;	/* "GET", "POST", "PUT" (GET answers HEAD) */
	const char *pattern;	/* "/api/admin/chatgpt-accounts/{id}" */
	enum admin_role role;	/* the least role; NONE: public */
	unsigned flags;
	/*
	 * Answer r (admin_answer*() or admin_fail*(), once).  NULL: the
	 * route is known but its operation is not built yet: 501 saying
	 * what it waits for (pending).
	 */
	void (*handle)(struct admin_req *r);
	/*
	 * The body and status an operation's answer out becomes, for the
	 * answer and for the Idempotency-Key record (which is made inside
	 * the operation's transaction, before the handler sees out).
	 * NULL: admin_shape_default().  A new reference.
	 */
	json_t *(*shape)(const struct admin_req *r, const json_t *out,
	    int *status);
	const char *pending;
};

struct admin_face {
	const char *name;	/* "api", "panel": in logs */
	/* paths under it are this face's, for a 404 or 405 */
	const char *prefix;
	const struct admin_route *routes;	/* ended by a NULL method */
	/*
	 * Who asks: 0 with *who filled, ADMIN_AUTH_NONE, ADMIN_AUTH_BAD
	 * (who->actor may still name whose credentials they were, for the
	 * access log), or TALLY_EUNAVAIL when the database cannot tell.
	 * r->ops connects on demand (ops_connect(&r->ops)).
	 */
	int (*authenticate)(struct admin_req *r, struct admin_who *who);
	/*
	 * Answer a failure: status, detail (a sentence for the admin),
	 * field (the request field at fault, or NULL), errors (an array of
	 * the bad parts, or NULL).  401 answers carry the face's challenge
	 * (WWW-Authenticate, a login page); 429 and 503 get Retry-After
	 * from the server.
	 */
	void (*fail)(struct admin_req *r, int status, const char *detail,
	    const char *field, const json_t *errors);
};

/* The faces tally-admin serves, ended by NULL (faces.c). */
extern const struct admin_face *const admin_faces[];

/*
 * One request.  Handlers read the public part; the rest is the
 * server's.
 */
struct admin_req {
	const char *method;
	const char *path;	/* decoded, without the query */
	const char *target;	/* the request target as sent */
	const char *body;	/* NUL-terminated; NUL inside is refused */
	size_t body_len;
	char client[64];	/* address (admin_client_header behind a proxy) */
	const struct admin_face *face;
	const struct admin_route *route;
	const char *param[ADMIN_MAX_PARAMS];	/* {name} values, in order */
	struct admin_who who;
	bool dry_run;		/* ?dry_run=true on an ADMIN_WRITE route */
	/*
	 * The operation context: actor who.actor, dry_run, the settings,
	 * and a database connection from the pool when an operation first
	 * needs one.
	 */
	struct ops ops;
	struct admin_priv *priv;
};

/* A query argument (decoded), or NULL when absent or empty. */
const char *admin_query(struct admin_req *r, const char *name);
/* A request header, or NULL; *count (optional) how many there were. */
const char *admin_header(struct admin_req *r, const char *name,
    unsigned *count);
/* The settings in force. */
const struct config *admin_config(const struct admin_req *r);

/* Whether the connection is HTTPS (tally-admin's own TLS): a face sets
 * Secure cookies then. */
bool admin_tls(const struct admin_req *r);

/*
 * The failed-authentication limit, for a face's own login form (a public
 * route, so the server does not count for it): the seconds the client's
 * address must wait (0: it may try), and one more failure against it.
 */
long admin_auth_wait(struct admin_req *r);
void admin_auth_failed(struct admin_req *r);
/* For a login form, whose check is slow: the wait (nothing counted), or
 * 0 with the attempt already counted as a failure, so concurrent
 * attempts cannot outrun the limit; admin_auth_forgive() takes it back
 * when the attempt succeeds. */
long admin_auth_try(struct admin_req *r);
void admin_auth_forgive(struct admin_req *r);

/* Add a response header; false (and nothing added) when name or value
 * holds a control character (no header injection), or it is too long. */
bool admin_set_header(struct admin_req *r, const char *name,
    const char *value);
/* Answer with bytes (copied). */
void admin_answer(struct admin_req *r, int status, const char *content_type,
    const void *body, size_t len);
/* Answer with JSON (application/json; steals body). */
void admin_answer_json(struct admin_req *r, int status, json_t *body);
/* Answer with len bytes of an open file (the server closes fd). */
void admin_answer_fd(struct admin_req *r, int status,
    const char *content_type, int fd, size_t len);
/*
 * Answer an operation: its failure through admin_fail_ops(), else the
 * route's shape of out (or the body already kept for the
 * Idempotency-Key, byte for byte), 201 with Location for an
 * ADMIN_CREATED route.  Takes out (json_decref()s it).
 */
void admin_answer_op(struct admin_req *r, int rc, json_t *out);
/*
 * The default shape: an item is the entity itself; a list is {"items",
 * "total", "page", "per_page"} (and a Link header); a dry run is
 * {"dry_run": true, "would_be": <what the answer would have been>}
 * with 200.  Internal keys ("columns") are dropped.
 */
json_t *admin_shape_default(const struct admin_req *r, const json_t *out,
    int *status);

/* The HTTP status for a TALLY_E* code (ops/ops.h's table). */
int admin_status_of(int rc);
/* Answer a failure through the face. */
void admin_fail(struct admin_req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Answer an operation's failure: status from rc, detail ops.err, field
 * ops.field, errors ops.errors. */
void admin_fail_ops(struct admin_req *r, int rc);

/*
 * Request body and query helpers for handlers.  Each answers 400 through
 * the face itself and returns false when the request is wrong.
 */
/* The body as a JSON object whose keys are all in allowed (NULL-ended);
 * NULL after answering. */
json_t *admin_body_object(struct admin_req *r, const char *const *allowed);
/* A string member (NULL when absent or null). */
bool admin_get_str(struct admin_req *r, const json_t *obj, const char *key,
    const char **out);
/* A whole-number member; *given false when absent or null. */
bool admin_get_int(struct admin_req *r, const json_t *obj, const char *key,
    long long min, long long max, long long *out, bool *given);
/* A boolean member as a tristate (absent or null: OPS_UNSET). */
bool admin_get_bool(struct admin_req *r, const json_t *obj, const char *key,
    enum ops_tristate *out);
/* ?page=&per_page= into pg (per_page at most OPS_PER_PAGE_MAX). */
bool admin_query_page(struct admin_req *r, struct ops_page *pg);
/* ?name=true|false|1|0 (absent: false). */
bool admin_query_bool(struct admin_req *r, const char *name, bool *out);
/* The same, but ?name or ?name= is refused: where a wrong guess would
 * change data (dry_run), no value is not taken for false. */
bool admin_query_flag(struct admin_req *r, const char *name, bool *out);
/* ?name= as a whole number in [min, max]; *given false when absent. */
bool admin_query_int(struct admin_req *r, const char *name, long long min,
    long long max, long long *out, bool *given);

/* ---- the server ---- */

struct admin_server;

struct admin_options {
	const char *config_path;	/* NULL: config_load()'s search */
	const char *listen;	/* overrides admin_listen (tests: port 0) */
	const char *db_url;	/* NULL: TALLY_DATABASE_URL or embedded */
};

/*
 * Load and check the configuration (admin_listen, TLS files), as
 * tally-admin -n does: 0, or TALLY_ECONFIG with "file:line: message"
 * lines in err.
 */
int admin_check_config(const char *config_path, struct strbuf *err);

/* Start serving: 0, TALLY_ECONFIG (err says why), TALLY_EUNAVAIL when
 * the address cannot be bound. */
int admin_server_start(struct admin_server **out,
    const struct admin_options *opt, struct strbuf *err);
/* The port it listens on (the kernel's pick for port 0). */
unsigned short admin_server_port(const struct admin_server *s);
/* Stop accepting, let what is in flight finish (at most a deadline),
 * stop, free. */
void admin_server_stop(struct admin_server *s);

/* tally-admin: start, tell systemd, serve until SIGTERM or SIGINT. */
int admin_run(const struct admin_options *opt);

#endif
