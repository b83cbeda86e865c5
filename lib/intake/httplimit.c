/*
 * httplimit.c - framing checks, Content-Length, and the whole-request
 * deadline watch (httplimit.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <systemd/sd-daemon.h>

#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "intake/httplimit.h"

#define WATCH_INTERVAL_NS (100L * 1000000L)
#define PEM_MAX (256 * 1024)

void
httplimit_header(struct httplimit_headers *h, const char *key,
    const char *value)
{
	h->count++;
	if (key == NULL)
		return;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		h->content_length++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		h->transfer_encoding++;
		h->te = value;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
		h->host++;
}

const char *
httplimit_framing_error(const struct httplimit_headers *h, const char *version)
{
	if (h->content_length > 1)
		return "more than one Content-Length";
	if (h->transfer_encoding > 0 && h->content_length > 0)
		return "Transfer-Encoding together with Content-Length";
	if (h->transfer_encoding > 1 || (h->transfer_encoding == 1 &&
	    (h->te == NULL || strcasecmp(h->te, "chunked") != 0)))
		return "Transfer-Encoding other than chunked";
	if (h->host > 1)
		return "more than one Host";
	if (h->host == 0 && version != NULL &&
	    strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
		return "HTTP/1.1 without Host";
	return NULL;
}

bool
httplimit_parse_length(const char *s, unsigned long long *out)
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

size_t
httplimit_body_cap(size_t cap, size_t len, size_t max)
{
	if (len + 1 <= cap)
		return cap;
	if (cap == 0)
		cap = 4096;
	while (cap < len + 1)
		cap *= 2;
	return cap > max + 1 ? max + 1 : cap;
}

int
httplimit_where(struct httplimit_where *w, const char *key,
    const char *listen, unsigned int *flags, struct strbuf *err)
{
	int nfds, rc;

	memset(w, 0, sizeof(*w));
	w->lfd = -1;
	w->sslen = sizeof(w->ss);
	nfds = sd_listen_fds(1);
	if (nfds > 1) {
		strbuf_addf(err, "socket activation passed %d sockets; expected "
		    "one\n", nfds);
		return TALLY_ECONFIG;
	}
	if (nfds == 1) {
		w->lfd = SD_LISTEN_FDS_START;
		if (getsockname(w->lfd, (struct sockaddr *)&w->ss, &w->sslen) != 0)
			w->ss.ss_family = AF_UNSPEC;
		w->opt = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, w->lfd,
		    NULL };
		return 0;
	}
	if ((rc = httplimit_resolve(key, listen, &w->ss, &w->sslen, err)) != 0)
		return rc;
	if (w->ss.ss_family == AF_INET6)
		*flags |= MHD_USE_IPv6;
	w->opt = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &w->ss };
	return 0;
}

int
httplimit_bound(struct MHD_Daemon *d, const struct httplimit_where *w,
    const char *listen, unsigned short *port, struct strbuf *err)
{
	const union MHD_DaemonInfo *di;

	if (d == NULL) {
		strbuf_addf(err, "cannot listen on %s: %s\n", w->lfd >= 0 ?
		    "the socket from systemd" : listen, strerror(errno));
		return TALLY_EUNAVAIL;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*port = di != NULL ? di->port : 0;
	return 0;
}

double
httplimit_now(void)
{
	return log_clock();
}

int
httplimit_resolve(const char *key, const char *listen,
    struct sockaddr_storage *ss, socklen_t *sslen, struct strbuf *err)
{
	struct addrinfo hints, *res = NULL;
	struct strbuf why = STRBUF_INIT;
	char host[256], port[8];
	unsigned p;
	int gai;

	if (config_split_listen(listen, host, sizeof(host), &p, &why) != 0) {
		/* its message names the receiver's key */
		if (strcmp(key, "listen") != 0)
			strbuf_addf(err, "%s: ", key);
		strbuf_addf(err, "%s\n", strbuf_str(&why));
		strbuf_release(&why);
		return TALLY_ECONFIG;
	}
	strbuf_release(&why);
	snprintf(port, sizeof(port), "%u", p);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	gai = getaddrinfo(host[0] == '\0' ? NULL : host, port, &hints, &res);
	if (gai != 0 || res == NULL) {
		strbuf_addf(err, "%s = %s: %s\n", key, listen, gai != 0 ?
		    gai_strerror(gai) : "no address");
		if (res != NULL)
			freeaddrinfo(res);
		return TALLY_ECONFIG;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

bool
httplimit_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
	return false;
}

