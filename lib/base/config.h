/*
 * config.h - tally.conf: "key = value" lines, '#' comments, and
 * "[source NAME]" sections (one per webhook source) or "[settlement NAME]"
 * sections (column mapping of a provider's settlement export).
 *
 * Keys are declared in tables in config.c (name, type, default as a string,
 * where to store it); an unknown key, a bad value or a duplicate section is
 * an error "file:line: message".  Top-level keys can be overridden by the
 * environment: TALLY_<KEY> with the key upper-cased (TALLY_LISTEN=...).
 * Secrets are read from secret_file (one per line, two during rotation) by
 * config_load_secrets(), wiped by config_free().
 */
#ifndef TALLY_CONFIG_H
#define TALLY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"

#define CONFIG_MAX_SECRETS 2

enum source_scheme {
	SCHEME_STANDARD_WEBHOOKS,
	SCHEME_STRIPE,
	SCHEME_MIDTRANS,
	SCHEME_XENDIT
};

struct config_secret {
	unsigned char *data;	/* raw secret bytes as in the file line */
	size_t len;
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
	struct config_secret secrets[CONFIG_MAX_SECRETS];
	int nsecrets;
	int line;		/* where the section starts, for messages */
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
	long per_ip_connections;	/* default 64 */
	long max_headers;	/* default 64 */
	long threads;		/* HTTP worker threads, default 4 */
	long commit_batch;	/* most requests per group commit, default 256 */
	long queue_limit;	/* requests waiting for a commit before 503, default 4096 */
	/* SO_REUSEPORT: receivers of one user share the port (default no) */
	bool reuse_port;

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
/* Read every source's secret_file ($CREDENTIALS_DIRECTORY-relative when not
 * absolute).  Missing or empty file: TALLY_ECONFIG with a message. */
int config_load_secrets(struct config *cfg, struct strbuf *err);
/* Read s->api_key_file (secret_file's rules; exactly one key) into key,
 * which the caller wipes with config_secret_wipe().  TALLY_ECONFIG with a
 * message when it is missing, empty or holds more than one line. */
int config_read_api_key(const struct config *cfg,
    const struct config_source *s, struct config_secret *key,
    struct strbuf *err);
/* explicit_bzero() and free a secret. */
void config_secret_wipe(struct config_secret *s);
/* Wipes secrets (explicit_bzero) and frees everything cfg owns. */
void config_free(struct config *cfg);

const struct config_source *config_find_source(const struct config *cfg,
    const char *name);
const struct config_settlement *config_find_settlement(const struct config *cfg,
    const char *name);
const char *config_scheme_name(enum source_scheme s);

#endif
