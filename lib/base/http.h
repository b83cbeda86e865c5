/*
 * http.h - the one libcurl exchange tally makes as a client: the
 * receiver's health check, alerts, `tallyctl send` and the providers'
 * status APIs.
 *
 * What every exchange does, whoever asks: a whole-exchange timeout (connect
 * included), no redirects followed, http and https only, no signals (safe
 * in threads), the answer read in full but only a bounded prefix kept.
 * URLs, headers and credentials may hold secrets (chat webhook tokens,
 * callback tokens, API keys): nothing here logs them, and the header
 * copies libcurl is given are wiped when the exchange is over.
 */
#ifndef TALLY_HTTP_H
#define TALLY_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "base/strbuf.h"

struct http_result {
	long status;		/* 0: no answer */
	long ms;
	bool truncated;		/* the answer was longer than max_answer */
	char error[CURL_ERROR_SIZE];
};

struct http_request {
	const char *url;
	/* NULL: POST when there is a body, else GET */
	const char *method;
	/* non-empty: connect over this unix socket instead of TCP */
	const char *unix_path;
	/* extra header lines, "Name: value", NULL-terminated; NULL: none.
	 * "Name:" with nothing after it removes a header libcurl would add */
	const char *const *headers;
	/* sent when not NULL (binary-safe: body_len bytes) */
	const char *body;
	size_t body_len;
	/* HTTP basic authentication when user is not NULL */
	const char *user;
	const char *password;
	long timeout_ms;
	/* use the proxy from the environment (http_proxy, no_proxy), but
	 * never for loopback */
	bool use_proxy;
	/* keep at most this many bytes of the answer's body (0: none) */
	size_t max_answer;
};

/*
 * One exchange.  The answer's body (its first max_answer bytes) is
 * appended to answer when that is not NULL.  Returns 0 when an answer came
 * (whatever its status), TALLY_EUNAVAIL when none did (out->error says
 * why), TALLY_ENOMEM when libcurl cannot start.
 */
int http_send(const struct http_request *rq, struct http_result *out,
    struct strbuf *answer);

/*
 * The short form: a GET, or a POST of json when json is not NULL, over
 * unix_path when it is not NULL or empty, the answer's body dropped.
 */
int http_exchange(const char *url, const char *unix_path, const char *json,
    long timeout_ms, bool use_proxy, struct http_result *out);

#endif
