/*
 * receiver_parse.h - from one HTTP request to the rows it stores, with no
 * HTTP server and no database: content type, signature, JSON, dedup keys.
 *
 * The request is authenticated before its body is parsed (except Midtrans,
 * whose signature fields live in the body).  Every row is checked so that
 * PostgreSQL will accept it: the body is UTF-8 JSON without NUL (jansson
 * refuses "\u0000", which jsonb refuses too), the key is 1..512 bytes.  A
 * request that passes here cannot fail its commit batch with a data error.
 */
#ifndef TALLY_RECEIVER_PARSE_H
#define TALLY_RECEIVER_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/config.h"
#include "intake/signature.h"

#define RECEIVER_MAX_KEY 512		/* raw_events.event_key check */
#define RECEIVER_MAX_NDJSON_LINES 10000
#define RECEIVER_MAX_CONTENT_TYPE 200

/* A configured source, ready to verify: keys derived once per (re)load. */
struct receiver_source {
	char *name;
	enum source_scheme scheme;
	struct signature_key keys[CONFIG_MAX_SECRETS];
	size_t nkeys;
	long tolerance;
	size_t slot;		/* metrics slot */
};

/* The request headers that matter, NULL when absent. */
struct receiver_headers {
	const char *content_type;
	const char *wh_id;
	const char *wh_timestamp;
	const char *wh_signature;
	const char *stripe_signature;
	const char *callback_token;
	/* a signature, timestamp or id header appeared more than once */
	bool duplicated;
};

enum receiver_body_kind {
	RECEIVER_BODY_UNSUPPORTED,
	RECEIVER_BODY_JSON,
	RECEIVER_BODY_NDJSON
};

struct receiver_row {
	char *event_key;	/* owned */
	char *sig_headers;	/* owned JSON text, or NULL */
	size_t body_off;	/* the row's bytes: the request body slice */
	size_t body_len;
};

struct receiver_parsed {
	struct receiver_row *rows;
	size_t nrows;
	enum receiver_body_kind kind;
	const char *content_type;	/* points into the headers */
	/* on failure: the HTTP status and a reason safe to send back */
	int status;
	char reason[128];
};

/* What the Content-Type allows for a scheme (media type case-insensitive;
 * a charset parameter must be utf-8). */
enum receiver_body_kind receiver_parse_content_type(enum source_scheme scheme,
    const char *content_type);

/*
 * Turn a request into rows.  0 on success (out->rows, out->nrows >= 1);
 * otherwise TALLY_EDATA / TALLY_ESIGNATURE with out->status 400, 401 or 415
 * and out->reason set.  Always call receiver_parsed_release().
 */
int receiver_parse(const struct receiver_source *src,
    const struct receiver_headers *h, const char *body, size_t len,
    time_t now, struct receiver_parsed *out);
void receiver_parsed_release(struct receiver_parsed *p);

/* Keys for a source from its configured secrets: 0 or TALLY_ECONFIG with a
 * message in err.  receiver_source_release() wipes them. */
int receiver_source_init(struct receiver_source *rs,
    const struct config_source *cs, struct strbuf *err);
void receiver_source_release(struct receiver_source *rs);

#endif
