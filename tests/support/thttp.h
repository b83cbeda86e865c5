/*
 * thttp.h - HTTP from the tests' side, for the receiver's tests
 * (rx_test.h) and the admin server's (admin_test.h): one exchange through
 * libcurl, and raw TCP for the bytes no client would send.  A cap on each
 * wait only keeps a broken server from hanging a test; nothing here waits
 * for a duration.
 */
#ifndef TALLY_TEST_THTTP_H
#define TALLY_TEST_THTTP_H

#include <stdbool.h>

#include <curl/curl.h>

#include "base/strbuf.h"

/*
 * One exchange with handle h (reset first; NULL: a handle of its own):
 * method ("HEAD" asks for no body), url, body (NULL: none) and headers
 * ("Name: value" lines; this frees the list).  The answer's header lines
 * are appended to head and its body to out (either NULL: dropped).  Gives
 * up after cap_s seconds.  Returns the status, 0 when no answer came.
 */
long thttp_exchange(CURL *h, const char *method, const char *url,
    const char *body, struct curl_slist *headers, struct strbuf *head,
    struct strbuf *out, long cap_s);

/* A TCP connection to port on the loopback; -1 when refused. */
int thttp_connect(unsigned short port);

/*
 * Read one whole answer from fd into out (its headers, and as many body
 * bytes as its Content-Length says), or until the peer closes.  True when
 * the peer closed the connection after it.  Fails the test after cap_s.
 */
bool thttp_read_answer(int fd, struct strbuf *out, int cap_s);

/* Everything the peer sends until it closes the connection, into out;
 * fails the test when it is still open after cap_s. */
void thttp_read_to_close(int fd, struct strbuf *out, int cap_s);

#endif
