/*
 * server.c - tally-admin's server: the configuration, the listening
 * socket (HTTP, or HTTPS with admin_tls_cert_file and admin_tls_key_file),
 * libmicrohttpd with a thread per connection, the deadline watch, the
 * database pool, and a clean stop on SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <systemd/sd-daemon.h>

#include "admin/internal.h"
#include "base/daemon.h"
#include "base/err.h"
#include "base/log.h"

/* database connections: a few more than the cores, which PostgreSQL
 * shares with us */
#define ADMIN_POOL_SIZE 8
/* from one address; off on loopback, where a proxy's clients all are */
#define PER_IP_CONNECTIONS 32
#define DRAIN_GRACE 2.0

static void
wipe_tls(struct admin_server *srv)
{
	if (srv->tls_key != NULL)
		OPENSSL_cleanse(srv->tls_key, srv->tls_key_len);
	free(srv->tls_key);
	free(srv->tls_cert);
	srv->tls_key = srv->tls_cert = NULL;
}

/* The configuration and what it names, checked; cfg is loaded either
 * way (free it). */
static int
load(struct admin_server *srv, const char *path, struct strbuf *err)
{
	struct config *cfg = &srv->cfg;
	int rc;

	if ((rc = config_load(cfg, path, err)) != 0)
		return rc;
	return httplimit_tls_load(cfg, &srv->tls_cert, &srv->tls_key,
	    &srv->tls_key_len, err);
}

int
admin_check_config(const char *config_path, struct strbuf *err)
{
	struct admin_server srv;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int rc;

	memset(&srv, 0, sizeof(srv));
	rc = load(&srv, config_path, err);
	if (rc == 0)
		rc = httplimit_resolve("admin_listen", srv.cfg.admin_listen, &ss,
		    &sslen, err);
	wipe_tls(&srv);
	config_free(&srv.cfg);
	return rc;
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

static int
start_http(struct admin_server *srv, const char *listen, struct strbuf *err)
{
	struct httplimit_where w;
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
	struct MHD_OptionItem opts[8];
	int n = 0, rc;

	if ((rc = httplimit_where(&w, "admin_listen", listen, &flags, err)) != 0)
		return rc;
	memset(opts, 0, sizeof(opts));
	opts[n++] = w.opt;
	if (srv->tls_cert != NULL) {
		flags |= MHD_USE_TLS;
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
		    srv->tls_cert };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
		    srv->tls_key };
		/* TLS 1.2 and 1.3 only, GnuTLS's secure defaults for the rest */
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
		    (void *)"SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:"
		    "+VERS-TLS1.2" };
	}
	opts[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	srv->d = MHD_start_daemon(flags, 0, NULL, NULL, admin_on_request, srv,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)ADMIN_MAX_CONNECTIONS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, w.lfd < 0 &&
	    httplimit_loopback((const struct sockaddr *)&w.ss) ? 0U :
	    (unsigned int)PER_IP_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)srv->cfg.request_deadline,
	    MHD_OPTION_NOTIFY_COMPLETED, admin_on_completed, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, httpwatch_on_connection, srv->watch,
	    MHD_OPTION_URI_LOG_CALLBACK, admin_on_uri, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
	    MHD_OPTION_ARRAY, opts,
	    MHD_OPTION_END);
	return httplimit_bound(srv->d, &w, listen, &srv->port, err);
}

/* What a server holds besides its daemon (stopped by then). */
static void
server_free(struct admin_server *srv)
{
	httpwatch_free(srv->watch);
	admin_pool_free(srv->pool);
	admin_ratelimit_free(srv->rl);
	wipe_tls(srv);
	config_free(&srv->cfg);
	free(srv);
}

int
admin_server_start(struct admin_server **out, const struct admin_options *opt,
    struct strbuf *err)
{
	struct admin_server *srv = xcalloc(1, sizeof(*srv));
	int rc;

	*out = NULL;
	atomic_init(&srv->draining, false);
	atomic_init(&srv->inflight, 0);
	rc = load(srv, opt->config_path, err);
	if (rc == 0)
		rc = httpwatch_start(&srv->watch, srv->cfg.request_deadline);
	if (rc != 0)
		goto fail;
	srv->pool = admin_pool_new(opt->db_url, ADMIN_POOL_SIZE,
	    srv->cfg.request_deadline * 1000);
	srv->rl = admin_ratelimit_new(srv->cfg.admin_auth_failures,
	    srv->cfg.admin_auth_window);
	rc = start_http(srv, opt->listen != NULL ? opt->listen :
	    srv->cfg.admin_listen, err);
	if (rc != 0)
		goto fail;
	*out = srv;
	return 0;
fail:
	server_free(srv);
	return rc;
}

unsigned short
admin_server_port(const struct admin_server *s)
{
	return s->port;
}

void
admin_server_stop(struct admin_server *srv)
{
	struct timespec ts = { 0, 20L * 1000000L };
	double until;
	MHD_socket lfd;

	if (srv == NULL)
		return;
	atomic_store(&srv->draining, true);
	lfd = MHD_quiesce_daemon(srv->d);
	until = httplimit_now() + (double)srv->cfg.request_deadline +
	    DRAIN_GRACE;
	while (atomic_load(&srv->inflight) > 0 && httplimit_now() < until)
		nanosleep(&ts, NULL);
	MHD_stop_daemon(srv->d);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	server_free(srv);
}

int
admin_run(const struct admin_options *opt)
{
	struct strbuf err = STRBUF_INIT;
	struct admin_server *srv = NULL;
	char status[160];
	sigset_t set;
	int rc, sig;

	/* the signals are taken by sigwait below only */
	daemon_block_signals(&set);
	/* GET /api/admin/status asks the receiver's /healthz with libcurl */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = admin_server_start(&srv, opt, &err);
	if (rc != 0) {
		fputs(strbuf_str(&err), stderr);
		strbuf_release(&err);
		curl_global_cleanup();
		return rc;
	}
	snprintf(status, sizeof(status), "READY=1\nSTATUS=listening on port %u "
	    "(%s)", (unsigned)srv->port, srv->tls_cert != NULL ? "HTTPS" :
	    "HTTP");
	sd_notify(0, status);
	log_notice("listening on port %u (%s)", (unsigned)srv->port,
	    srv->tls_cert != NULL ? "HTTPS" : "HTTP");
	/* nothing is reloaded in place: the settings (listen address, TLS
	 * files, limits) are the server's for its lifetime, so SIGHUP, the
	 * usual reload request, must not end it either */
	while (sigwait(&set, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
		if (sig == SIGHUP)
			log_notice("SIGHUP: tally-admin does not reload; restart it "
			    "to apply a new configuration");
	log_notice("%s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sd_notify(0, "STOPPING=1\nSTATUS=draining");
	admin_server_stop(srv);
	strbuf_release(&err);
	curl_global_cleanup();
	return 0;
}
