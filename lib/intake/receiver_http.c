/*
 * receiver_http.c - one request, from libmicrohttpd's callbacks to the
 * answer: framing checks, routing, limits, the body within the memory
 * budget, the signature and parse, the hand-over to the group commit, and
 * every answer (a 503 always with Retry-After).
 *
 * What the framing checks refuse, and why: a request whose body length is
 * ambiguous (two Content-Length headers, or one beside Transfer-Encoding)
 * is read differently by different parsers, so a proxy in front and this
 * receiver could disagree on where it ends (request smuggling); it is
 * answered 400 and its connection closed.  So is HTTP/1.1 without Host,
 * and any Transfer-Encoding but chunked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "base/err.h"
#include "base/log.h"
#include "intake/httplimit.h"
#include "intake/receiver_int.h"
#include "intake/receiver_metrics.h"

#define WEBHOOK_PREFIX "/webhooks/"
#define LOG_LINES_PER_SECOND 20

/* Request logs are rate-limited: a flood of forged requests must not
 * become a flood of journal lines. */
static bool
log_allowed(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static time_t window;
	static unsigned lines, dropped;
	time_t now = time(NULL);
	bool ok;

	pthread_mutex_lock(&lock);
	if (now != window) {
		if (dropped > 0)
			log_notice("%u request log lines suppressed", dropped);
		window = now;
		lines = dropped = 0;
	}
	ok = ++lines <= LOG_LINES_PER_SECOND;
	if (!ok)
		dropped++;
	pthread_mutex_unlock(&lock);
	return ok;
}

static void
client_address(struct MHD_Connection *mc, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(buf, len, "?");
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    buf, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    buf, (socklen_t)len);
}

/* A JSON string body for a reason; reasons are ours, but may hold quotes. */
static void
json_reason(char *out, size_t len, const char *status, const char *reason)
{
	size_t o;
	int n;

	n = snprintf(out, len, "{\"status\":\"%s\",\"reason\":\"", status);
	o = n > 0 ? (size_t)n : 0;
	for (const char *p = reason; *p != '\0' && o + 8 < len; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
		}
	}
	snprintf(out + o, len - o, "\"}");
}

/* ---- answers ---- */