/* ---- the deadline watch ---- */

enum phase {
	PH_IDLE,		/* between requests */
	PH_READING,		/* request line in, headers or body arriving */
	PH_WORKING		/* all read: the server's own work and answer */
};

struct wconn {
	struct wconn *prev, *next;
	struct httpwatch *w;
	int fd;
	enum phase phase;
	double since;		/* the phase's start */
	bool cut;
};

struct httpwatch {
	pthread_mutex_t lock;
	struct wconn conns;	/* list head */
	double deadline;
	atomic_bool stop;
	atomic_ulong cuts;
	pthread_t thread;
};

static void
watch_pass(struct httpwatch *w)
{
	double now = httplimit_now();
	struct wconn *c;

	pthread_mutex_lock(&w->lock);
	for (c = w->conns.next; c != &w->conns; c = c->next) {
		/*
		 * Reading past the deadline; or no request line a deadline
		 * (and a second, so a silent connection is closed first by
		 * libmicrohttpd's idle timeout) after the connection or its
		 * last answer: bytes trickling in without ever making one.
		 */
		bool late = c->phase == PH_READING ? now - c->since > w->deadline :
		    c->phase == PH_IDLE && now - c->since > w->deadline + 1;

		if (late && !c->cut && c->fd >= 0) {
			/* counted before the cut, so whoever sees the stream
			 * end also sees the count; MHD then sees the end of
			 * the stream and closes */
			atomic_fetch_add(&w->cuts, 1);
			c->cut = true;
			shutdown(c->fd, SHUT_RDWR);
		}
	}
	pthread_mutex_unlock(&w->lock);
}

static void *
watch_main(void *arg)
{
	struct httpwatch *w = arg;
	struct timespec ts = { 0, WATCH_INTERVAL_NS };

	while (!atomic_load(&w->stop)) {
		nanosleep(&ts, NULL);
		watch_pass(w);
	}
	return NULL;
}

int
httpwatch_start(struct httpwatch **out, long deadline)
{
	struct httpwatch *w = xcalloc(1, sizeof(*w));
	int e;

	pthread_mutex_init(&w->lock, NULL);
	w->conns.next = w->conns.prev = &w->conns;
	w->deadline = (double)deadline;
	atomic_init(&w->stop, false);
	atomic_init(&w->cuts, 0);
	if ((e = pthread_create(&w->thread, NULL, watch_main, w)) != 0) {
		log_err("cannot start the request deadline thread: %s",
		    strerror(e));
		pthread_mutex_destroy(&w->lock);
		free(w);
		*out = NULL;
		return TALLY_EINTERNAL;
	}
	*out = w;
	return 0;
}

void
httpwatch_free(struct httpwatch *w)
{
	struct wconn *c, *next;

	if (w == NULL)
		return;
	atomic_store(&w->stop, true);
	pthread_join(w->thread, NULL);
	/* the daemon has stopped: what is listed was never closed by it */
	for (c = w->conns.next; c != &w->conns; c = next) {
		next = c->next;
		free(c);
	}
	pthread_mutex_destroy(&w->lock);
	free(w);
}

unsigned long
httpwatch_cuts(struct httpwatch *w)
{
	return atomic_load(&w->cuts);
}

void
httpwatch_on_connection(void *cls, struct MHD_Connection *mc,
    void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	struct httpwatch *w = cls;
	const union MHD_ConnectionInfo *ci;
	struct wconn *c;
	int one = 1;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		c = xcalloc(1, sizeof(*c));
		c->w = w;
		ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		c->fd = ci != NULL ? ci->connect_fd : -1;
		c->phase = PH_IDLE;
		c->since = httplimit_now();
		/* an answer is headers and body: never wait for Nagle */
		if (c->fd >= 0)
			setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
		pthread_mutex_lock(&w->lock);
		c->next = w->conns.next;
		c->prev = &w->conns;
		w->conns.next->prev = c;
		w->conns.next = c;
		pthread_mutex_unlock(&w->lock);
		*socket_context = c;
		return;
	}
	if ((c = *socket_context) == NULL)
		return;
	/* MHD closes the socket after this returns: while c is listed (and
	 * the lock held) its fd is still this connection's */
	pthread_mutex_lock(&w->lock);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	pthread_mutex_unlock(&w->lock);
	*socket_context = NULL;
	free(c);
}

