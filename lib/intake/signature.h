/*
 * signature.h - webhook signature schemes (docs/PROVIDERS.md), signing and
 * verification, with OpenSSL libcrypto.
 *
 * Verification takes the keys of one source (two during rotation: either
 * verifies), compares in constant time, and returns 0 or TALLY_ESIGNATURE
 * with *reason set to a short static text that is safe to send back to the
 * client (it never contains data from the request or a secret).  A header
 * that cannot be parsed is a signature failure too: the request proves
 * nothing.
 *
 * Input is bounded: a signature header longer than SIGNATURE_MAX_HEADER or
 * carrying more than SIGNATURE_MAX_ENTRIES entries is refused.
 */
#ifndef TALLY_SIGNATURE_H
#define TALLY_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/config.h"
#include "base/strbuf.h"

#define SIGNATURE_MAX_HEADER 4096
#define SIGNATURE_MAX_ENTRIES 16
#define SIGNATURE_MAX_CANDIDATES 8
#define SIGNATURE_SHA256_LEN 32
#define SIGNATURE_SHA512_LEN 64
/* the longest timestamp accepted: 12 digits is past the year 30000 */
#define SIGNATURE_MAX_TIMESTAMP_DIGITS 12

/*
 * The key a scheme signs with, derived from a configured secret:
 * Standard Webhooks base64-decodes the part after "whsec_"; Stripe uses the
 * whole string (with "whsec_"); Midtrans the server key; Xendit the token.
 * The owner calls signature_key_release(), which wipes it.
 */
struct signature_key {
	unsigned char *data;
	size_t len;
};

/* 0, or TALLY_ECONFIG with *reason set (empty secret, bad base64). */
int signature_key_init(struct signature_key *key, enum source_scheme scheme,
    const unsigned char *secret, size_t len, const char **reason);
void signature_key_release(struct signature_key *key);

/* Candidate signatures found in a header, decoded. */
struct signature_candidates {
	unsigned char sig[SIGNATURE_MAX_CANDIDATES][SIGNATURE_SHA256_LEN];
	size_t n;
};

/* Stripe-Signature, parsed. */
struct signature_stripe {
	long long t;
	size_t t_off, t_len;	/* where t's digits are in the header */
	struct signature_candidates v1;
};

/*
 * Standard Webhooks "webhook-signature": space-separated "v1,<base64>"
 * entries; other versions and v1 entries that do not decode to 32 bytes are
 * skipped (they can never match).  TALLY_EDATA when the header is empty,
 * too long, has too many entries or no usable v1 entry.
 */
int signature_standard_parse(const char *header, struct signature_candidates *out);

/*
 * "t=<unix>,v1=<hex>[,v1=<hex>...]"; other keys (v0) are skipped.
 * TALLY_EDATA when t is missing, repeated or not a number, when there is
 * no usable v1, or the header is too long or has too many items.
 */
int signature_stripe_parse(const char *header, struct signature_stripe *out);

/* Unix seconds, decimal digits only, at most SIGNATURE_MAX_TIMESTAMP_DIGITS:
 * 0 or TALLY_EDATA. */
int signature_parse_timestamp(const char *s, long long *out);

/* 0 when |now - ts| <= tolerance, else TALLY_ESIGNATURE ("timestamp too
 * old" / "timestamp in the future"). */
int signature_check_time(long long ts, time_t now, long tolerance,
    const char **reason);

/*
 * Standard Webhooks: HMAC-SHA256 over "id.timestamp.body".  Any NULL header
 * is "missing"; the timestamp must be within tolerance both ways.
 */
int signature_standard_verify(const struct signature_key *keys, size_t nkeys,
    const char *id, const char *timestamp, const char *header,
    const void *body, size_t len, long tolerance, time_t now,
    const char **reason);
/* Appends "v1,<base64>" to out. */
int signature_standard_sign(const struct signature_key *key, const char *id,
    const char *timestamp, const void *body, size_t len, struct strbuf *out);

/* Stripe: HMAC-SHA256 hex over "t.body", tolerance both ways. */
int signature_stripe_verify(const struct signature_key *keys, size_t nkeys,
    const char *header, const void *body, size_t len, long tolerance,
    time_t now, const char **reason);
/* Appends "t=<t>,v1=<hex>" to out. */
int signature_stripe_sign(const struct signature_key *key, long long t,
    const void *body, size_t len, struct strbuf *out);

/*
 * Midtrans: signature_key = lowercase hex SHA-512 of
 * order_id + status_code + gross_amount + server_key, the strings exactly
 * as received.  Hex is compared case-insensitively after decoding.
 */
int signature_midtrans_verify(const struct signature_key *keys, size_t nkeys,
    const char *order_id, const char *status_code, const char *gross_amount,
    const char *signature_key, const char **reason);
/* Writes 128 lowercase hex digits and a NUL into out. */
int signature_midtrans_sign(const struct signature_key *key,
    const char *order_id, const char *status_code, const char *gross_amount,
    char out[2 * SIGNATURE_SHA512_LEN + 1]);

/* Xendit: x-callback-token equals the configured token (compared as
 * SHA-256 digests, so neither content nor length leaks through timing). */
int signature_xendit_verify(const struct signature_key *keys, size_t nkeys,
    const char *token, const char **reason);

/* Standard base64 with padding; out needs 4 * ceil(len / 3) + 1 bytes.
 * Returns the length written (without the NUL), or 0 if out is too small. */
size_t signature_base64_encode(const unsigned char *in, size_t len, char *out,
    size_t outsz);
/* Standard alphabet, padding optional but correct if present, no
 * whitespace, canonical (unused trailing bits zero): 0 or TALLY_EDATA (also
 * when out is too small). */
int signature_base64_decode(const char *in, size_t len, unsigned char *out,
    size_t outsz, size_t *outlen);
/* Hex of either case into exactly outlen bytes: 0 or TALLY_EDATA. */
int signature_hex_decode(const char *in, size_t len, unsigned char *out,
    size_t outlen);
/* Lowercase hex; out needs 2 * len + 1 bytes. */
void signature_hex_encode(const unsigned char *in, size_t len, char *out);

#endif
