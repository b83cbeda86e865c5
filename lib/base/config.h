/*
 * config.h - tally.conf: "key = value" lines, '#' comments, and
 * "[source NAME]" sections (one per webhook source) or "[settlement NAME]"
 * sections (column mapping of a provider's settlement export).
 *
 * Keys are declared in tables in config.c (name, type, default as a string,
 * where to store it); an unknown key, a bad value or a duplicate section is
 * an error "file:line: message".  Top-level keys can be overridden by the
 * environment: TALLY_<KEY> with the key upper-cased (TALLY_LISTEN=...).
 * Values are checked as they are read (listen, tz, alert_url, ranges); a
 * message never quotes a value that may be a secret.  Secrets are read from
 * files (base/secretfile.h: one per line, two during rotation, private to
 * their owner) by config_load_secrets(), wiped by config_free().
 */
#ifndef TALLY_CONFIG_H
#define TALLY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/secretfile.h"
#include "base/strbuf.h"

#define CONFIG_MAX_SECRETS 2
/* per_ip_connections = auto: off on a loopback address (a proxy in front
 * gives every client its own address), CONFIG_PER_IP_DEFAULT otherwise */
#define CONFIG_PER_IP_AUTO (-1L)
#define CONFIG_PER_IP_DEFAULT 64L

enum source_scheme {
	SCHEME_STANDARD_WEBHOOKS,
	SCHEME_STRIPE,
	SCHEME_MIDTRANS,
	SCHEME_XENDIT
};

struct config_source {
	char *name;		/* [source NAME]: receives at POST /webhooks/NAME */
	enum source_scheme scheme;
	char *secret_file;
	long tolerance;		/* seconds, for schemes with a timestamp */
	/* what the source's events are: "payments" or "usage" */
	char *kind;
	/* Midtrans and Xendit: the provider's API, asked about a payment
	 * before tally-allocate acts on it (https://api.midtrans.com,
	 * https://api.xendit.co), and the file of the key it wants (the
	 * server key / secret API key; rules of secret_file, one key) */
	char *status_url;
	char *api_key_file;
	struct secret secrets[CONFIG_MAX_SECRETS];	/* trimmed lines */
	int nsecrets;
	int line;		/* where the section starts, for messages */
	int secret_line;	/* where secret_file is set */
};

/* A settlement export's column mapping: our field -> the file's header. */
struct config_settlement {
	char *name;		/* [settlement NAME] */
	char *provider;		/* source scheme it settles: stripe, midtrans, ... */
	char *col_id;		/* transaction / balance transaction id */
	char *col_order;	/* our order reference (provider order id) */
	char *col_payment;	/* provider payment id */
	char *col_created;	/* timestamp */
	char *col_currency;
	char *col_gross;
	char *col_fee;
	char *col_net;
	char *col_category;
	char *col_payout;
	char *amount_units;	/* "major" (default) or "minor" */
	char *default_currency;	/* when the file has no currency column */
	int line;
};

struct config {
	char *path;		/* the file that was read, or NULL for defaults */

	/* receiver */
	char *listen;		/* host:port, default 127.0.0.1:8080 */
	long max_body;		/* bytes, default 1 MiB */
	long request_deadline;	/* seconds for a whole request, default 10 */
	long max_connections;	/* default 512 */
	long per_ip_connections;	/* 0 off; default CONFIG_PER_IP_AUTO */
	long max_inflight_bytes;	/* request bodies buffered at once, default 64 MiB */
	long max_headers;	/* default 64 */
	long threads;		/* HTTP worker threads, default 4 */
	long commit_batch;	/* most requests per group commit, default 256 */
	long queue_limit;	/* requests waiting for a commit before 503, default 4096 */
	/* SO_REUSEPORT: receivers of one user share the port (default no) */
	bool reuse_port;

	/* tally-admin */
	char *admin_listen;	/* host:port, default 127.0.0.1:8081 */
	char *admin_tls_cert_file;	/* PEM; with the key: HTTPS (empty: HTTP) */
	char *admin_tls_key_file;
	long admin_auth_failures;	/* failed authentications per address... */
	long admin_auth_window;	/* ...within this many seconds: then 429 */
	char *admin_client_header;	/* a loopback proxy's client address header */
	long admin_session_idle;	/* the panel's session ends idle this long (s) */
	long admin_session_max;	/* and this long after the login (s) */
	bool admin_secure_cookies;	/* Secure cookies without own TLS (a proxy's) */

