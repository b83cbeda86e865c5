#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <systemd/sd-daemon.h>

#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "intake/receiver.h"
#include "intake/receiver_metrics.h"
#include "intake/receiver_parse.h"
#include "intake/receiver_store.h"
#include "base/strbuf.h"

#define WEBHOOK_PREFIX "/webhooks/"
#define REAPER_INTERVAL_NS (100L * 1000000L)
#define DRAIN_GRACE 2.0			/* seconds past the deadline */
#define LOG_LINES_PER_SECOND 20
#define MIN_COMMITTERS 2
#define MAX_COMMITTERS 8
/*
 * MHD's per-connection memory (headers and read buffer).  It zeroes the
 * used part for every request, which at the default 32 KiB was the
 * receiver's largest single cost; webhook headers are small.
 */
#define CONNECTION_MEMORY (16U * 1024)

/* The configuration in force: requests hold a reference to the one they
 * started with, so a reload never pulls a source from under them. */
struct snapshot {
	atomic_int refs;
	struct receiver_source *sources;
	size_t nsources;
	long max_body;
	long deadline;
	long max_headers;
	long commit_batch;
	long queue_limit;
	/* fixed at start: a reload that changes them only warns */
	char *listen;
	bool reuse_port;
	long threads;
	long max_connections;
	long per_ip;
};

enum route {
	ROUTE_NONE,
	ROUTE_WEBHOOK,
	ROUTE_HEALTH,
	ROUTE_METRICS
};

enum rstate {
	RS_READING,		/* headers or body still arriving, or parsing */
	RS_QUEUED,		/* suspended, waiting for the commit */
	RS_CLAIMED,		/* a committer or the reaper is writing the answer */
	RS_ANSWERED		/* the answer is set (and maybe queued) */
};

struct rconn;

struct rreq {
	atomic_int refs;
	atomic_int state;
	struct server *srv;
	struct MHD_Connection *mc;
	struct rconn *conn;
	struct snapshot *snap;
	const struct receiver_source *src;
	enum route route;
	double started;
	bool routed;
	bool too_large;
	bool abort;
	char *body;
	size_t len;
	size_t cap;
	size_t discarded;
	char *content_type;
	struct receiver_headers hdr;
	struct receiver_parsed parsed;
	struct receiver_job job;
	int status;
	char answer[256];
};

struct rconn {
	struct rconn *prev, *next;
	int fd;
	double phase_start;	/* connected, or last request completed */
	struct rreq *req;
	bool cut;
};

struct server {
	struct MHD_Daemon *d;
	struct receiver_store *store;
	const char *config_path;
	pthread_mutex_t snap_lock;
	struct snapshot *snap;
	pthread_mutex_t conn_lock;
	struct rconn conns;	/* list head */
	atomic_bool draining;
	atomic_long inflight;
	atomic_bool reaper_stop;
	pthread_t reaper;
	unsigned short port;
};

/* ---- small helpers ---- */

static void
snapshot_unref(struct snapshot *s)
{
	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (size_t i = 0; i < s->nsources; i++)
		receiver_source_release(&s->sources[i]);
	free(s->sources);
	free(s->listen);
	free(s);
}

static struct snapshot *
snapshot_get(struct server *srv)
{
	struct snapshot *s;

	pthread_mutex_lock(&srv->snap_lock);
	s = srv->snap;
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&srv->snap_lock);
	return s;
}

static const struct receiver_source *
snapshot_find(const struct snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->nsources; i++)
		if (strcmp(s->sources[i].name, name) == 0)
			return &s->sources[i];
	return NULL;
}

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
send_answer(struct rreq *r, const char *allow, bool close)
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
	if (r->status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (close || atomic_load(&r->srv->draining))
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
	return send_answer(r, allow, false);
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
	r->started = receiver_now();
	r->snap = snapshot_get(srv);
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

static void
rreq_unref(struct rreq *r)
{
	if (atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	receiver_parsed_release(&r->parsed);
	free(r->body);
	free(r->content_type);
	snapshot_unref(r->snap);
	free(r);
}

/* MHD_OPTION_URI_LOG_CALLBACK: the request line has arrived; this is when
 * the request's deadline starts. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
	(void)uri;
	return rreq_new(cls, mc);
}

static void
on_completed(void *cls, struct MHD_Connection *mc, void **req_cls,
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
		r->conn->phase_start = receiver_now();
	}
	pthread_mutex_unlock(&srv->conn_lock);
	/* only at daemon stop can a queued request end: nobody may resume
	 * this connection any more */
	atomic_compare_exchange_strong(&r->state, &expect, RS_ANSWERED);
	atomic_fetch_sub(&srv->inflight, 1);
	receiver_metrics_gauge_add(RM_INFLIGHT, -1);
	rreq_unref(r);
}

static void
on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct server *srv = cls;
	const union MHD_ConnectionInfo *ci;
	struct rconn *c;
	int one = 1;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		c = xcalloc(1, sizeof(*c));
		ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		c->fd = ci != NULL ? ci->connect_fd : -1;
		c->phase_start = receiver_now();
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

__attribute__((format(printf, 2, 0)))
static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_debug("http: %s", buf);
}

