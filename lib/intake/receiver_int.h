/*
 * receiver_int.h - what the receiver's own files share (private to
 * lib/intake/receiver*.c): the configuration snapshot (receiver_conf.c),
 * the request and connection objects and the HTTP callbacks
 * (receiver_http.c), and the server that runs them (receiver.c).
 */
#ifndef TALLY_RECEIVER_INT_H
#define TALLY_RECEIVER_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "base/config.h"
#include "base/strbuf.h"
#include "intake/receiver_parse.h"
#include "intake/receiver_store.h"

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
	long max_inflight;	/* bytes of bodies buffered at once */
	/* fixed at start: a reload that changes them only warns */
	char *listen;
	bool reuse_port;
	long threads;
	long max_connections;
	long per_ip;		/* CONFIG_PER_IP_AUTO until resolved */
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
struct server;

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
	pthread_t thread;	/* the MHD thread that runs this connection */
	bool routed;
	bool too_large;		/* past max_body: read and dropped, then 413 */
	bool over_budget;	/* past max_inflight_bytes: dropped, then 503 */
	bool close;		/* answer with Connection: close */
	char *body;
	size_t len;
	size_t cap;
	size_t reserved;	/* bytes of srv->buffered this request holds */
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
	atomic_long buffered;	/* bytes of request bodies held */
	atomic_bool reaper_stop;
	pthread_t reaper;
	unsigned short port;
};

/* ---- receiver_conf.c ---- */

void receiver_snapshot_unref(struct snapshot *s);
struct snapshot *receiver_snapshot_get(struct server *srv);
const struct receiver_source *receiver_snapshot_find(const struct snapshot *s,
    const char *name);
/* The configuration, its source secrets and keys, checked. */
int receiver_snapshot_load(const char *path, struct snapshot **out,
    struct strbuf *err);
/* per_ip_connections in force for a bound address (auto resolved). */
unsigned receiver_per_ip_limit(long per_ip, const struct sockaddr *sa);
/* SIGHUP: load anew, keep the old configuration if the new is wrong. */
void receiver_reload(struct server *srv);
long receiver_current_deadline(struct server *srv);

/* ---- receiver_http.c: libmicrohttpd's callbacks ---- */

enum MHD_Result receiver_on_request(void *cls, struct MHD_Connection *mc,
    const char *url, const char *method, const char *version,
    const char *upload_data, size_t *upload_data_size, void **req_cls);
void *receiver_on_uri(void *cls, const char *uri, struct MHD_Connection *mc);
void receiver_on_completed(void *cls, struct MHD_Connection *mc,
    void **req_cls, enum MHD_RequestTerminationCode toe);
void receiver_on_connection(void *cls, struct MHD_Connection *mc,
    void **socket_context, enum MHD_ConnectionNotificationCode toe);
void receiver_on_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Answer a queued request 503 unless a committer got there first. */
bool receiver_expire(struct rreq *r, const char *reason);
void receiver_rreq_unref(struct rreq *r);

#endif