static enum MHD_Result
send_answer(struct rreq *r, const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	atomic_store(&r->state, RS_ANSWERED);
	resp = MHD_create_response_from_buffer(strlen(r->answer), r->answer,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	/* every 503 says when to come back: providers honour it */
	if (r->status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (r->close || atomic_load(&r->srv->draining))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(r->mc, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	if (r->route == ROUTE_WEBHOOK || r->route == ROUTE_NONE)
		receiver_metrics_request(r->src != NULL ? r->src->slot : 0,
		    r->status);
	return ret;
}

static void
set_error(struct rreq *r, int status, const char *reason)
{
	r->status = status;
	json_reason(r->answer, sizeof(r->answer),
	    status == MHD_HTTP_SERVICE_UNAVAILABLE ? "unavailable" : "error",
	    reason);
}

static enum MHD_Result
reject(struct rreq *r, int status, const char *reason, const char *allow)
{
	char addr[INET6_ADDRSTRLEN];

	set_error(r, status, reason);
	if (r->route == ROUTE_WEBHOOK && log_allowed()) {
		client_address(r->mc, addr, sizeof(addr));
		log_info("%s %s: %d %s", addr,
		    r->src != NULL ? r->src->name : "-", status, reason);
	}
	return send_answer(r, allow);
}

/* A refusal after which the connection is not reused: the rest of the
 * request cannot be trusted to be where the client says it is. */
static enum MHD_Result
reject_close(struct rreq *r, int status, const char *reason)
{
	r->close = true;
	return reject(r, status, reason, NULL);
}

static void
set_stored(struct rreq *r, const struct receiver_job *job)
{
	r->status = MHD_HTTP_OK;
	if (r->parsed.kind == RECEIVER_BODY_NDJSON)
		snprintf(r->answer, sizeof(r->answer),
		    "{\"status\":\"%s\",\"stored\":%zu,\"duplicate\":%zu}",
		    job->stored > 0 ? "stored" : "duplicate", job->stored,
		    job->duplicates);
	else
		snprintf(r->answer, sizeof(r->answer), "{\"status\":\"%s\"}",
		    job->stored > 0 ? "stored" : "duplicate");
}

/* ---- the memory budget for bodies ---- */

/* Hold n more bytes of srv->buffered for r; false past max_inflight_bytes. */
static bool
budget_take(struct rreq *r, size_t n)
{
	long now = atomic_fetch_add(&r->srv->buffered, (long)n) + (long)n;

	if (now > r->snap->max_inflight) {
		atomic_fetch_sub(&r->srv->buffered, (long)n);
		return false;
	}
	r->reserved += n;
	receiver_metrics_gauge_add(RM_BODY_BYTES, (long)n);
	return true;
}

static void
drop_body(struct rreq *r)
{
	free(r->body);
	r->body = NULL;
	r->len = r->cap = 0;
	if (r->reserved > 0) {
		atomic_fetch_sub(&r->srv->buffered, (long)r->reserved);
		receiver_metrics_gauge_add(RM_BODY_BYTES, -(long)r->reserved);
	}
	r->reserved = 0;
}

/* ---- request objects ---- */

static struct rreq *
rreq_new(struct server *srv, struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci;
	struct rreq *r = xcalloc(1, sizeof(*r));

	atomic_init(&r->refs, 1);
	atomic_init(&r->state, RS_READING);
	r->srv = srv;
	r->mc = mc;
	r->thread = pthread_self();
	r->started = httplimit_now();
	r->snap = receiver_snapshot_get(srv);
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	r->conn = ci != NULL ? ci->socket_context : NULL;
	if (r->conn != NULL) {
		pthread_mutex_lock(&srv->conn_lock);
		r->conn->req = r;
		pthread_mutex_unlock(&srv->conn_lock);
	}
	atomic_fetch_add(&srv->inflight, 1);
	receiver_metrics_gauge_add(RM_INFLIGHT, 1);
	return r;
}

void
receiver_rreq_unref(struct rreq *r)
{
	if (atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	receiver_parsed_release(&r->parsed);
	drop_body(r);
	free(r->content_type);
	receiver_snapshot_unref(r->snap);
	free(r);
}

/* MHD_OPTION_URI_LOG_CALLBACK: the request line has arrived; this is when
 * the request's deadline starts. */
void *
receiver_on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
	(void)uri;
	return rreq_new(cls, mc);
}

void
receiver_on_completed(void *cls, struct MHD_Connection *mc, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct rreq *r = *req_cls;
	int expect = RS_QUEUED;

	(void)mc;
	(void)toe;
	if (r == NULL)
		return;
	*req_cls = NULL;
	pthread_mutex_lock(&srv->conn_lock);
	if (r->conn != NULL && r->conn->req == r) {
		r->conn->req = NULL;
		r->conn->phase_start = httplimit_now();
	}
	pthread_mutex_unlock(&srv->conn_lock);
	/* only at daemon stop can a queued request end: nobody may resume
	 * this connection any more */
	atomic_compare_exchange_strong(&r->state, &expect, RS_ANSWERED);
	atomic_fetch_sub(&srv->inflight, 1);
	receiver_metrics_gauge_add(RM_INFLIGHT, -1);
	receiver_rreq_unref(r);
}

void
receiver_on_connection(void *cls, struct MHD_Connection *mc,
    void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	struct server *srv = cls;
	const union MHD_ConnectionInfo *ci;
	struct rconn *c;
	int one = 1;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		c = xcalloc(1, sizeof(*c));
		ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		c->fd = ci != NULL ? ci->connect_fd : -1;
		c->phase_start = httplimit_now();
		/* answers are one small write each; never wait for Nagle */
		if (c->fd >= 0)
			setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
		pthread_mutex_lock(&srv->conn_lock);
		c->next = srv->conns.next;
		c->prev = &srv->conns;
		srv->conns.next->prev = c;
		srv->conns.next = c;
		pthread_mutex_unlock(&srv->conn_lock);
		*socket_context = c;
		receiver_metrics_gauge_add(RM_CONNECTIONS, 1);
		return;
	}
	if ((c = *socket_context) == NULL)
		return;
	/* MHD closes the socket after this returns: while c is listed (and
	 * conn_lock held) its fd is still this connection's */
	pthread_mutex_lock(&srv->conn_lock);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	if (c->req != NULL)
		c->req->conn = NULL;
	pthread_mutex_unlock(&srv->conn_lock);
	*socket_context = NULL;
	free(c);
	receiver_metrics_gauge_add(RM_CONNECTIONS, -1);
}

/*
 * libmicrohttpd 0.9.75 answers a malformed or negative Content-Length
 * itself, before any callback of ours, and writes that answer's headers
 * twice (it builds them when it queues its error, then again when it
 * starts the reply).  It logs the reason just before, in the thread that
 * runs the connection.  In that thread at most one connection has a
 * complete header block that was not routed yet (routing follows the
 * header block in the same pass): that one gets a proper answer here, and
 * its sending side is shut, so libmicrohttpd's own answer never leaves.
 * If the connection cannot be told for certain, its answer is left alone.
 */
static void
answer_before_mhd(struct server *srv, int status, const char *reason)
{
	struct rconn *c, *found = NULL;
	struct strbuf out = STRBUF_INIT;
	char body[160];
	int n = 0;

	pthread_mutex_lock(&srv->conn_lock);
	for (c = srv->conns.next; c != &srv->conns; c = c->next)
		if (c->req != NULL && pthread_equal(c->req->thread,
		    pthread_self()) && !c->req->routed &&
		    MHD_get_connection_info(c->req->mc,
		    MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE) != NULL) {
			found = c;
			n++;
		}
	if (n == 1 && found->fd >= 0) {
		json_reason(body, sizeof(body), "error", reason);
		strbuf_addf(&out, "HTTP/1.1 %d %s\r\nContent-Type: "
		    "application/json\r\nCache-Control: no-store\r\nConnection: "
		    "close\r\nContent-Length: %zu\r\n\r\n%s", status,
		    status == 413 ? "Content Too Large" : "Bad Request",
		    strlen(body), body);
		/* a fresh connection's send buffer takes it whole */
		if (send(found->fd, out.buf, out.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_debug("http: early answer: %s", strerror(errno));
		shutdown(found->fd, SHUT_WR);
		found->req->status = status;
		found->req->close = true;
	}
	pthread_mutex_unlock(&srv->conn_lock);
	if (n == 1) {
		receiver_metrics_request(0, status);
		receiver_metrics_count(RM_FRAMING);
		if (log_allowed())
			log_info("-: %d %s", status, reason);
	}
	strbuf_release(&out);
}

/* libmicrohttpd 0.9.75's messages for those two cases */
#define MHD_CL_MALFORMED "Failed to parse `Content-Length' header"
#define MHD_CL_TOO_LARGE "Too large value of 'Content-Length' header"

void
receiver_on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_debug("http: %s", buf);
	if (strncmp(fmt, MHD_CL_MALFORMED, sizeof(MHD_CL_MALFORMED) - 1) == 0)
		answer_before_mhd(cls, MHD_HTTP_BAD_REQUEST,
		    "malformed Content-Length");
	else if (strncmp(fmt, MHD_CL_TOO_LARGE, sizeof(MHD_CL_TOO_LARGE) - 1) == 0)
		answer_before_mhd(cls, MHD_HTTP_CONTENT_TOO_LARGE,
		    "body too large");
}

/* ---- the commit ---- */

/* A committer finished this job (any thread). */
static void
job_done(struct receiver_job *job)
{
	struct rreq *r = (struct rreq *)(void *)((char *)job -
	    offsetof(struct rreq, job));
	int expect = RS_QUEUED;

	if (atomic_compare_exchange_strong(&r->state, &expect, RS_CLAIMED)) {
		if (job->status == MHD_HTTP_OK && !job->ping)
			set_stored(r, job);
		else if (job->status == MHD_HTTP_OK)
			snprintf(r->answer, sizeof(r->answer),
			    "{\"status\":\"ok\"}");
		else
			set_error(r, job->status, job->reason != NULL ?
			    job->reason : "database unavailable");
		r->status = job->status;
		atomic_store(&r->state, RS_ANSWERED);
		MHD_resume_connection(r->mc);
	}
	receiver_rreq_unref(r);
}

bool
receiver_expire(struct rreq *r, const char *reason)
{
	int expect = RS_QUEUED;

	if (!atomic_compare_exchange_strong(&r->state, &expect, RS_CLAIMED))
		return false;
	set_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, reason);
	atomic_store(&r->state, RS_ANSWERED);
	MHD_resume_connection(r->mc);
	return true;
}

/* Queue r's job; a refusal is answered 503 at once.  The connection is
 * suspended before the job is queued: a committer may answer at once, and
 * resuming a connection that is not yet suspended is undefined. */
static void
submit(struct server *srv, struct rreq *r)
{
	int rc;

	atomic_fetch_add(&r->refs, 1);
	atomic_store(&r->state, RS_QUEUED);
	MHD_suspend_connection(r->mc);
	rc = receiver_store_submit(srv->store, &r->job);
	if (rc != 0) {
		receiver_rreq_unref(r);
		if (rc == TALLY_EREFUSED)
			receiver_metrics_count(RM_OVERLOAD);
		receiver_expire(r, rc == TALLY_EREFUSED ? "overloaded" :
		    "database unavailable");
	}
}

/* ---- routing and the request itself ---- */

struct header_scan {
	struct receiver_headers *h;
	struct httplimit_headers lim;	/* count and framing */
	unsigned ct_seen;
	unsigned seen[5];
};

static enum MHD_Result
scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	static const char *const names[5] = {
		"webhook-id", "webhook-timestamp", "webhook-signature",
		"stripe-signature", "x-callback-token",
	};
	struct header_scan *s = cls;
	const char **slot[5] = {
		&s->h->wh_id, &s->h->wh_timestamp, &s->h->wh_signature,
		&s->h->stripe_signature, &s->h->callback_token,
	};

	(void)kind;
	httplimit_header(&s->lim, key, value);
	if (key == NULL)
		return MHD_YES;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_TYPE) == 0) {
		if (s->ct_seen++ == 0)
			s->h->content_type = value;
		return MHD_YES;
	}
	for (size_t i = 0; i < 5; i++)
		if (strcasecmp(key, names[i]) == 0) {
			if (s->seen[i]++ == 0)
				*slot[i] = value != NULL ? value : "";
			else
				s->h->duplicated = true;
		}
	return MHD_YES;
}

