/*
 * http.c - the one libcurl exchange: see http.h for what every exchange
 * does.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "base/err.h"
#include "base/http.h"
#include "base/strbuf.h"
#include "base/version.h"

struct sink {
	struct strbuf *keep;	/* NULL: drop everything */
	size_t max;
	bool truncated;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

/* libcurl's global set-up is not thread-safe: once per process, here. */
static void
curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t
take_answer(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb, room;

	if (s->keep == NULL)
		return n;
	room = s->max > s->keep->len ? s->max - s->keep->len : 0;
	if (n > room)
		s->truncated = true;
	if (room > 0)
		strbuf_add(s->keep, data, n < room ? n : room);
	return n;
}

/* libcurl keeps its own copies of the header lines: wipe them, a token
 * may be one of them. */
static void
free_headers(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

int
http_send(const struct http_request *rq, struct http_result *out,
    struct strbuf *answer)
{
	struct sink sink = { answer, rq->max_answer, false };
	struct curl_slist *hdrs = NULL, *l;
	struct strbuf noproxy = STRBUF_INIT;
	curl_off_t us = 0;
	CURLcode cc;
	CURL *c;

	memset(out, 0, sizeof(*out));
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK || (c = curl_easy_init()) == NULL) {
		snprintf(out->error, sizeof(out->error), "cannot start libcurl");
		return TALLY_ENOMEM;
	}
	for (const char *const *h = rq->headers; h != NULL && *h != NULL; h++) {
		if ((l = curl_slist_append(hdrs, *h)) == NULL) {
			snprintf(out->error, sizeof(out->error), "out of memory");
			free_headers(hdrs);
			curl_easy_cleanup(c);
			return TALLY_ENOMEM;
		}
		hdrs = l;
	}
	curl_easy_setopt(c, CURLOPT_URL, rq->url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, out->error);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, rq->timeout_ms);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "tally/" TALLY_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take_answer);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	/* an admin's http_proxy must not carry a loopback exchange away:
	 * with the proxy, loopback is added to the environment's no_proxy */
	if (!rq->use_proxy) {
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	} else {
		const char *np = getenv("no_proxy");

		if (np == NULL || np[0] == '\0')
			np = getenv("NO_PROXY");
		strbuf_addstr(&noproxy, np != NULL ? np : "");
		strbuf_addstr(&noproxy, noproxy.len > 0 ?
		    ",localhost,127.0.0.1,::1" : "localhost,127.0.0.1,::1");
		curl_easy_setopt(c, CURLOPT_NOPROXY, noproxy.buf);
	}
	if (rq->unix_path != NULL && rq->unix_path[0] != '\0')
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, rq->unix_path);
	if (hdrs != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (rq->body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)rq->body_len);
	}
	if (rq->method != NULL && strcmp(rq->method, "GET") == 0 &&
	    rq->body == NULL)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	else if (rq->method != NULL && strcmp(rq->method, "POST") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	if (rq->user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, rq->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
		    rq->password != NULL ? rq->password : "");
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &us);
		out->ms = (long)(us / 1000);
		out->truncated = sink.truncated;
	} else if (out->error[0] == '\0') {
		snprintf(out->error, sizeof(out->error), "%s",
		    curl_easy_strerror(cc));
	}
	/* the credentials are the caller's to wipe */
	free_headers(hdrs);
	curl_easy_cleanup(c);
	strbuf_release(&noproxy);
	return cc == CURLE_OK ? 0 : TALLY_EUNAVAIL;
}

int
http_exchange(const char *url, const char *unix_path, const char *json,
    long timeout_ms, bool use_proxy, struct http_result *out)
{
	static const char *const json_type[] = {
		"Content-Type: application/json", NULL
	};
	struct http_request rq;

	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.unix_path = unix_path;
	rq.body = json;
	rq.body_len = json != NULL ? strlen(json) : 0;
	rq.headers = json != NULL ? json_type : NULL;
	rq.timeout_ms = timeout_ms;
	rq.use_proxy = use_proxy;
	return http_send(&rq, out, NULL);
}
