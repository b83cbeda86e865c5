/*
 * fake_provider.h - a payment provider's status API on loopback, started
 * and stopped by the test that needs it (libmicrohttpd, 127.0.0.1, a port
 * the kernel picks).  It answers GET requests from a table of paths the
 * test fills, checks HTTP basic authentication against the key it was
 * started with (401 otherwise, as the providers do), counts the requests
 * per path, and can be told to answer 503 to everything ("down").
 *
 * Midtrans asks GET /v2/{order_id}/status, Xendit GET /v2/invoices/{id}
 * (lib/books/confirm.h); a path not in the table gets the default answer,
 * which is Midtrans's "not found" (status_code "404" in a 200) unless the
 * test sets another.
 */
#ifndef TALLY_TEST_FAKE_PROVIDER_H
#define TALLY_TEST_FAKE_PROVIDER_H

#include <stdbool.h>

struct fake_provider;

/* Start one expecting key as the basic-auth user name (empty password).
 * Aborts the test program when it cannot listen. */
struct fake_provider *fake_provider_start(const char *key);
void fake_provider_stop(struct fake_provider *fp);

/* "http://127.0.0.1:PORT": a source's status_url. */
const char *fake_provider_url(const struct fake_provider *fp);

/* Answer GET path with status and body from now on (replacing an earlier
 * answer for path); body is copied. */
void fake_provider_set(struct fake_provider *fp, const char *path, int status,
    const char *body);
/* The answer for paths not in the table. */
void fake_provider_set_default(struct fake_provider *fp, int status,
    const char *body);
/* Answer 503 to everything while down (the table is kept). */
void fake_provider_down(struct fake_provider *fp, bool down);
/* Forget the answers and the counts. */
void fake_provider_reset(struct fake_provider *fp);

/* Requests received for path (NULL: all), including refused ones. */
long fake_provider_hits(struct fake_provider *fp, const char *path);
/* Requests refused for a wrong or missing key. */
long fake_provider_refused(struct fake_provider *fp);

#endif