static enum MHD_Result
health(struct server *srv, struct rreq *r)
{
	if (atomic_load(&srv->draining)) {
		set_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down");
		return send_answer(r, NULL);
	}
	if (!receiver_store_db_up(srv->store)) {
		set_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "database unavailable");
		return send_answer(r, NULL);
	}
	/* the answer comes from a database round trip by a committer */
	r->job.ping = true;
	r->job.source = "";
	r->job.done = job_done;
	submit(srv, r);
	return MHD_YES;
}

static enum MHD_Result
metrics(struct rreq *r)
{
	struct strbuf sb = STRBUF_INIT;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	atomic_store(&r->state, RS_ANSWERED);
	receiver_metrics_render(&sb);
	resp = MHD_create_response_from_buffer(sb.len, sb.buf,
	    MHD_RESPMEM_MUST_COPY);
	strbuf_release(&sb);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(r->mc, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* First call: headers are in.  Decide what can be decided before reading a
 * byte of the body. */
static enum MHD_Result
route(struct server *srv, struct rreq *r, const char *url, const char *method,
    const char *version)
{
	struct header_scan scan;
	unsigned long long clen = 0;
	const char *cl, *name, *bad;
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;

	r->routed = true;
	memset(&scan, 0, sizeof(scan));
	scan.h = &r->hdr;
	MHD_get_connection_values(r->mc, MHD_HEADER_KIND, scan_header, &scan);
	if ((bad = httplimit_framing_error(&scan.lim, version)) != NULL) {
		receiver_metrics_count(RM_FRAMING);
		return reject_close(r, MHD_HTTP_BAD_REQUEST, bad);
	}
	/* GET endpoints answer at the last call: an answer queued with the
	 * headers makes MHD close the connection (the body might be unread) */
	if (strcmp(url, "/healthz") == 0) {
		r->route = ROUTE_HEALTH;
		return get ? MHD_YES : reject(r, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed", "GET, HEAD");
	}
	if (strcmp(url, "/metrics") == 0) {
		r->route = ROUTE_METRICS;
		return get ? MHD_YES : reject(r, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed", "GET, HEAD");
	}
	if (strncmp(url, WEBHOOK_PREFIX, strlen(WEBHOOK_PREFIX)) != 0)
		return reject(r, MHD_HTTP_NOT_FOUND, "not found", NULL);
	r->route = ROUTE_WEBHOOK;
	name = url + strlen(WEBHOOK_PREFIX);
	if ((r->src = receiver_snapshot_find(r->snap, name)) == NULL)
		return reject(r, MHD_HTTP_NOT_FOUND, "unknown source", NULL);
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return reject(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
		    "POST");
	if (atomic_load(&srv->draining)) {
		receiver_metrics_count(RM_OVERLOAD);
		return reject(r, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down",
		    NULL);
	}
	if (scan.lim.count > (size_t)r->snap->max_headers)
		return reject(r, MHD_HTTP_BAD_REQUEST, "too many headers", NULL);
	if (scan.ct_seen > 1)
		return reject(r, MHD_HTTP_BAD_REQUEST, "duplicated Content-Type",
		    NULL);
	if (receiver_parse_content_type(r->src->scheme, r->hdr.content_type) ==
	    RECEIVER_BODY_UNSUPPORTED)
		return reject(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
		    "unsupported content type", NULL);
	cl = MHD_lookup_connection_value(r->mc, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		if (!httplimit_parse_length(cl, &clen)) {
			receiver_metrics_count(RM_FRAMING);
			return reject_close(r, MHD_HTTP_BAD_REQUEST,
			    "malformed Content-Length");
		}
		if (clen > (unsigned long long)r->snap->max_body)
			return reject_close(r, MHD_HTTP_CONTENT_TOO_LARGE,
			    "body too large");
		/* the whole declared body is held from now on: a slow client
		 * holds its share of the budget, not more */
		if (!budget_take(r, (size_t)clen + 1)) {
			receiver_metrics_count(RM_BODY_BUDGET);
			return reject_close(r, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "overloaded: too many request bodies in memory");
		}
		r->cap = (size_t)clen + 1;
		r->body = xmalloc(r->cap);
	}
	r->content_type = xstrdup(r->hdr.content_type);
	return MHD_YES;
}

/*
 * Body bytes.  A body that grows past max_body, or past what the memory
 * budget still has, is dropped and the rest read and discarded, so the
 * answer (413, or 503) can be sent once the client has sent it all; one
 * that never ends is cut at the request deadline like any slow request.
 */
static void
accept_body(struct rreq *r, const char *data, size_t n)
{
	size_t max = (size_t)r->snap->max_body, cap;

	if (r->too_large || r->over_budget)
		return;
	if (n > max - r->len) {
		r->too_large = true;
		drop_body(r);
		return;
	}
	if ((cap = httplimit_body_cap(r->cap, r->len + n, max)) != r->cap) {
		if (!budget_take(r, cap - r->cap)) {
			r->over_budget = true;
			receiver_metrics_count(RM_BODY_BUDGET);
			drop_body(r);
			return;
		}
		r->body = xrealloc(r->body, cap);
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
}

/* Last call: the body is complete. */
static enum MHD_Result
process(struct server *srv, struct rreq *r)
{
	int rc;

	if (r->too_large)
		return reject(r, MHD_HTTP_CONTENT_TOO_LARGE, "body too large", NULL);
	if (r->over_budget)
		return reject_close(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "overloaded: too many request bodies in memory");
	if (r->body == NULL) {
		if (!budget_take(r, 1)) {
			receiver_metrics_count(RM_BODY_BUDGET);
			return reject(r, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "overloaded: too many request bodies in memory", NULL);
		}
		r->body = xmalloc(1);
		r->cap = 1;
	}
	r->body[r->len] = '\0';
	if (memchr(r->body, '\0', r->len) != NULL)
		return reject(r, MHD_HTTP_BAD_REQUEST, "NUL byte in the body", NULL);
	rc = receiver_parse(r->src, &r->hdr, r->body, r->len, time(NULL),
	    &r->parsed);
	if (rc != 0) {
		if (r->parsed.status == MHD_HTTP_UNAUTHORIZED)
			receiver_metrics_signature_failure(r->src->slot);
		return reject(r, r->parsed.status, r->parsed.reason, NULL);
	}
	if (atomic_load(&srv->draining)) {
		receiver_metrics_count(RM_OVERLOAD);
		return reject(r, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down",
		    NULL);
	}
	r->job.source = r->src->name;
	r->job.scheme = config_scheme_name(r->src->scheme);
	r->job.content_type = r->content_type;
	r->job.body = r->body;
	r->job.body_len = r->len;
	r->job.rows = r->parsed.rows;
	r->job.nrows = r->parsed.nrows;
	r->job.slot = r->src->slot;
	r->job.done = job_done;
	submit(srv, r);
	return MHD_YES;
}

enum MHD_Result
receiver_on_request(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct server *srv = cls;
	struct rreq *r = *req_cls;

	if (r == NULL)
		*req_cls = r = rreq_new(srv, mc);
	if (!r->routed)
		return route(srv, r, url, method, version);
	if (*upload_data_size > 0) {
		if (atomic_load(&r->state) == RS_READING)
			accept_body(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	switch (atomic_load(&r->state)) {
	case RS_READING:
		if (r->route == ROUTE_HEALTH)
			return health(srv, r);
		if (r->route == ROUTE_METRICS)
			return metrics(r);
		return process(srv, r);
	case RS_ANSWERED:
		return send_answer(r, NULL);
	default:
		/* suspended: MHD does not call us until resumed */
		return MHD_YES;
	}
}
