/*
 * request.c - one request through tally-admin, from libmicrohttpd's
 * callbacks to the answer:
 *
 *   headers in   framing and header count (400, closed), the route (404,
 *                405 with Allow), draining (503), for a route that wants
 *                one: the client's address not blocked for failed
 *                authentication (429), who asks (401), their role (403);
 *                the declared length within max_body (413, closed).
 *                Nothing of the body has been read yet.
 *   body         read up to max_body; past it read and dropped, then 413.
 *   body in      a NUL byte (400); the face's check of the body (the
 *                panel's CSRF token: 403); ?dry_run (ADMIN_WRITE); the
 *                Idempotency-Key (replayed, or 422 for another request);
 *                the handler, its operation with actor who.actor; the
 *                access log row; the answer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "admin/internal.h"
#include "base/err.h"
#include "base/log.h"

/* ---- the database, on demand ---- */

static int
pool_connect(struct db **db, void *arg)
{
	struct admin_req *r = arg;
	struct admin_server *srv = r->priv->srv;
	int rc;

	rc = admin_pool_get(srv->pool, (double)srv->cfg.request_deadline, db);
	if (rc == 0)
		r->priv->has_db = true;
	return rc;
}

static void
release_db(struct admin_req *r)
{
	if (!r->priv->has_db)
		return;
	admin_pool_put(r->priv->srv->pool, r->ops.db);
	r->ops.db = NULL;
	r->priv->has_db = false;
}

/* ---- request objects ---- */

/*
 * The client's address: the peer's, or, from a proxy on loopback, the
 * admin_client_header it sets (only when that is an address: anything
 * else could not be rate-limited or logged faithfully).
 */
static void
client_address(struct admin_req *r)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa = NULL;
	const char *hname = r->priv->srv->cfg.admin_client_header;
	const char *h;
	unsigned char buf[sizeof(struct in6_addr)];

	snprintf(r->client, sizeof(r->client), "?");
	ci = MHD_get_connection_info(r->priv->mc,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, r->client, sizeof(r->client));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)
		    sa)->sin6_addr, r->client, sizeof(r->client));
	if (hname == NULL || hname[0] == '\0' || !httplimit_loopback(sa))
		return;
	h = MHD_lookup_connection_value(r->priv->mc, MHD_HEADER_KIND, hname);
	if (h != NULL && strlen(h) < sizeof(r->client) &&
	    (inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1))
		snprintf(r->client, sizeof(r->client), "%s", h);
}

void *
admin_on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
	struct admin_server *srv = cls;
	struct admin_req *r = xcalloc(1, sizeof(*r));

	r->priv = xcalloc(1, sizeof(*r->priv));
	r->priv->srv = srv;
	r->priv->mc = mc;
	r->priv->fd = -1;
	r->priv->started = httplimit_now();
	r->priv->target = xstrdup(uri != NULL ? uri : "");
	r->target = r->priv->target;
	r->method = "";
	r->path = "";
	r->body = "";
	ops_init(&r->ops, NULL, NULL, false);
	r->ops.cfg = &srv->cfg;
	r->ops.connect = pool_connect;
	r->ops.connect_arg = r;
	httpwatch_begin(mc);
	atomic_fetch_add(&srv->inflight, 1);
	return r;
}

static void
req_free(struct admin_req *r)
{
	release_db(r);
	ops_release(&r->ops);
	admin_answer_free(r->priv);
	panel_priv_free(r->priv);
	free(r->priv->rbody);
	free(r->priv->target);
	free(r->priv->pbuf);
	free(r->priv->kept_body);
	free(r->priv->kept_location);
	free(r->priv);
	free(r);
}

/* ---- sending ---- */