/* ---- the commit and the deadline ---- */

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
	rreq_unref(r);
}

/* Answer a queued request 503 unless a committer got there first. */
static bool
expire(struct rreq *r, const char *reason)
{
	int expect = RS_QUEUED;

	if (!atomic_compare_exchange_strong(&r->state, &expect, RS_CLAIMED))
		return false;
	set_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, reason);
	atomic_store(&r->state, RS_ANSWERED);
	MHD_resume_connection(r->mc);
	return true;
}

static long
current_deadline(struct server *srv)
{
	long d;

	pthread_mutex_lock(&srv->snap_lock);
	d = srv->snap->deadline;
	pthread_mutex_unlock(&srv->snap_lock);
	return d;
}

/*
 * One pass over the connections.  all: expire every queued request now
 * (shutdown past its grace).  Requests are referenced under conn_lock and
 * resumed after it is released: MHD takes its own locks in resume.
 */
static void
reap(struct server *srv, bool all)
{
	struct rreq **due = NULL;
	size_t n = 0, cap = 0;
	double now = receiver_now();
	double deadline = (double)current_deadline(srv);
	struct rconn *c;

	pthread_mutex_lock(&srv->conn_lock);
	for (c = srv->conns.next; c != &srv->conns; c = c->next) {
		struct rreq *r = c->req;

		if (r != NULL) {
			int st = atomic_load(&r->state);

			if (st == RS_QUEUED && (all || now - r->started > deadline)) {
				if (n == cap) {
					cap = cap ? cap * 2 : 16;
					due = xrealloc(due, cap * sizeof(*due));
				}
				atomic_fetch_add(&r->refs, 1);
				due[n++] = r;
			} else if (st == RS_READING && !c->cut &&
			    now - r->started > deadline) {
				/* MHD sees the end of the stream and closes */
				shutdown(c->fd, SHUT_RDWR);
				c->cut = true;
				receiver_metrics_count(RM_DEADLINE_CUTS);
			}
		} else if (!c->cut && c->fd >= 0 &&
		    now - c->phase_start > deadline + 1) {
			/*
			 * No request line a deadline after the connection (or
			 * its last request) began: bytes trickling in without
			 * ever making one.  A silent connection was closed a
			 * second earlier by MHD's idle timeout (the deadline),
			 * so only tricklers are counted here.
			 */
			shutdown(c->fd, SHUT_RDWR);
			c->cut = true;
			receiver_metrics_count(RM_DEADLINE_CUTS);
		}
	}
	pthread_mutex_unlock(&srv->conn_lock);
	for (size_t i = 0; i < n; i++) {
		if (expire(due[i], all ? "shutting down" : "deadline exceeded"))
			receiver_metrics_count(RM_DEADLINE_503);
		rreq_unref(due[i]);
	}
	free(due);
}

static void *
reaper_main(void *arg)
{
	struct server *srv = arg;
	struct timespec ts = { 0, REAPER_INTERVAL_NS };

	while (!atomic_load(&srv->reaper_stop)) {
		nanosleep(&ts, NULL);
		reap(srv, false);
	}
	return NULL;
}

/* ---- routing and the request itself ---- */

struct header_scan {
	struct receiver_headers *h;
	size_t count;
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
	s->count++;
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

static bool
parse_length(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (ULLONG_MAX - 9) / 10)
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return true;
}