static void
set_phase(struct MHD_Connection *mc, enum phase ph)
{
	const union MHD_ConnectionInfo *ci;
	struct wconn *c;

	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci == NULL || (c = ci->socket_context) == NULL)
		return;
	pthread_mutex_lock(&c->w->lock);
	c->phase = ph;
	c->since = httplimit_now();
	pthread_mutex_unlock(&c->w->lock);
}

void
httpwatch_begin(struct MHD_Connection *mc)
{
	set_phase(mc, PH_READING);
}

void
httpwatch_read(struct MHD_Connection *mc)
{
	set_phase(mc, PH_WORKING);
}

void
httpwatch_end(struct MHD_Connection *mc)
{
	set_phase(mc, PH_IDLE);
}

/*
 * A PEM file, whole: relative names are systemd credentials
 * ($CREDENTIALS_DIRECTORY).  The key must not be readable by group or
 * others (in the credentials directory systemd's own ACL applies).
 */
static int
read_pem(const char *key, const char *name, bool secret, char **out,
    size_t *len, struct strbuf *err)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	struct strbuf path = STRBUF_INIT;
	struct stat st;
	ssize_t got;
	int fd = -1, rc = TALLY_ECONFIG;

	*out = NULL;
	if (name[0] != '/' && dir != NULL && dir[0] != '\0')
		strbuf_addf(&path, "%s/%s", dir, name);
	else
		strbuf_addstr(&path, name);
	fd = open(path.buf, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) != 0) {
		strbuf_addf(err, "%s = %s: %s\n", key, path.buf, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > PEM_MAX) {
		strbuf_addf(err, "%s = %s: not a PEM file of at most %d bytes\n",
		    key, path.buf, PEM_MAX);
		goto out;
	}
	if (secret && (st.st_mode & 077) != 0 && (dir == NULL ||
	    strncmp(path.buf, dir, strlen(dir)) != 0)) {
		strbuf_addf(err, "%s = %s: group or others may read it; chmod "
		    "600\n", key, path.buf);
		goto out;
	}
	*out = xmalloc((size_t)st.st_size + 1);
	got = read(fd, *out, (size_t)st.st_size);
	if (got != (ssize_t)st.st_size) {
		strbuf_addf(err, "%s = %s: short read\n", key, path.buf);
		goto out;
	}
	(*out)[got] = '\0';
	*len = (size_t)got;
	rc = 0;
out:
	if (rc != 0 && *out != NULL) {
		OPENSSL_cleanse(*out, (size_t)st.st_size);
		free(*out);
		*out = NULL;
	}
	if (fd >= 0)
		close(fd);
	strbuf_release(&path);
	return rc;
}

int
httplimit_tls_load(const struct config *cfg, char **cert, char **key,
    size_t *key_len, struct strbuf *err)
{
	bool want_cert = cfg->admin_tls_cert_file[0] != '\0';
	bool want_key = cfg->admin_tls_key_file[0] != '\0';
	size_t n;
	int rc;

	*cert = *key = NULL;
	*key_len = 0;
	if (want_cert != want_key) {
		strbuf_addf(err, "%s: admin_tls_cert_file and admin_tls_key_file "
		    "go together (both: HTTPS; neither: HTTP)\n",
		    cfg->path != NULL ? cfg->path : "(defaults)");
		return TALLY_ECONFIG;
	}
	if (!want_cert)
		return 0;
	if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		strbuf_addstr(err, "this libmicrohttpd has no TLS: leave "
		    "admin_tls_* empty and use a reverse proxy "
		    "(docs/DEPLOY.md)\n");
		return TALLY_ECONFIG;
	}
	rc = read_pem("admin_tls_cert_file", cfg->admin_tls_cert_file, false,
	    cert, &n, err);
	if (rc == 0)
		rc = read_pem("admin_tls_key_file", cfg->admin_tls_key_file, true,
		    key, key_len, err);
	if (rc != 0) {
		free(*cert);
		*cert = NULL;
	}
	return rc;
}
