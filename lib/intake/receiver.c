/*
 * receiver.c - tally-receiver's server: the listening socket and
 * libmicrohttpd, the committers (receiver_store.c), the deadline reaper,
 * signals, systemd notifications, and the drain at shutdown.  A request's
 * own path is in receiver_http.c, the configuration in receiver_conf.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <systemd/sd-daemon.h>

#include "base/daemon.h"
#include "base/err.h"
#include "base/log.h"
#include "intake/httplimit.h"
#include "intake/receiver.h"
#include "intake/receiver_int.h"
#include "intake/receiver_metrics.h"

#define REAPER_INTERVAL_NS (100L * 1000000L)
#define DRAIN_GRACE 2.0			/* seconds past the deadline */
#define MIN_COMMITTERS 2
#define MAX_COMMITTERS 8
/*
 * MHD's per-connection memory (headers and read buffer).  It zeroes the
 * used part for every request, which at the default 32 KiB was the
 * receiver's largest single cost; webhook headers are small.
 */
#define CONNECTION_MEMORY (16U * 1024)

/* ---- the deadline ---- */

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
	double now = httplimit_now();
	double deadline = (double)receiver_current_deadline(srv);
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
				/* counted first: whoever sees the close sees
				 * the count.  MHD sees the end of the stream
				 * and closes. */
				receiver_metrics_count(RM_DEADLINE_CUTS);
				shutdown(c->fd, SHUT_RDWR);
				c->cut = true;
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
			receiver_metrics_count(RM_DEADLINE_CUTS);
			shutdown(c->fd, SHUT_RDWR);
			c->cut = true;
		}
	}
	pthread_mutex_unlock(&srv->conn_lock);
	for (size_t i = 0; i < n; i++) {
		if (receiver_expire(due[i], all ? "shutting down" : "deadline exceeded"))
			receiver_metrics_count(RM_DEADLINE_503);
		receiver_rreq_unref(due[i]);
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
start_http(struct server *srv, struct snapshot *s)
{
	struct httplimit_where w;
	unsigned per_ip;
	struct strbuf err = STRBUF_INIT;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem where[3];
	int rc;

	if ((rc = httplimit_where(&w, "listen", s->listen, &flags, &err)) != 0)
		goto out;
	memset(where, 0, sizeof(where));
	where[0] = w.opt;
	per_ip = receiver_per_ip_limit(s->per_ip, (struct sockaddr *)&w.ss);
	if (s->per_ip == CONFIG_PER_IP_AUTO)
		log_info("per_ip_connections = auto: %s", per_ip == 0 ? "off (a "
		    "loopback address: clients come through a proxy)" : "64");
	s->per_ip = per_ip;
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
	if (w.lfd < 0 && s->reuse_port) {
		where[1].option = MHD_OPTION_LISTENING_ADDRESS_REUSE;
		where[1].value = 1;
		where[2].option = MHD_OPTION_END;
	}
	/* MHD's connection timeout counts silence: the idle limit for a
	 * keep-alive connection; the whole-request deadline is the reaper's */
	srv->d = MHD_start_daemon(flags, 0, NULL, NULL, receiver_on_request, srv,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)(s->threads > 1 ?
	    s->threads : 0),
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)s->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)s->deadline,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, receiver_on_completed, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, receiver_on_connection, srv,
	    MHD_OPTION_URI_LOG_CALLBACK, receiver_on_uri, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, receiver_on_mhd_log, srv,
	    MHD_OPTION_ARRAY, where,
	    MHD_OPTION_END);
	rc = httplimit_bound(srv->d, &w, s->listen, &srv->port, &err);
out:
	if (rc != 0)	/* one line, without its newline */
		log_err("%.*s", (int)err.len - 1, err.buf);
	strbuf_release(&err);
	return rc;
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
	until = httplimit_now() + (double)receiver_current_deadline(srv) + DRAIN_GRACE;
	while (atomic_load(&srv->inflight) > 0 && httplimit_now() < until)
		nanosleep(&ts, NULL);
	if (atomic_load(&srv->inflight) > 0) {
		log_warning("drain: %ld request(s) still in flight; answering "
		    "503", atomic_load(&srv->inflight));
		reap(srv, true);
		until = httplimit_now() + DRAIN_GRACE;
		while (atomic_load(&srv->inflight) > 0 && httplimit_now() < until)
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
	double age = httplimit_now() - receiver_store_heartbeat(srv->store);

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
			receiver_reload(srv);
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

	if ((rc = receiver_snapshot_load(config_path, &srv.snap, &err)) != 0) {
		fputs(strbuf_str(&err), stderr);
		strbuf_release(&err);
		return rc;
	}
	strbuf_release(&err);

	/* the signals are taken only by sigtimedwait in serve() */
	daemon_block_signals(&set);

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
	receiver_snapshot_unref(srv.snap);
	pthread_mutex_destroy(&srv.snap_lock);
	pthread_mutex_destroy(&srv.conn_lock);
	return rc;
}