static enum MHD_Result
health(struct server *srv, struct rreq *r)
{
	if (atomic_load(&srv->draining)) {
		set_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down");
		return send_answer(r, NULL, false);
	}
	if (!receiver_store_db_up(srv->store)) {
		set_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "database unavailable");
		return send_answer(r, NULL, false);
	}
	/* the answer comes from a database round trip by a committer */
	r->job.ping = true;
	r->job.source = "";
	r->job.done = job_done;
	atomic_fetch_add(&r->refs, 1);
	atomic_store(&r->state, RS_QUEUED);
	MHD_suspend_connection(r->mc);
	if (receiver_store_submit(srv->store, &r->job) != 0) {
		rreq_unref(r);
		expire(r, "database unavailable");
	}
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
route(struct server *srv, struct rreq *r, const char *url, const char *method)
{
	struct header_scan scan;
	unsigned long long clen = 0;
	const char *cl, *name;
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;

	r->routed = true;
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
	if ((r->src = snapshot_find(r->snap, name)) == NULL)
		return reject(r, MHD_HTTP_NOT_FOUND, "unknown source", NULL);
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return reject(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
		    "POST");
	if (atomic_load(&srv->draining)) {
		receiver_metrics_count(RM_OVERLOAD);
		return reject(r, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down",
		    NULL);
	}
	memset(&scan, 0, sizeof(scan));
	scan.h = &r->hdr;
	MHD_get_connection_values(r->mc, MHD_HEADER_KIND, scan_header, &scan);
	if (scan.count > (size_t)r->snap->max_headers)
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
		if (!parse_length(cl, &clen))
			return reject(r, MHD_HTTP_BAD_REQUEST,
			    "malformed Content-Length", NULL);
		if (clen > (unsigned long long)r->snap->max_body)
			return reject(r, MHD_HTTP_CONTENT_TOO_LARGE,
			    "body too large", NULL);
		r->cap = (size_t)clen + 1;
		r->body = xmalloc(r->cap);
	}
	r->content_type = xstrdup(r->hdr.content_type);
	return MHD_YES;
}

