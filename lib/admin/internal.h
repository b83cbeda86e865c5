/*
 * internal.h - what lib/admin's own files share (private to lib/admin):
 * the server, a request's private part, the database pool, the rate
 * limit on failed authentication, Idempotency-Key records and the access
 * log.
 */
#ifndef TALLY_ADMIN_INTERNAL_H
#define TALLY_ADMIN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "admin/admin.h"
#include "base/config.h"
#include "base/strbuf.h"
#include "intake/httplimit.h"
#include "pg/db.h"

/* ---- pool.c: database connections as tally_admin_api ---- */

struct admin_pool;

/* At most max connections to url (NULL: db_connect's), made on demand,
 * each with statement_timeout. */
struct admin_pool *admin_pool_new(const char *url, int max,
    long statement_timeout_ms);
void admin_pool_free(struct admin_pool *p);
/* A connection, waiting at most wait seconds for a free one: 0, or
 * TALLY_EUNAVAIL (none free in time, or the database cannot be reached). */
int admin_pool_get(struct admin_pool *p, double wait, struct db **db);
/* Give it back; a connection that is no longer sound is closed. */
void admin_pool_put(struct admin_pool *p, struct db *db);

/* ---- ratelimit.c: failed authentication per client address ---- */

struct admin_ratelimit;

/* limit failures within window seconds; past them, refused until the
 * window that saw the first of them ends. */
struct admin_ratelimit *admin_ratelimit_new(long limit, long window);
void admin_ratelimit_free(struct admin_ratelimit *rl);
/* 0 when addr may try; else the seconds until it may (Retry-After). */
long admin_ratelimit_wait(struct admin_ratelimit *rl, const char *addr,
    double now);
/* One failure of addr at now. */
void admin_ratelimit_fail(struct admin_ratelimit *rl, const char *addr,
    double now);
/* An attempt whose check is slow (a password): 0 and the attempt counted
 * as a failure at once, so attempts in flight together cannot outrun the
 * limit; or the seconds to wait.  A success then forgives it. */
long admin_ratelimit_try(struct admin_ratelimit *rl, const char *addr,
    double now);
void admin_ratelimit_forgive(struct admin_ratelimit *rl, const char *addr);

/* ---- idem.c: Idempotency-Key answers ---- */

struct admin_idem_hit {
	char fingerprint[65];
	int status;
	char *content_type;
	char *location;		/* or NULL */
	char *body;
};

/* A valid key: 1 to 255 visible ASCII characters. */
bool admin_idem_key_ok(const char *key);
/* The request's fingerprint: SHA-256 of method, target and body. */
void admin_idem_fingerprint(const char *method, const char *target,
    const char *body, size_t len, char hex[65]);
/* The answer kept for (scope, key): 0 with *hit filled (release it),
 * TALLY_ENOTFOUND, or a database failure. */
int admin_idem_find(struct db *db, const char *scope, const char *key,
    struct admin_idem_hit *hit);
void admin_idem_hit_release(struct admin_idem_hit *hit);
/* Keep an answer, inside the change's transaction.  TALLY_ECONFLICT when
 * a concurrent request with the same key got there first. */
int admin_idem_keep(struct db *db, const char *scope, const char *key,
    const char *fingerprint, int status, const char *content_type,
    const char *location, const char *body);

/* ---- the server and a request's private part ---- */

struct admin_server {
	struct MHD_Daemon *d;
	struct config cfg;
	struct admin_pool *pool;
	struct admin_ratelimit *rl;
	struct httpwatch *watch;
	char *tls_cert;
	char *tls_key;
	size_t tls_key_len;
	atomic_bool draining;
	atomic_long inflight;
	unsigned short port;
};

struct admin_hdr {
	char *name;
	char *value;
};

struct admin_priv {
	struct admin_server *srv;
	struct MHD_Connection *mc;
	double started;
	bool routed;		/* the headers have been looked at */
	bool too_large;		/* body past max_body: read and dropped */
	bool logged;		/* the access log has its row */
	bool has_db;		/* ops.db is the pool's, to give back */
	/* the answer */
	int status;		/* 0: none yet */
	char *content_type;
	char *body;
	size_t len;
	int fd;
	size_t fd_len;
	struct admin_hdr *hdrs;
	size_t nhdrs;
	bool close;		/* Connection: close */
	/* the request body */
	char *rbody;
	size_t rlen, rcap;
	char *target;
	char *pbuf;		/* the path, cut into r->param */
	/* Idempotency-Key: the key, the request's fingerprint, the answer
	 * kept in the transaction (its status, location and bytes) */
	const char *idem_key;
	char fingerprint[65];
	int kept_status;
	char *kept_body;
	char *kept_location;
	bool idem_raced;
	/*
	 * The browser panel (panel*.c): the session's token from its
	 * cookie ("" without one), the one-time notice the session had, the
	 * POSTed form once parsed, and a check of the whole request once
	 * its body is in, before the handler (the CSRF token): false after
	 * answering.  panel_authenticate() sets it for a POST.
	 */
	char session[72];
	char *notice;
	struct panel_form *form;
	bool (*body_check)(struct admin_req *r);
};

/* panel_form.c: what the panel kept of a request */
void panel_priv_free(struct admin_priv *p);
/* panel.c: the session's CSRF token, hex ("" without a session) */
void panel_csrf_token(const struct admin_req *r, char hex[65]);
/* panel_page.c: the panel's security headers, on every answer of it */
void panel_headers(struct admin_req *r);
/* A page without the navigation (login, failures). */
void panel_bare_begin(struct strbuf *out, const char *title);
/* Whether p is a path under /admin and nothing that could leave it. */
bool panel_path_ok(const char *p);
/* panel_dash.c: the dashboard */
void panel_dashboard(struct admin_req *r);

/* request.c: libmicrohttpd's callbacks */
enum MHD_Result admin_on_request(void *cls, struct MHD_Connection *mc,
    const char *url, const char *method, const char *version,
    const char *upload_data, size_t *upload_data_size, void **req_cls);
void *admin_on_uri(void *cls, const char *uri, struct MHD_Connection *mc);
void admin_on_completed(void *cls, struct MHD_Connection *mc,
    void **req_cls, enum MHD_RequestTerminationCode toe);

/* answer.c */
void admin_answer_free(struct admin_priv *p);
/* Whether the answer has header name already. */
bool admin_header_set(const struct admin_req *r, const char *name);
/* Write the access log row for r (once). */
void admin_access_write(struct admin_req *r);
/* The kept answer body for an operation's out (the on_commit hook). */
int admin_idem_on_commit(struct ops *o, const json_t *out, void *arg);

#endif