	/* batch */
	char *tz;		/* report time zone, default UTC (TALLY_TZ) */
	char *report_dir;	/* default ./reports-out */
	long signup_grant;	/* credits given on user.registered, default 0 */
	long ending_soon_days;	/* default 3 */
	char *alert_url;	/* chat webhook for alerts; empty: log only */
	long alert_seat_threshold;	/* alert when free seats < this, default 5 */
	long alert_suspensions;	/* alert when >= this many suspended in a day, default 3 */
	long fulfil_sla_minutes;	/* "fulfilled within", default 5 */
	long inactive_model_days;	/* model-stats "inactive", default 7 */
	char *reconcile_severity;	/* exit 1 at or above: info|warning|error, default warning */
	long amount_tolerance;	/* minor units, default 0 */
	long settlement_grace_days;	/* MISSING_IN_SETTLEMENT after, default 2 */

	/* the audit chain's HMAC key (lib/pg/audit.h); "" means
	 * $TALLY_HOME/audit.key.  Never in the database, never logged. */
	char *audit_key_file;
	struct secret audit_key;	/* config_load_secrets(); len 0: none */
	int audit_key_line;	/* where audit_key_file is set (0: not set) */
	/* a hot standby for the reports' and reconcile's reads (the spine's
	 * ctx->read; lib/pg/readdb.h): a conninfo string or URI, "" none;
	 * TALLY_READ_DATABASE_URL */
	char *read_database_url;
	long read_lag_wait;	/* seconds an --as-of waits, default 60 */

	struct config_source *sources;
	size_t nsources;
	struct config_settlement *settlements;
	size_t nsettlements;
};

/* Defaults only (no file). */
void config_init(struct config *cfg);
/*
 * Read path (NULL: $TALLY_CONFIG, else /etc/tally/tally.conf if it exists,
 * else ./tally.conf if it exists, else defaults only) and apply environment
 * overrides.  Errors are appended to err as "file:line: message" lines and
 * TALLY_ECONFIG is returned; cfg is then left with defaults and must still
 * be freed.
 */
int config_load(struct config *cfg, const char *path, struct strbuf *err);
/*
 * Every secret the configuration names, read strictly (base/secretfile.h):
 * each source's secret_file, and the audit key when audit_key_file is set
 * or its default file exists.  What `tallyctl config check` reads.
 * Errors: TALLY_ECONFIG with "FILE:LINE: message" lines in err.
 */
int config_load_secrets(struct config *cfg, struct strbuf *err);
/* Read s->api_key_file (secret_file's rules; exactly one key) into key,
 * which the caller wipes with secretfile_wipe().  TALLY_ECONFIG with a
 * message when it is missing, empty or holds more than one line. */
int config_read_api_key(const struct config *cfg,
    const struct config_source *s, struct secret *key,
    struct strbuf *err);
/* Only the sources' secrets: what the receiver needs (it never holds the
 * audit key). */
int config_load_source_secrets(struct config *cfg, struct strbuf *err);
/* Only the audit key, which must exist: into cfg->audit_key. */
int config_load_audit_key(struct config *cfg, struct strbuf *err);
/* The file audit_key_file means (its default when empty). */
void config_audit_key_path(const struct config *cfg, struct strbuf *path);
/* The audit key's text: hex digits, AUDIT_KEY_MIN_BYTES bytes or more. */
#define CONFIG_AUDIT_KEY_MIN_BYTES 32
#define CONFIG_AUDIT_KEY_MAX_BYTES 64

/* The file the last successful config_load() of this process read (NULL:
 * none, or defaults only): for code that needs a setting of the
 * configuration the program runs with but is not handed it. */
const char *config_last_path(void);

/*
 * Split a listen value ("HOST:PORT", "[V6]:PORT", ":PORT" or "*:PORT")
 * into host ("" for any address) and port (0..65535).  Checks the syntax
 * only; resolving the host is the receiver's.  TALLY_ECONFIG with the
 * reason in why.
 */
int config_split_listen(const char *listen, char *host, size_t hostlen,
    unsigned *port, struct strbuf *why);

/* Wipes secrets (explicit_bzero) and frees everything cfg owns. */
void config_free(struct config *cfg);

const struct config_source *config_find_source(const struct config *cfg,
    const char *name);
const struct config_settlement *config_find_settlement(const struct config *cfg,
    const char *name);
const char *config_scheme_name(enum source_scheme s);

#endif