static void
accept_body(struct rreq *r, const char *data, size_t n)
{
	size_t max = (size_t)r->snap->max_body;

	if (r->too_large) {
		/* read and dropped, so the 413 can still be sent; past twice
		 * max_body the connection is simply closed */
		r->discarded += n;
		if (r->discarded / 2 > max)
			r->abort = true;
		return;
	}
	if (n > max - r->len) {
		r->too_large = true;
		r->discarded = r->len + n;
		free(r->body);
		r->body = NULL;
		r->len = r->cap = 0;
		return;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;

		while (cap < r->len + n + 1)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
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
	if (r->body == NULL) {
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
	/* suspended before it is queued: a committer may answer at once, and
	 * resuming a connection that is not yet suspended is undefined */
	atomic_fetch_add(&r->refs, 1);
	atomic_store(&r->state, RS_QUEUED);
	MHD_suspend_connection(r->mc);
	rc = receiver_store_submit(srv->store, &r->job);
	if (rc != 0) {
		rreq_unref(r);
		if (rc == TALLY_EREFUSED)
			receiver_metrics_count(RM_OVERLOAD);
		expire(r, rc == TALLY_EREFUSED ? "overloaded" :
		    "database unavailable");
	}
	return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct server *srv = cls;
	struct rreq *r = *req_cls;

	(void)version;
	if (r == NULL)
		*req_cls = r = rreq_new(srv, mc);
	if (!r->routed)
		return route(srv, r, url, method);
	if (*upload_data_size > 0) {
		if (atomic_load(&r->state) == RS_READING)
			accept_body(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return r->abort ? MHD_NO : MHD_YES;
	}
	switch (atomic_load(&r->state)) {
	case RS_READING:
		if (r->route == ROUTE_HEALTH)
			return health(srv, r);
		if (r->route == ROUTE_METRICS)
			return metrics(r);
		return process(srv, r);
	case RS_ANSWERED:
		return send_answer(r, NULL, false);
	default:
		/* suspended: MHD does not call us until resumed */
		return MHD_YES;
	}
}

/* ---- configuration ---- */

static void
snapshot_limits(struct snapshot *s, const struct config *cfg)
{
	s->max_body = cfg->max_body;
	s->deadline = cfg->request_deadline;
	s->max_headers = cfg->max_headers;
	s->commit_batch = cfg->commit_batch;
	s->queue_limit = cfg->queue_limit;
	s->listen = xstrdup(cfg->listen != NULL ? cfg->listen : "");
	s->reuse_port = cfg->reuse_port;
	s->threads = cfg->threads;
	s->max_connections = cfg->max_connections;
	s->per_ip = cfg->per_ip_connections;
}

/* Split "host:port", "[v6]:port" or ":port" / "*:port" (any address). */
static int
parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen,
    struct strbuf *err)
{
	struct addrinfo hints, *res = NULL;
	char host[256], port[16];
	const char *colon, *h;
	size_t hl;
	int gai;

	if (listen == NULL || listen[0] == '\0')
		goto bad;
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');

		if (close == NULL || close[1] != ':')
			goto bad;
		h = listen + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		if ((colon = strrchr(listen, ':')) == NULL)
			goto bad;
		h = listen;
		hl = (size_t)(colon - listen);
	}
	if (hl >= sizeof(host) || strlen(colon + 1) >= sizeof(port) ||
	    colon[1] == '\0')
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	gai = getaddrinfo(hl == 0 || strcmp(host, "*") == 0 ? NULL : host, port,
	    &hints, &res);
	if (gai != 0 || res == NULL) {
		strbuf_addf(err, "listen = %s: %s\n", listen, gai != 0 ?
		    gai_strerror(gai) : "no address");
		if (res != NULL)
			freeaddrinfo(res);
		return TALLY_ECONFIG;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	strbuf_addf(err, "listen = %s: expected HOST:PORT or [V6]:PORT\n",
	    listen != NULL ? listen : "");
	return TALLY_ECONFIG;
}

static int
snapshot_load(const char *path, struct snapshot **out, struct strbuf *err)
{
	struct config cfg;
	struct snapshot *s = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int rc;

	*out = NULL;
	rc = config_load(&cfg, path, err);
	if (rc == 0)
		rc = config_load_secrets(&cfg, err);
	if (rc != 0)
		goto done;
	if (cfg.nsources == 0) {
		strbuf_addf(err, "%s: no [source NAME] section: nothing to "
		    "receive\n", cfg.path != NULL ? cfg.path : "(defaults)");
		rc = TALLY_ECONFIG;
		goto done;
	}
	if ((rc = parse_listen(cfg.listen, &ss, &sslen, err)) != 0)
		goto done;
	s = xcalloc(1, sizeof(*s));
	atomic_init(&s->refs, 1);
	snapshot_limits(s, &cfg);
	s->sources = xcalloc(cfg.nsources, sizeof(*s->sources));
	for (size_t i = 0; i < cfg.nsources; i++) {
		if (receiver_source_init(&s->sources[i], &cfg.sources[i],
		    err) != 0) {
			rc = TALLY_ECONFIG;
			goto done;
		}
		s->nsources++;
		s->sources[i].slot = receiver_metrics_slot(s->sources[i].name);
	}
	*out = s;
	s = NULL;
done:
	/* the keys are derived: the raw secrets go (wiped) with the config */
	config_free(&cfg);
	snapshot_unref(s);
	return rc;
}

int
receiver_check_config(const char *config_path, struct strbuf *err)
{
	struct snapshot *s = NULL;
	int rc = snapshot_load(config_path, &s, err);

	snapshot_unref(s);
	return rc;
}

static void
reload(struct server *srv)
{
	struct strbuf err = STRBUF_INIT;
	struct snapshot *s = NULL, *old;
	char mono[64];
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(mono, sizeof(mono), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	sd_notify(0, mono);
	if (snapshot_load(srv->config_path, &s, &err) != 0) {
		const char *line = strbuf_str(&err), *nl;

		while (*line != '\0') {
			nl = strchr(line, '\n');
			if (nl == NULL)
				nl = line + strlen(line);
			log_err("reload: %.*s", (int)(nl - line), line);
			line = *nl != '\0' ? nl + 1 : nl;
		}
		log_err("reload refused: keeping the configuration in force");
		receiver_metrics_count(RM_RELOAD_FAILURES);
		sd_notify(0, "READY=1\nSTATUS=reload refused, old configuration "
		    "in force");
		strbuf_release(&err);
		return;
	}
	pthread_mutex_lock(&srv->snap_lock);
	old = srv->snap;
	if (strcmp(old->listen, s->listen) != 0 || old->threads != s->threads ||
	    old->max_connections != s->max_connections ||
	    old->per_ip != s->per_ip || old->reuse_port != s->reuse_port)
		log_warning("reload: listen, reuse_port, threads, "
		    "max_connections and per_ip_connections take effect only "
		    "on restart");
	srv->snap = s;
	pthread_mutex_unlock(&srv->snap_lock);
	receiver_store_set_limits(srv->store, s->commit_batch, s->queue_limit);
	snapshot_unref(old);
	receiver_metrics_count(RM_RELOADS);
	log_notice("configuration reloaded: %zu source(s)", s->nsources);
	sd_notify(0, "READY=1\nSTATUS=configuration reloaded");
	strbuf_release(&err);
}

/* ---- start, run, drain ---- */

/*
 * Two commit threads per core: one builds and sends its batch while another
 * waits for its WAL flush.  Measured on 2 cores: 4 threads did ~11k durable
 * requests/s at 64 connections where 2 did ~8k; 6 did no better and had a
 * worse p99.
 */
static int
committers_wanted(void)
{
	const char *e = getenv("TALLY_RECEIVER_COMMITTERS");
	long n = 2 * sysconf(_SC_NPROCESSORS_ONLN), v;
	char *end;

	if (n < MIN_COMMITTERS)
		n = MIN_COMMITTERS;
	if (n > MAX_COMMITTERS)
		n = MAX_COMMITTERS;
	if (e == NULL || *e == '\0')
		return (int)n;
	v = strtol(e, &end, 10);
	if (*end != '\0' || v < 1 || v > MAX_COMMITTERS) {
		log_warning("TALLY_RECEIVER_COMMITTERS=%s: not 1..%d; using %ld",
		    e, MAX_COMMITTERS, n);
		return (int)n;
	}
	return (int)v;
}

static int
start_http(struct server *srv, const struct snapshot *s)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct strbuf err = STRBUF_INIT;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;
	struct MHD_OptionItem where[3];
	int nfds, lfd = -1;

	nfds = sd_listen_fds(1);
	if (nfds > 1) {
		log_err("socket activation passed %d sockets; expected one", nfds);
		return TALLY_ECONFIG;
	}
	if (nfds == 1) {
		lfd = SD_LISTEN_FDS_START;
	} else {
		if (parse_listen(s->listen, &ss, &sslen, &err) != 0) {
			log_err("%s", strbuf_str(&err));
			strbuf_release(&err);
			return TALLY_ECONFIG;
		}
		if (ss.ss_family == AF_INET6)
			flags |= MHD_USE_IPv6;
	}
	memset(where, 0, sizeof(where));
	if (lfd >= 0) {
		where[0].option = MHD_OPTION_LISTEN_SOCKET;
		where[0].value = lfd;
	} else {
		where[0].option = MHD_OPTION_SOCK_ADDR;
		where[0].ptr_value = &ss;
	}
	/*
	 * reuse_port = yes: SO_REUSEPORT (MHD's LISTENING_ADDRESS_REUSE 1),
	 * so N receivers on one host share the port and the kernel spreads
	 * the connections.  Another process that joins takes a share of the
	 * deliveries, with its own secrets: Linux lets a socket join only
	 * when it too asks for SO_REUSEPORT and runs as the same effective
	 * user as the first, and a process of the tally user can read the
	 * secrets anyway.  Off by default (MHD's own SO_REUSEADDR is all a
	 * quick restart needs).  A socket from systemd is systemd's to share
	 * (ReusePort= in the .socket unit).
	 */
	where[1].option = MHD_OPTION_END;
	if (lfd < 0 && s->reuse_port) {
		where[1].option = MHD_OPTION_LISTENING_ADDRESS_REUSE;
		where[1].value = 1;
		where[2].option = MHD_OPTION_END;
	}
	/* MHD's connection timeout counts silence: the idle limit for a
	 * keep-alive connection; the whole-request deadline is the reaper's */
	srv->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)(s->threads > 1 ?
	    s->threads : 0),
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)s->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)s->per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)s->deadline,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
	    MHD_OPTION_ARRAY, where,
	    MHD_OPTION_END);
	if (srv->d == NULL) {
		log_err("cannot listen on %s: %s", lfd >= 0 ? "the socket from "
		    "systemd" : s->listen, strerror(errno));
		return TALLY_EUNAVAIL;
	}
	di = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = di != NULL ? di->port : 0;
	return 0;
}