static enum MHD_Result
send_answer(struct admin_req *r)
{
	struct admin_priv *p = r->priv;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	bool cache = false;

	admin_access_write(r);
	release_db(r);
	if (p->fd >= 0) {
		resp = MHD_create_response_from_fd((uint64_t)p->fd_len, p->fd);
		p->fd = -1;	/* the response closes it */
	} else {
		resp = MHD_create_response_from_buffer(p->len, p->body,
		    MHD_RESPMEM_MUST_FREE);
		p->body = NULL;
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    p->content_type);
	for (size_t i = 0; i < p->nhdrs; i++) {
		MHD_add_response_header(resp, p->hdrs[i].name, p->hdrs[i].value);
		if (strcasecmp(p->hdrs[i].name, "Cache-Control") == 0)
			cache = true;
	}
	/* answers hold data about customers and money: never cached */
	if (!cache)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
		    "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (p->status == 503 && !admin_header_set(r, "Retry-After"))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (p->close || atomic_load(&p->srv->draining))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(p->mc, (unsigned)p->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* An answer before the body was read: the connection is not reused. */
static enum MHD_Result
send_early(struct admin_req *r)
{
	r->priv->close = true;
	return send_answer(r);
}

/* ---- routing ---- */

/* path against pattern; {x} segments into r->param. */
static bool
match(struct admin_req *r, const char *pattern, const char *path, bool keep)
{
	int n = 0;

	while (*pattern != '\0' && *path != '\0') {
		if (*pattern == '{') {
			const char *end = strchr(path, '/');
			size_t len = end != NULL ? (size_t)(end - path) :
			    strlen(path);

			if (len == 0 || n >= ADMIN_MAX_PARAMS)
				return false;
			if (keep)
				r->param[n] = path;
			n++;
			pattern = strchr(pattern, '}');
			if (pattern == NULL)
				return false;
			pattern++;
			path += len;
			continue;
		}
		if (*pattern != *path)
			return false;
		pattern++;
		path++;
	}
	return *pattern == '\0' && *path == '\0';
}

/*
 * The parameters point into the path; cut them at their '/': the path
 * is MHD's own copy, which keeps only what came before the query.
 */
static char *
params_copy(struct admin_req *r)
{
	struct strbuf sb = STRBUF_INIT;
	char *copy, *s;
	size_t off[ADMIN_MAX_PARAMS];
	int n = 0;

	for (int i = 0; i < ADMIN_MAX_PARAMS && r->param[i] != NULL; i++)
		off[n++] = (size_t)(r->param[i] - r->path);
	strbuf_addstr(&sb, r->path);
	copy = strbuf_detach(&sb, NULL);
	for (int i = 0; i < n; i++) {
		r->param[i] = copy + off[i];
		if ((s = strchr(copy + off[i], '/')) != NULL)
			*s = '\0';
	}
	return copy;
}

static const struct admin_face *
face_by_prefix(const char *path)
{
	const struct admin_face *best = admin_faces[0];
	size_t bestlen = 0;

	for (size_t i = 0; admin_faces[i] != NULL; i++) {
		size_t n = strlen(admin_faces[i]->prefix);

		if (n > bestlen && strncmp(path, admin_faces[i]->prefix, n) == 0) {
			best = admin_faces[i];
			bestlen = n;
		}
	}
	return best;
}

/* The route for method and path; 404 or 405 answered when there is none. */
static bool
find_route(struct admin_req *r, const char *method)
{
	struct strbuf allow = STRBUF_INIT;
	const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;

	for (size_t i = 0; admin_faces[i] != NULL; i++)
		for (const struct admin_route *rt = admin_faces[i]->routes;
		    rt->method != NULL; rt++) {
			if (!match(r, rt->pattern, r->path, false))
				continue;
			if (strcmp(rt->method, want) == 0) {
				memset(r->param, 0, sizeof(r->param));
				match(r, rt->pattern, r->path, true);
				r->priv->pbuf = params_copy(r);
				r->face = admin_faces[i];
				r->route = rt;
				strbuf_release(&allow);
				return true;
			}
			strbuf_addf(&allow, "%s%s%s", allow.len > 0 ? ", " : "",
			    rt->method, strcmp(rt->method, "GET") == 0 ?
			    ", HEAD" : "");
		}
	r->face = face_by_prefix(r->path);
	if (allow.len > 0) {
		admin_set_header(r, "Allow", strbuf_str(&allow));
		admin_fail(r, 405, "%s is not allowed here; use %s", method,
		    strbuf_str(&allow));
	} else
		admin_fail(r, 404, "no such route: %s %s", method, r->path);
	strbuf_release(&allow);
	return false;
}

static enum MHD_Result
scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	(void)kind;
	httplimit_header(cls, key, value);
	return MHD_YES;
}

