/*
 * fake_provider.c - see fake_provider.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <openssl/evp.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "support/fake_provider.h"

struct route {
	char *path;
	int status;
	char *body;
	long hits;
};

struct fake_provider {
	struct MHD_Daemon *d;
	char url[64];
	char auth[512];		/* "Basic base64(key:)" */
	pthread_mutex_t mu;
	struct route *routes;
	size_t nroutes;
	int dflt_status;
	char *dflt_body;
	bool down;
	long hits, refused;
};

static struct route *
route_of(struct fake_provider *fp, const char *path)
{
	for (size_t i = 0; i < fp->nroutes; i++)
		if (strcmp(fp->routes[i].path, path) == 0)
			return &fp->routes[i];
	return NULL;
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct fake_provider *fp = cls;
	struct MHD_Response *resp;
	const char *auth;
	struct route *r;
	enum MHD_Result ret;
	char *body;
	int status;

	(void)method;
	(void)version;
	(void)upload;
	(void)upload_size;
	if (*con_cls == NULL) {
		*con_cls = fp;	/* the headers are in; answer on the next call */
		return MHD_YES;
	}
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	pthread_mutex_lock(&fp->mu);
	fp->hits++;
	if ((r = route_of(fp, url)) != NULL)
		r->hits++;
	else {
		fp->routes = xrealloc(fp->routes,
		    (fp->nroutes + 1) * sizeof(*fp->routes));
		r = &fp->routes[fp->nroutes++];
		r->path = xstrdup(url);
		r->status = 0;
		r->body = NULL;
		r->hits = 1;
	}
	if (fp->down) {
		status = 503;
		body = xstrdup("{\"error\":\"down\"}");
	} else if (auth == NULL || strcmp(auth, fp->auth) != 0) {
		fp->refused++;
		status = 401;
		body = xstrdup("{\"error\":\"unauthorized\"}");
	} else if (r->status != 0) {
		status = r->status;
		body = xstrdup(r->body);
	} else {
		status = fp->dflt_status;
		body = xstrdup(fp->dflt_body);
	}
	pthread_mutex_unlock(&fp->mu);
	resp = MHD_create_response_from_buffer(strlen(body), body,
	    MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/json");
	ret = MHD_queue_response(c, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

struct fake_provider *
fake_provider_start(const char *key)
{
	struct fake_provider *fp = xcalloc(1, sizeof(*fp));
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	struct strbuf user = STRBUF_INIT;
	unsigned char b64[400];

	pthread_mutex_init(&fp->mu, NULL);
	strbuf_addf(&user, "%s:", key);
	if (user.len > 290) {
		log_err("fake provider: key too long");
		abort();
	}
	EVP_EncodeBlock(b64, (const unsigned char *)user.buf, (int)user.len);
	snprintf(fp->auth, sizeof(fp->auth), "Basic %s", b64);
	strbuf_release(&user);
	fp->dflt_status = 200;
	fp->dflt_body = xstrdup("{\"status_code\":\"404\",\"status_message\":"
	    "\"Transaction doesn't exist.\"}");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	fp->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	    answer, fp, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_END);
	if (fp->d == NULL ||
	    (info = MHD_get_daemon_info(fp->d, MHD_DAEMON_INFO_BIND_PORT)) == NULL) {
		log_err("fake provider: cannot listen on 127.0.0.1");
		abort();
	}
	snprintf(fp->url, sizeof(fp->url), "http://127.0.0.1:%u",
	    (unsigned)info->port);
	return fp;
}

static void
forget(struct fake_provider *fp)
{
	for (size_t i = 0; i < fp->nroutes; i++) {
		free(fp->routes[i].path);
		free(fp->routes[i].body);
	}
	free(fp->routes);
	fp->routes = NULL;
	fp->nroutes = 0;
	fp->hits = fp->refused = 0;
}

void
fake_provider_stop(struct fake_provider *fp)
{
	if (fp == NULL)
		return;
	MHD_stop_daemon(fp->d);
	forget(fp);
	free(fp->dflt_body);
	pthread_mutex_destroy(&fp->mu);
	free(fp);
}

const char *
fake_provider_url(const struct fake_provider *fp)
{
	return fp->url;
}

void
fake_provider_set(struct fake_provider *fp, const char *path, int status,
    const char *body)
{
	struct route *r;

	pthread_mutex_lock(&fp->mu);
	if ((r = route_of(fp, path)) == NULL) {
		fp->routes = xrealloc(fp->routes,
		    (fp->nroutes + 1) * sizeof(*fp->routes));
		r = &fp->routes[fp->nroutes++];
		r->path = xstrdup(path);
		r->hits = 0;
		r->body = NULL;
	}
	free(r->body);
	r->status = status;
	r->body = xstrdup(body);
	pthread_mutex_unlock(&fp->mu);
}

void
fake_provider_set_default(struct fake_provider *fp, int status,
    const char *body)
{
	pthread_mutex_lock(&fp->mu);
	free(fp->dflt_body);
	fp->dflt_status = status;
	fp->dflt_body = xstrdup(body);
	pthread_mutex_unlock(&fp->mu);
}

void
fake_provider_down(struct fake_provider *fp, bool down)
{
	pthread_mutex_lock(&fp->mu);
	fp->down = down;
	pthread_mutex_unlock(&fp->mu);
}

void
fake_provider_reset(struct fake_provider *fp)
{
	pthread_mutex_lock(&fp->mu);
	forget(fp);
	fp->down = false;
	pthread_mutex_unlock(&fp->mu);
}

long
fake_provider_hits(struct fake_provider *fp, const char *path)
{
	struct route *r;
	long n;

	pthread_mutex_lock(&fp->mu);
	if (path == NULL)
		n = fp->hits;
	else
		n = (r = route_of(fp, path)) != NULL ? r->hits : 0;
	pthread_mutex_unlock(&fp->mu);
	return n;
}

long
fake_provider_refused(struct fake_provider *fp)
{
	long n;

	pthread_mutex_lock(&fp->mu);
	n = fp->refused;
	pthread_mutex_unlock(&fp->mu);
	return n;
}