static void
drain(struct server *srv)
{
	MHD_socket lfd;
	double until;
	struct timespec ts = { 0, 20L * 1000000L };

	atomic_store(&srv->draining, true);
	sd_notify(0, "STOPPING=1\nSTATUS=draining");
	log_notice("draining: %ld request(s) in flight",
	    atomic_load(&srv->inflight));
	lfd = MHD_quiesce_daemon(srv->d);
	until = receiver_now() + (double)current_deadline(srv) + DRAIN_GRACE;
	while (atomic_load(&srv->inflight) > 0 && receiver_now() < until)
		nanosleep(&ts, NULL);
	if (atomic_load(&srv->inflight) > 0) {
		log_warning("drain: %ld request(s) still in flight; answering "
		    "503", atomic_load(&srv->inflight));
		reap(srv, true);
		until = receiver_now() + DRAIN_GRACE;
		while (atomic_load(&srv->inflight) > 0 && receiver_now() < until)
			nanosleep(&ts, NULL);
	}
	atomic_store(&srv->reaper_stop, true);
	pthread_join(srv->reaper, NULL);
	MHD_stop_daemon(srv->d);
	srv->d = NULL;
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	receiver_store_stop(srv->store);
	srv->store = NULL;
}

static void
watchdog(struct server *srv, uint64_t usec)
{
	double age = receiver_now() - receiver_store_heartbeat(srv->store);

	/* a committer stuck past the watchdog period is not alive: let
	 * systemd restart us rather than hang with a queue that never moves */
	if (age * 1e6 < (double)usec)
		sd_notify(0, "WATCHDOG=1");
}