static bool
has_body(struct admin_req *r)
{
	const char *cl = MHD_lookup_connection_value(r->priv->mc,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (cl != NULL && strcmp(cl, "0") != 0) ||
	    MHD_lookup_connection_value(r->priv->mc, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
}

bool
admin_tls(const struct admin_req *r)
{
	return r->priv->srv->tls_cert != NULL;
}

long
admin_auth_wait(struct admin_req *r)
{
	return admin_ratelimit_wait(r->priv->srv->rl, r->client,
	    httplimit_now());
}

void
admin_auth_failed(struct admin_req *r)
{
	admin_ratelimit_fail(r->priv->srv->rl, r->client, httplimit_now());
}

long
admin_auth_try(struct admin_req *r)
{
	return admin_ratelimit_try(r->priv->srv->rl, r->client,
	    httplimit_now());
}

void
admin_auth_forgive(struct admin_req *r)
{
	admin_ratelimit_forgive(r->priv->srv->rl, r->client);
}

/* Who asks, and may they: false after answering. */
static bool
authorize(struct admin_req *r)
{
	char wait[24];
	long secs;
	int rc;

	if ((secs = admin_auth_wait(r)) > 0) {
		snprintf(wait, sizeof(wait), "%ld", secs);
		admin_set_header(r, "Retry-After", wait);
		admin_fail(r, 429, "too many failed authentications from %s; "
		    "try again in %ld s", r->client, secs);
		return false;
	}
	rc = r->face->authenticate(r, &r->who);
	/* a body may take its time to arrive: its request holds no database
	 * connection meanwhile (one without a body goes on at once) */
	if (rc != 0 || has_body(r))
		release_db(r);
	if (rc == ADMIN_AUTH_BAD)
		admin_auth_failed(r);
	if (rc == ADMIN_AUTH_NONE || rc == ADMIN_AUTH_BAD) {
		admin_fail(r, 401, rc == ADMIN_AUTH_NONE ? "credentials are "
		    "required" : "the credentials are not valid");
		return false;
	}
	if (rc != 0) {
		admin_fail(r, admin_status_of(rc), "cannot check the credentials "
		    "now: %s", tally_strerror(rc));
		return false;
	}
	if (r->who.role < r->route->role) {
		admin_fail(r, 403, "%s may %s; this needs the %s role",
		    r->who.actor, admin_role_name(r->who.role),
		    admin_role_name(r->route->role));
		return false;
	}
	r->ops.actor = r->who.actor;
	return true;
}

/* First call: the headers are in. */
static enum MHD_Result
route(struct admin_req *r, const char *url, const char *method,
    const char *version)
{
	struct admin_server *srv = r->priv->srv;
	struct httplimit_headers h;
	unsigned long long clen = 0;
	const char *bad, *cl;

	r->priv->routed = true;
	r->method = method;
	r->path = url;
	client_address(r);
	memset(&h, 0, sizeof(h));
	MHD_get_connection_values(r->priv->mc, MHD_HEADER_KIND, scan_header,
	    &h);
	if ((bad = httplimit_framing_error(&h, version)) != NULL) {
		r->face = face_by_prefix(url);
		admin_fail(r, 400, "%s", bad);
		return send_early(r);
	}
	if (h.count > (size_t)srv->cfg.max_headers) {
		r->face = face_by_prefix(url);
		admin_fail(r, 400, "too many headers (at most %ld)",
		    srv->cfg.max_headers);
		return send_early(r);
	}
	if (!find_route(r, method))
		return send_early(r);
	if (atomic_load(&srv->draining)) {
		admin_fail(r, 503, "shutting down");
		return send_early(r);
	}
	if (r->route->role != ADMIN_ROLE_NONE && !authorize(r))
		return send_early(r);
	cl = MHD_lookup_connection_value(r->priv->mc, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && (!httplimit_parse_length(cl, &clen) ||
	    clen > (unsigned long long)srv->cfg.max_body)) {
		admin_fail(r, clen > (unsigned long long)srv->cfg.max_body ? 413 :
		    400, "%s", clen > (unsigned long long)srv->cfg.max_body ?
		    "the body is too large" : "malformed Content-Length");
		return send_early(r);
	}
	return MHD_YES;
}

static void
accept_body(struct admin_req *r, const char *data, size_t n)
{
	struct admin_priv *p = r->priv;
	size_t max = (size_t)p->srv->cfg.max_body, cap;

	if (p->too_large)
		return;
	if (n > max - p->rlen) {
		/* read and dropped, so the 413 can still be sent */
		p->too_large = true;
		free(p->rbody);
		p->rbody = NULL;
		p->rlen = p->rcap = 0;
		return;
	}
	if ((cap = httplimit_body_cap(p->rcap, p->rlen + n, max)) != p->rcap) {
		p->rbody = xrealloc(p->rbody, cap);
		p->rcap = cap;
	}
	memcpy(p->rbody + p->rlen, data, n);
	p->rlen += n;
}

/* ---- writes: dry run and Idempotency-Key ---- */

/* The answer kept for this request's key: replayed, or 422 for another
 * request.  Releases hit. */
static void
answer_kept(struct admin_req *r, struct admin_idem_hit *hit)
{
	if (strcmp(hit->fingerprint, r->priv->fingerprint) != 0)
		admin_fail(r, 422, "this Idempotency-Key was used with another "
		    "request (method, path, query or body)");
	else {
		admin_set_header(r, "Idempotent-Replayed", "true");
		if (hit->location != NULL)
			admin_set_header(r, "Location", hit->location);
		admin_answer(r, hit->status, hit->content_type, hit->body,
		    strlen(hit->body));
	}
	admin_idem_hit_release(hit);
}

/* false after answering. */
static bool
prepare_write(struct admin_req *r, bool *replayed)
{
	struct admin_priv *p = r->priv;
	struct admin_idem_hit hit;
	unsigned count = 0;
	const char *key;
	int rc;

	*replayed = false;
	if (!admin_query_flag(r, "dry_run", &r->dry_run))
		return false;
	r->ops.dry_run = r->dry_run;
	key = admin_header(r, "Idempotency-Key", &count);
	/* a dry run keeps nothing, so it neither replays nor records */
	if (key == NULL || r->dry_run)
		return true;
	if (count > 1 || !admin_idem_key_ok(key)) {
		admin_fail(r, 400, "Idempotency-Key must be one header of 1 to 255 "
		    "visible ASCII characters");
		return false;
	}
	p->idem_key = key;
	admin_idem_fingerprint(r->method, r->target, r->body, r->body_len,
	    p->fingerprint);
	if ((rc = ops_connect(&r->ops)) != 0) {
		admin_fail_ops(r, rc);
		return false;
	}
	rc = admin_idem_find(r->ops.db, r->who.scope, key, &hit);
	if (rc == TALLY_ENOTFOUND) {
		r->ops.on_commit = admin_idem_on_commit;
		r->ops.on_commit_arg = r;
		return true;
	}
	if (rc != 0) {
		ops_db_fail(&r->ops, rc, "looking up the Idempotency-Key");
		admin_fail_ops(r, rc);
		return false;
	}
	*replayed = true;
	answer_kept(r, &hit);
	return false;
}

/* A concurrent request with the same key committed first: its answer. */
static void
replay_raced(struct admin_req *r)
{
	struct admin_idem_hit hit;
	int rc;

	r->priv->idem_raced = false;
	r->ops.on_commit = NULL;
	if ((rc = ops_connect(&r->ops)) == 0)
		rc = admin_idem_find(r->ops.db, r->who.scope, r->priv->idem_key,
		    &hit);
	if (rc != 0) {
		admin_fail(r, 409, "a request with this Idempotency-Key is being "
		    "answered; try again");
		return;
	}
	answer_kept(r, &hit);
}

/* Last call: the body is in. */
static enum MHD_Result
process(struct admin_req *r)
{
	struct admin_priv *p = r->priv;
	bool replayed;

	httpwatch_read(p->mc);
	if (p->too_large) {
		admin_fail(r, 413, "the body is too large (at most %ld bytes)",
		    p->srv->cfg.max_body);
		return send_answer(r);
	}
	if (p->rbody == NULL)
		p->rbody = xcalloc(1, 1);
	p->rbody[p->rlen] = '\0';
	r->body = p->rbody;
	r->body_len = p->rlen;
	if (memchr(r->body, '\0', r->body_len) != NULL) {
		admin_fail(r, 400, "the body holds a NUL byte");
		return send_answer(r);
	}
	/* the face's check of the whole request (the panel's CSRF token) */
	if (p->body_check != NULL && !p->body_check(r))
		return send_answer(r);
	if ((r->route->flags & ADMIN_WRITE) && !prepare_write(r, &replayed))
		return send_answer(r);
	if (r->route->handle == NULL)
		admin_fail(r, 501, "not available yet: %s", r->route->pending);
	else
		r->route->handle(r);
	if (p->idem_raced && p->status == 0)
		replay_raced(r);
	if (p->status == 0) {
		log_err("%s %s: the handler gave no answer (a bug)", r->method,
		    r->path);
		admin_fail(r, 500, "no answer");
	}
	return send_answer(r);
}

enum MHD_Result
admin_on_request(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct admin_req *r = *req_cls;

	if (r == NULL)
		*req_cls = r = admin_on_uri(cls, url, mc);
	if (!r->priv->routed)
		return route(r, url, method, version);
	if (r->priv->status != 0)
		return MHD_YES;	/* answered early: MHD sends it */
	if (*upload_data_size > 0) {
		accept_body(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return process(r);
}

void
admin_on_completed(void *cls, struct MHD_Connection *mc, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct admin_server *srv = cls;
	struct admin_req *r = *req_cls;

	(void)toe;
	if (r == NULL)
		return;
	*req_cls = NULL;
	/* cut at the deadline, or the client went away: logged all the same */
	if (!r->priv->logged)
		admin_access_write(r);
	req_free(r);
	httpwatch_end(mc);
	atomic_fetch_sub(&srv->inflight, 1);
}
