/*
 * httplimit.h - the limits a tally HTTP server keeps before its routes
 * run, shared by the servers built on libmicrohttpd (tally-admin; the
 * receiver's own copies are to move here):
 *
 *   - framing that leaves no doubt where a body ends.  A request with two
 *     Content-Length headers, or one beside Transfer-Encoding, is read
 *     differently by different parsers, so a proxy in front and the server
 *     could disagree on where it ends (request smuggling); so is a
 *     Transfer-Encoding other than chunked.  HTTP/1.1 without Host, or
 *     with two, is malformed.  The server answers 400 and closes.
 *   - a Content-Length that is digits only, checked against max_body
 *     before a byte of the body is read;
 *   - a whole-request deadline.  libmicrohttpd's connection timeout counts
 *     silence only: a client that trickles a byte every second keeps a
 *     request (and in thread-per-connection mode a thread) forever.  The
 *     watch cuts a connection whose request is still being read at the
 *     deadline, and one that has sent no complete request line within a
 *     deadline of connecting or of its last answer.
 */
#ifndef TALLY_HTTPLIMIT_H
#define TALLY_HTTPLIMIT_H

#include <stdbool.h>
#include <stddef.h>

#include <sys/socket.h>

#include <microhttpd.h>

#include "base/strbuf.h"

/* What the framing checks need of a request's headers. */
struct httplimit_headers {
	size_t count;		/* every header line */
	unsigned content_length, transfer_encoding, host;
	const char *te;		/* the Transfer-Encoding value */
};

/* Count one header (from an MHD_KeyValueIterator). */
void httplimit_header(struct httplimit_headers *h, const char *key,
    const char *value);

/* NULL when the framing is sound, else the reason to answer 400 with. */
const char *httplimit_framing_error(const struct httplimit_headers *h,
    const char *version);

/* A Content-Length value: one or more digits, no sign, no overflow. */
bool httplimit_parse_length(const char *s, unsigned long long *out);

/*
 * A listen value (config_split_listen(): "host:port", "[v6]:port",
 * ":port" or "*:port", any address) resolved to bind; key names the
 * setting in err's "KEY = VALUE: why" line.  0 or TALLY_ECONFIG.
 */
int httplimit_resolve(const char *key, const char *listen,
    struct sockaddr_storage *ss, socklen_t *sslen, struct strbuf *err);

/*
 * A loopback address.  Behind a proxy on the same host every client
 * comes from there, so a per-address limit on connections would be a
 * limit on every client at once.
 */
bool httplimit_loopback(const struct sockaddr *sa);

/*
 * The capacity a request body's buffer of cap bytes needs to hold len
 * bytes and a NUL: cap itself when they fit, else doubled from 4096 up,
 * never past max + 1 (len <= max: the caller refused more).
 */
size_t httplimit_body_cap(size_t cap, size_t len, size_t max);

/* Where a server listens. */
struct httplimit_where {
	int lfd;			/* the socket from systemd, or -1 */
	struct sockaddr_storage ss;	/* its address (AF_UNSPEC: unknown) */
	socklen_t sslen;
	struct MHD_OptionItem opt;	/* for MHD_OPTION_ARRAY: the socket or
					 * the address to bind */
};

/*
 * The socket systemd passed (socket activation: one at most), else the
 * listen value resolved as httplimit_resolve() does (key names the
 * setting); *flags gains MHD_USE_IPv6 for an IPv6 address to bind.  0,
 * or TALLY_ECONFIG with a line in err.
 */
int httplimit_where(struct httplimit_where *w, const char *key,
    const char *listen, unsigned int *flags, struct strbuf *err);

/*
 * After MHD_start_daemon() with w->opt: a daemon that did not start is
 * "cannot listen on WHERE: why" in err and TALLY_EUNAVAIL; one that did
 * gives the port it bound (the kernel's pick for port 0) and 0.
 */
int httplimit_bound(struct MHD_Daemon *d, const struct httplimit_where *w,
    const char *listen, unsigned short *port, struct strbuf *err);

/* Seconds on a monotonic clock: log_clock(), the servers' deadlines'
 * name for it. */
double httplimit_now(void);

/*
 * The watch over one daemon's connections.  Give the daemon
 *   MHD_OPTION_NOTIFY_CONNECTION, httpwatch_on_connection, w
 * and call httpwatch_begin() when a request line arrives (the URI log
 * callback), httpwatch_read() once its body is all in (from then on the
 * server works on it and the watch leaves it alone: bound that work
 * yourself, as tally-admin does with statement_timeout), and
 * httpwatch_end() when it completed.  A thread cuts what is late every
 * tenth of a second.
 */
struct httpwatch;

/* 0, or TALLY_EINTERNAL when the thread cannot start. */
int httpwatch_start(struct httpwatch **out, long deadline);
/* Stop the thread (after the daemon stopped) and free the watch. */
void httpwatch_free(struct httpwatch *w);

void httpwatch_on_connection(void *cls, struct MHD_Connection *mc,
    void **socket_context, enum MHD_ConnectionNotificationCode toe);
void httpwatch_begin(struct MHD_Connection *mc);
void httpwatch_read(struct MHD_Connection *mc);
void httpwatch_end(struct MHD_Connection *mc);

/* Connections cut so far (for a test, and the log). */
unsigned long httpwatch_cuts(struct httpwatch *w);

struct config;

/*
 * tally-admin's TLS pair (admin_tls_cert_file, admin_tls_key_file), read
 * whole: both or neither; relative names are systemd credentials
 * ($CREDENTIALS_DIRECTORY); the key readable by its owner only.  Neither
 * set: 0 with *cert NULL (HTTP).  Else 0 with both read (free *cert;
 * cleanse and free *key), or TALLY_ECONFIG with a line in err.  Here, not
 * in lib/admin, so that `tallyctl config check` runs the same check.
 */
int httplimit_tls_load(const struct config *cfg, char **cert, char **key,
    size_t *key_len, struct strbuf *err);

#endif
