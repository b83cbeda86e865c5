/*
 * http.c - the one libcurl exchange: a GET, or a POST of JSON, with a
 * whole-exchange timeout and no redirects.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "base/err.h"
#include "base/http.h"
#include "base/strbuf.h"
#include "base/version.h"

/* The most of an HTTP answer we keep: we only ever show its first line. */
#define HTTP_BODY_MAX 1024

static size_t
keep_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct strbuf *body = arg;
	size_t n = size * nmemb;

	if (body->len < HTTP_BODY_MAX)
		strbuf_add(body, data, n < HTTP_BODY_MAX - body->len ?
		    n : HTTP_BODY_MAX - body->len);
	return n;
}

/*
 * One HTTP exchange: a GET, or a POST of json when json is not NULL.
 * The URL may hold a token (chat webhooks do): it is never logged here.
 */
int
http_exchange(const char *url, const char *unix_path, const char *json,
    long timeout_ms, bool use_proxy, struct http_result *out)
{
	CURL *c;
	CURLcode cc;
	struct curl_slist *hdrs = NULL;
	struct strbuf body = STRBUF_INIT;
	curl_off_t us = 0;

	memset(out, 0, sizeof(*out));
	c = curl_easy_init();
	if (c == NULL) {
		snprintf(out->error, sizeof(out->error), "cannot start libcurl");
		return TALLY_ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, out->error);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "tally/" TALLY_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	/* an admin's http_proxy must not carry a loopback health check away */
	if (!use_proxy)
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (unix_path != NULL && unix_path[0] != '\0')
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, unix_path);
	if (json != NULL) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &us);
		out->ms = (long)(us / 1000);
	} else if (out->error[0] == '\0') {
		snprintf(out->error, sizeof(out->error), "%s",
		    curl_easy_strerror(cc));
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	strbuf_release(&body);
	return cc == CURLE_OK ? 0 : TALLY_EUNAVAIL;
}
