/*
 * receiver_conf.c - the receiver's configuration: loading it into a
 * snapshot (sources with their keys, limits), resolving the listen
 * address, and reloading it on SIGHUP without ever pulling a source from
 * under a request.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "base/err.h"
#include "base/log.h"
#include "intake/httplimit.h"
#include "intake/receiver.h"
#include "intake/receiver_int.h"
#include "intake/receiver_metrics.h"

void
receiver_snapshot_unref(struct snapshot *s)
{
	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (size_t i = 0; i < s->nsources; i++)
		receiver_source_release(&s->sources[i]);
	free(s->sources);
	free(s->listen);
	free(s);
}

struct snapshot *
receiver_snapshot_get(struct server *srv)
{
	struct snapshot *s;

	pthread_mutex_lock(&srv->snap_lock);
	s = srv->snap;
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&srv->snap_lock);
	return s;
}

const struct receiver_source *
receiver_snapshot_find(const struct snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->nsources; i++)
		if (strcmp(s->sources[i].name, name) == 0)
			return &s->sources[i];
	return NULL;
}

long
receiver_current_deadline(struct server *srv)
{
	long d;

	pthread_mutex_lock(&srv->snap_lock);
	d = srv->snap->deadline;
	pthread_mutex_unlock(&srv->snap_lock);
	return d;
}

static void
snapshot_limits(struct snapshot *s, const struct config *cfg)
{
	s->max_body = cfg->max_body;
	s->deadline = cfg->request_deadline;
	s->max_headers = cfg->max_headers;
	s->commit_batch = cfg->commit_batch;
	s->queue_limit = cfg->queue_limit;
	s->max_inflight = cfg->max_inflight_bytes;
	s->listen = xstrdup(cfg->listen != NULL ? cfg->listen : "");
	s->reuse_port = cfg->reuse_port;
	s->threads = cfg->threads;
	s->max_connections = cfg->max_connections;
	s->per_ip = cfg->per_ip_connections;
}

/*
 * per_ip_connections = auto: off on loopback.  There the receiver sits
 * behind a proxy on the same host (docs/DEPLOY.md), every client arrives
 * from the proxy's address, and a per-address limit would be a limit on
 * the whole receiver, which a few slow clients could fill.
 */
unsigned
receiver_per_ip_limit(long per_ip, const struct sockaddr *sa)
{
	if (per_ip != CONFIG_PER_IP_AUTO)
		return (unsigned)per_ip;
	return httplimit_loopback(sa) ? 0 : (unsigned)CONFIG_PER_IP_DEFAULT;
}

int
receiver_snapshot_load(const char *path, struct snapshot **out,
    struct strbuf *err)
{
	struct config cfg;
	struct snapshot *s = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int rc;

	*out = NULL;
	rc = config_load(&cfg, path, err);
	/* only the sources' secrets: the receiver never holds the audit key */
	if (rc == 0)
		rc = config_load_source_secrets(&cfg, err);
	if (rc != 0)
		goto done;
	if (cfg.nsources == 0) {
		strbuf_addf(err, "%s: no [source NAME] section: nothing to "
		    "receive\n", cfg.path != NULL ? cfg.path : "(defaults)");
		rc = TALLY_ECONFIG;
		goto done;
	}
	if ((rc = httplimit_resolve("listen", cfg.listen, &ss, &sslen, err)) != 0)
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
	receiver_snapshot_unref(s);
	return rc;
}

int
receiver_check_config(const char *config_path, struct strbuf *err)
{
	struct snapshot *s = NULL;
	int rc = receiver_snapshot_load(config_path, &s, err);

	receiver_snapshot_unref(s);
	return rc;
}

void
receiver_reload(struct server *srv)
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
	if (receiver_snapshot_load(srv->config_path, &s, &err) != 0) {
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
	    old->reuse_port != s->reuse_port)
		log_warning("reload: listen, reuse_port, threads, "
		    "max_connections and per_ip_connections take effect only "
		    "on restart");
	/* resolved at start, for the address bound then */
	s->per_ip = old->per_ip;
	srv->snap = s;
	pthread_mutex_unlock(&srv->snap_lock);
	receiver_store_set_limits(srv->store, s->commit_batch, s->queue_limit);
	receiver_snapshot_unref(old);
	receiver_metrics_count(RM_RELOADS);
	log_notice("configuration reloaded: %zu source(s)", s->nsources);
	sd_notify(0, "READY=1\nSTATUS=configuration reloaded");
	strbuf_release(&err);
}
