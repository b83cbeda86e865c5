/*
 * thttp.c - see thttp.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/thttp.h"

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	if (arg != NULL)
		strbuf_add(arg, data, size * n);
	return size * n;
}

long
thttp_exchange(CURL *h, const char *method, const char *url,
    const char *body, struct curl_slist *headers, struct strbuf *head,
    struct strbuf *out, long cap_s)
{
	bool own = h == NULL;
	long code = 0;

	if (own)
		h = curl_easy_init();
	else
		curl_easy_reset(h);
	headers = curl_slist_append(headers, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, head);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, cap_s);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(headers);
	if (own)
		curl_easy_cleanup(h);
	return code;
}

int
thttp_connect(unsigned short port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What fd has within wait_ms, into out: 1 bytes came, 0 the peer closed,
 * -1 nothing yet. */
static int
recv_some(int fd, struct strbuf *out, int wait_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char buf[4096];
	ssize_t n;

	if (poll(&pfd, 1, wait_ms) <= 0)
		return -1;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n <= 0)
		return 0;
	strbuf_add(out, buf, (size_t)n);
	return 1;
}

/* Does out hold a whole answer: its headers and Content-Length bytes? */
static bool
whole_answer(const struct strbuf *out)
{
	const char *end = strstr(strbuf_str(out), "\r\n\r\n");
	const char *cl = strcasestr(strbuf_str(out), "\r\nContent-Length: ");

	return end != NULL && cl != NULL && cl < end &&
	    out->len >= (size_t)(end + 4 - out->buf) +
	    strtoul(cl + 18, NULL, 10);
}

bool
thttp_read_answer(int fd, struct strbuf *out, int cap_s)
{
	double until = now_s() + cap_s;
	bool whole;
	int got;

	while (now_s() < until) {
		/* complete: only a close already there still counts */
		whole = whole_answer(out);
		got = recv_some(fd, out, whole ? 0 : 100);
		if (got == 0)
			return true;
		if (got < 0 && whole)
			return false;
	}
	fail_msg("no whole answer within %d s", cap_s);
	return false;
}

void
thttp_read_to_close(int fd, struct strbuf *out, int cap_s)
{
	double until = now_s() + cap_s;

	while (now_s() < until)
		if (recv_some(fd, out, 100) == 0)
			return;
	fail_msg("the peer kept the connection open past %d s", cap_s);
}
