/*
 * http.h - the one libcurl exchange tally makes as a client: the
 * receiver's health check, alerts and the providers' status APIs.
 */
#ifndef TALLY_HTTP_H
#define TALLY_HTTP_H

#include <stdbool.h>

#include <curl/curl.h>

struct http_result {
	long status;		/* 0: no answer */
	long ms;
	char error[CURL_ERROR_SIZE];
};

/*
 * One HTTP exchange: a GET, or a POST of json when json is not NULL, over
 * unix_path when it is not NULL or empty.  timeout_ms bounds the whole
 * exchange; redirects are not followed; the proxy from the environment is
 * used only when use_proxy.  The URL may hold a token (chat webhooks do):
 * it is never logged here.  Returns 0 when an answer came (whatever its
 * status), TALLY_EUNAVAIL when none did (out->error says why).
 */
int http_exchange(const char *url, const char *unix_path, const char *json,
    long timeout_ms, bool use_proxy, struct http_result *out);

#endif