static int
serve(struct server *srv)
{
	sigset_t set;
	siginfo_t info;
	uint64_t wd_usec = 0;
	struct timespec wait;
	char status[256];
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sd_watchdog_enabled(0, &wd_usec) <= 0)
		wd_usec = 0;
	snprintf(status, sizeof(status), "READY=1\nSTATUS=listening on port "
	    "%u, database %s", (unsigned)srv->port,
	    receiver_store_db_up(srv->store) ? "up" : "down");
	sd_notify(0, status);
	log_notice("listening on port %u with %zu source(s)",
	    (unsigned)srv->port, srv->snap->nsources);
	for (;;) {
		wait.tv_sec = 1;
		wait.tv_nsec = 0;
		if (wd_usec > 0 && wd_usec / 2 < 1000000) {
			wait.tv_sec = 0;
			wait.tv_nsec = (long)(wd_usec / 2 * 1000);
		}
		sig = sigtimedwait(&set, &info, &wait);
		if (sig == SIGTERM || sig == SIGINT) {
			log_notice("%s: shutting down", sig == SIGTERM ?
			    "SIGTERM" : "SIGINT");
			break;
		}
		if (sig == SIGHUP)
			reload(srv);
		if (wd_usec > 0)
			watchdog(srv, wd_usec);
	}
	drain(srv);
	return 0;
}

int
receiver_run(const char *config_path)
{
	struct server srv;
	struct strbuf err = STRBUF_INIT;
	struct receiver_store_options so;
	sigset_t set;
	int rc, e;

	memset(&srv, 0, sizeof(srv));
	srv.config_path = config_path;
	srv.conns.next = srv.conns.prev = &srv.conns;
	pthread_mutex_init(&srv.snap_lock, NULL);
	pthread_mutex_init(&srv.conn_lock, NULL);
	atomic_init(&srv.draining, false);
	atomic_init(&srv.inflight, 0);
	atomic_init(&srv.reaper_stop, false);

	if ((rc = snapshot_load(config_path, &srv.snap, &err)) != 0) {
		fputs(strbuf_str(&err), stderr);
		strbuf_release(&err);
		return rc;
	}
	strbuf_release(&err);

	/* every thread started from here on inherits the blocked set: the
	 * signals are taken only by sigtimedwait in serve() */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&so, 0, sizeof(so));
	so.committers = committers_wanted();
	so.commit_batch = srv.snap->commit_batch;
	so.queue_limit = srv.snap->queue_limit;
	/*
	 * The reaper answers 503 at the deadline; the statement timeout, a
	 * second later, only frees a committer stuck behind a lock or a dead
	 * disk, so the queue moves again.
	 */
	so.statement_timeout_ms = srv.snap->deadline * 1000 + 1000;
	if ((rc = receiver_store_start(&srv.store, &so)) != 0)
		goto done;
	if ((rc = start_http(&srv, srv.snap)) != 0) {
		receiver_store_stop(srv.store);
		goto done;
	}
	if ((e = pthread_create(&srv.reaper, NULL, reaper_main, &srv)) != 0) {
		log_err("cannot start the deadline thread: %s", strerror(e));
		MHD_stop_daemon(srv.d);
		receiver_store_stop(srv.store);
		rc = TALLY_EINTERNAL;
		goto done;
	}
	rc = serve(&srv);
done:
	snapshot_unref(srv.snap);
	pthread_mutex_destroy(&srv.snap_lock);
	pthread_mutex_destroy(&srv.conn_lock);
	return rc;
}
