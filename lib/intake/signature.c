#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "base/err.h"
#include "base/hex.h"
#include "intake/signature.h"

#define WHSEC_PREFIX "whsec_"
#define WHSEC_PREFIX_LEN (sizeof(WHSEC_PREFIX) - 1)

struct part {
	const void *p;
	size_t n;
};

/*
 * Fetching an algorithm walks OpenSSL's provider tables under a lock; do it
 * once for the process.  EVP_MAC objects are reference counted and safe to
 * share between threads; each call makes its own context.
 */
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac_alg;

static void
hmac_fetch(void)
{
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static int
hmac_sha256(const struct signature_key *key, const struct part *parts,
    size_t nparts, unsigned char out[SIGNATURE_SHA256_LEN])
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	char digest[] = "SHA256";
	size_t outlen = 0;
	int rc = TALLY_EINTERNAL;

	if (key->data == NULL || key->len == 0)
		return TALLY_ECONFIG;
	pthread_once(&hmac_once, hmac_fetch);
	if (hmac_alg == NULL)
		return TALLY_EINTERNAL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_MAC_CTX_new(hmac_alg)) == NULL)
		goto done;
	if (EVP_MAC_init(ctx, key->data, key->len, params) != 1)
		goto done;
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].n > 0 &&
		    EVP_MAC_update(ctx, parts[i].p, parts[i].n) != 1)
			goto done;
	if (EVP_MAC_final(ctx, out, &outlen, SIGNATURE_SHA256_LEN) != 1 ||
	    outlen != SIGNATURE_SHA256_LEN)
		goto done;
	rc = 0;
done:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

static int
digest_parts(const EVP_MD *md, const struct part *parts, size_t nparts,
    unsigned char *out, unsigned int outlen)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned int n = 0;
	int rc = TALLY_EINTERNAL;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return TALLY_EINTERNAL;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1)
		goto done;
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].n > 0 &&
		    EVP_DigestUpdate(ctx, parts[i].p, parts[i].n) != 1)
			goto done;
	if (EVP_DigestFinal_ex(ctx, out, &n) != 1 || n != outlen)
		goto done;
	rc = 0;
done:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* ---- encodings ---- */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
signature_base64_encode(const unsigned char *in, size_t len, char *out,
    size_t outsz)
{
	size_t need, o = 0, i = 0;
	uint32_t v;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return 0;
	need = (len + 2) / 3 * 4 + 1;
	if (outsz < need)
		return 0;
	for (; i + 3 <= len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = b64chars[v >> 6 & 63];
		out[o++] = b64chars[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = b64chars[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

static int
b64value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
signature_base64_decode(const char *in, size_t len, unsigned char *out,
    size_t outsz, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, pad = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	/* padding, when present, completes the last quantum exactly */
	if (len > 0 && s[len - 1] == '=') {
		pad = len > 1 && s[len - 2] == '=' ? 2 : 1;
		if (len % 4 != 0)
			return TALLY_EDATA;
		len -= pad;
	}
	if (len % 4 == 1)
		return TALLY_EDATA;
	for (size_t i = 0; i < len; i++) {
		if ((v = b64value(s[i])) < 0)
			return TALLY_EDATA;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsz)
				return TALLY_EDATA;
			out[o++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	/* canonical only: the bits past the last byte must be zero, so one
	 * value has one encoding */
	if ((acc & ((1u << bits) - 1)) != 0)
		return TALLY_EDATA;
	*outlen = o;
	return 0;
}

int
signature_hex_decode(const char *in, size_t len, unsigned char *out,
    size_t outlen)
{
	return hex_decode(in, len, out, outlen);
}

void
signature_hex_encode(const unsigned char *in, size_t len, char *out)
{
	hex_encode(in, len, out);
}

/* ---- keys ---- */

int
signature_key_init(struct signature_key *key, enum source_scheme scheme,
    const unsigned char *secret, size_t len, const char **reason)
{
	const char *b64;
	size_t b64len, n = 0;

	key->data = NULL;
	key->len = 0;
	if (secret == NULL || len == 0) {
		*reason = "empty secret";
		return TALLY_ECONFIG;
	}
	if (scheme != SCHEME_STANDARD_WEBHOOKS) {
		key->data = xmalloc(len);
		memcpy(key->data, secret, len);
		key->len = len;
		return 0;
	}
	b64 = (const char *)secret;
	b64len = len;
	if (len >= WHSEC_PREFIX_LEN &&
	    memcmp(secret, WHSEC_PREFIX, WHSEC_PREFIX_LEN) == 0) {
		b64 += WHSEC_PREFIX_LEN;
		b64len -= WHSEC_PREFIX_LEN;
	}
	key->data = xmalloc(b64len / 4 * 3 + 3);
	if (signature_base64_decode(b64, b64len, key->data, b64len / 4 * 3 + 3,
	    &n) != 0 || n == 0) {
		explicit_bzero(key->data, b64len / 4 * 3 + 3);
		free(key->data);
		key->data = NULL;
		*reason = "a standard-webhooks secret is whsec_ followed by base64";
		return TALLY_ECONFIG;
	}
	key->len = n;
	return 0;
}

void
signature_key_release(struct signature_key *key)
{
	if (key->data != NULL) {
		explicit_bzero(key->data, key->len);
		free(key->data);
	}
	key->data = NULL;
	key->len = 0;
}

/* ---- parsers ---- */

int
signature_parse_timestamp(const char *s, long long *out)
{
	long long v = 0;
	size_t i;

	if (s == NULL || s[0] == '\0')
		return TALLY_EDATA;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= SIGNATURE_MAX_TIMESTAMP_DIGITS || s[i] < '0' ||
		    s[i] > '9')
			return TALLY_EDATA;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
signature_check_time(long long ts, time_t now, long tolerance,
    const char **reason)
{
	long long diff = (long long)now - ts;

	if (tolerance < 0)
		tolerance = 0;
	if (diff > tolerance) {
		*reason = "timestamp too old";
		return TALLY_ESIGNATURE;
	}
	if (-diff > tolerance) {
		*reason = "timestamp in the future";
		return TALLY_ESIGNATURE;
	}
	return 0;
}

/* Length of s, or SIZE_MAX when it is NULL or longer than the header limit. */
static size_t
header_len(const char *s)
{
	return bounded_len(s, SIGNATURE_MAX_HEADER);
}

int
signature_standard_parse(const char *header, struct signature_candidates *out)
{
	size_t len = header_len(header), i = 0, start, comma, entries = 0, n;
	unsigned char buf[SIGNATURE_SHA256_LEN + 3];

	out->n = 0;
	if (len == SIZE_MAX || len == 0)
		return TALLY_EDATA;
	while (i < len) {
		while (i < len && header[i] == ' ')
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && header[i] != ' ')
			i++;
		if (++entries > SIGNATURE_MAX_ENTRIES)
			return TALLY_EDATA;
		/* "v1,<sig>": anything else is another version, skipped */
		comma = start;
		while (comma < i && header[comma] != ',')
			comma++;
		if (comma == i || comma - start != 2 ||
		    memcmp(header + start, "v1", 2) != 0)
			continue;
		if (signature_base64_decode(header + comma + 1, i - comma - 1,
		    buf, sizeof(buf), &n) != 0 || n != SIGNATURE_SHA256_LEN)
			continue;
		if (out->n >= SIGNATURE_MAX_CANDIDATES)
			return TALLY_EDATA;
		memcpy(out->sig[out->n++], buf, SIGNATURE_SHA256_LEN);
	}
	return out->n > 0 ? 0 : TALLY_EDATA;
}

int
signature_stripe_parse(const char *header, struct signature_stripe *out)
{
	size_t len = header_len(header), i = 0, start, eq, items = 0;
	char tbuf[SIGNATURE_MAX_TIMESTAMP_DIGITS + 1];
	bool have_t = false;

	out->t = 0;
	out->t_off = out->t_len = 0;
	out->v1.n = 0;
	if (len == SIZE_MAX || len == 0)
		return TALLY_EDATA;
	while (i <= len) {
		start = i;
		while (i < len && header[i] != ',')
			i++;
		if (++items > SIGNATURE_MAX_ENTRIES)
			return TALLY_EDATA;
		eq = start;
		while (eq < i && header[eq] != '=')
			eq++;
		if (eq < i && eq - start == 1 && header[start] == 't') {
			/* a second t could make two parsers disagree: refuse */
			if (have_t || i - eq - 1 > SIGNATURE_MAX_TIMESTAMP_DIGITS)
				return TALLY_EDATA;
			memcpy(tbuf, header + eq + 1, i - eq - 1);
			tbuf[i - eq - 1] = '\0';
			if (signature_parse_timestamp(tbuf, &out->t) != 0)
				return TALLY_EDATA;
			out->t_off = eq + 1;
			out->t_len = i - eq - 1;
			have_t = true;
		} else if (eq < i && eq - start == 2 &&
		    memcmp(header + start, "v1", 2) == 0) {
			if (out->v1.n >= SIGNATURE_MAX_CANDIDATES)
				return TALLY_EDATA;
			if (signature_hex_decode(header + eq + 1, i - eq - 1,
			    out->v1.sig[out->v1.n], SIGNATURE_SHA256_LEN) == 0)
				out->v1.n++;
		}
		i++;		/* past the comma (or the end) */
	}
	return have_t && out->v1.n > 0 ? 0 : TALLY_EDATA;
}

/* Constant time over all keys and candidates: no early exit on a match. */
static int
match_any(const struct signature_key *keys, size_t nkeys,
    const struct part *parts, size_t nparts,
    const struct signature_candidates *cand)
{
	unsigned char mac[SIGNATURE_SHA256_LEN];
	int found = 0, rc;

	for (size_t k = 0; k < nkeys; k++) {
		if ((rc = hmac_sha256(&keys[k], parts, nparts, mac)) != 0) {
			explicit_bzero(mac, sizeof(mac));
			return rc;
		}
		for (size_t c = 0; c < cand->n; c++)
			found |= CRYPTO_memcmp(mac, cand->sig[c],
			    SIGNATURE_SHA256_LEN) == 0;
	}
	explicit_bzero(mac, sizeof(mac));
	return found ? 0 : TALLY_ESIGNATURE;
}

int
signature_standard_verify(const struct signature_key *keys, size_t nkeys,
    const char *id, const char *timestamp, const char *header,
    const void *body, size_t len, long tolerance, time_t now,
    const char **reason)
{
	struct signature_candidates cand;
	struct part parts[5];
	long long ts;
	int rc;

	if (id == NULL || id[0] == '\0') {
		*reason = "missing webhook-id header";
		return TALLY_ESIGNATURE;
	}
	if (timestamp == NULL) {
		*reason = "missing webhook-timestamp header";
		return TALLY_ESIGNATURE;
	}
	if (header == NULL) {
		*reason = "missing webhook-signature header";
		return TALLY_ESIGNATURE;
	}
	if (header_len(id) == SIZE_MAX ||
	    signature_parse_timestamp(timestamp, &ts) != 0) {
		*reason = "malformed webhook-timestamp header";
		return TALLY_ESIGNATURE;
	}
	if ((rc = signature_check_time(ts, now, tolerance, reason)) != 0)
		return rc;
	if (signature_standard_parse(header, &cand) != 0) {
		*reason = "malformed webhook-signature header";
		return TALLY_ESIGNATURE;
	}
	parts[0] = (struct part){ id, strlen(id) };
	parts[1] = (struct part){ ".", 1 };
	parts[2] = (struct part){ timestamp, strlen(timestamp) };
	parts[3] = (struct part){ ".", 1 };
	parts[4] = (struct part){ body, len };
	rc = match_any(keys, nkeys, parts, 5, &cand);
	if (rc == TALLY_ESIGNATURE)
		*reason = "signature mismatch";
	else if (rc != 0)
		*reason = "signature check failed";
	return rc;
}

int
signature_standard_sign(const struct signature_key *key, const char *id,
    const char *timestamp, const void *body, size_t len, struct strbuf *out)
{
	unsigned char mac[SIGNATURE_SHA256_LEN];
	char b64[4 * ((SIGNATURE_SHA256_LEN + 2) / 3) + 1];
	struct part parts[5] = {
		{ id, strlen(id) }, { ".", 1 }, { timestamp, strlen(timestamp) },
		{ ".", 1 }, { body, len },
	};
	int rc;

	if ((rc = hmac_sha256(key, parts, 5, mac)) != 0)
		return rc;
	signature_base64_encode(mac, sizeof(mac), b64, sizeof(b64));
	strbuf_addstr(out, "v1,");
	strbuf_addstr(out, b64);
	explicit_bzero(mac, sizeof(mac));
	return 0;
}

int
signature_stripe_verify(const struct signature_key *keys, size_t nkeys,
    const char *header, const void *body, size_t len, long tolerance,
    time_t now, const char **reason)
{
	struct signature_stripe sig;
	struct part parts[3];
	int rc;

	if (header == NULL) {
		*reason = "missing Stripe-Signature header";
		return TALLY_ESIGNATURE;
	}
	if (signature_stripe_parse(header, &sig) != 0) {
		*reason = "malformed Stripe-Signature header";
		return TALLY_ESIGNATURE;
	}
	if ((rc = signature_check_time(sig.t, now, tolerance, reason)) != 0)
		return rc;
	/* the signed text is the digits exactly as sent */
	parts[0] = (struct part){ header + sig.t_off, sig.t_len };
	parts[1] = (struct part){ ".", 1 };
	parts[2] = (struct part){ body, len };
	rc = match_any(keys, nkeys, parts, 3, &sig.v1);
	if (rc == TALLY_ESIGNATURE)
		*reason = "signature mismatch";
	else if (rc != 0)
		*reason = "signature check failed";
	return rc;
}

int
signature_stripe_sign(const struct signature_key *key, long long t,
    const void *body, size_t len, struct strbuf *out)
{
	unsigned char mac[SIGNATURE_SHA256_LEN];
	char hex[2 * SIGNATURE_SHA256_LEN + 1];
	char tbuf[32];
	struct part parts[3];
	int rc, n;

	n = snprintf(tbuf, sizeof(tbuf), "%lld", t);
	parts[0] = (struct part){ tbuf, (size_t)n };
	parts[1] = (struct part){ ".", 1 };
	parts[2] = (struct part){ body, len };
	if ((rc = hmac_sha256(key, parts, 3, mac)) != 0)
		return rc;
	signature_hex_encode(mac, sizeof(mac), hex);
	strbuf_addf(out, "t=%s,v1=%s", tbuf, hex);
	explicit_bzero(mac, sizeof(mac));
	return 0;
}

static int
midtrans_digest(const struct signature_key *key, const char *order_id,
    const char *status_code, const char *gross_amount,
    unsigned char out[SIGNATURE_SHA512_LEN])
{
	struct part parts[4] = {
		{ order_id, strlen(order_id) },
		{ status_code, strlen(status_code) },
		{ gross_amount, strlen(gross_amount) },
		{ key->data, key->len },
	};

	if (key->data == NULL || key->len == 0)
		return TALLY_ECONFIG;
	return digest_parts(EVP_sha512(), parts, 4, out, SIGNATURE_SHA512_LEN);
}

int
signature_midtrans_verify(const struct signature_key *keys, size_t nkeys,
    const char *order_id, const char *status_code, const char *gross_amount,
    const char *signature_key, const char **reason)
{
	unsigned char want[SIGNATURE_SHA512_LEN], got[SIGNATURE_SHA512_LEN];
	int found = 0, rc = 0;

	if (order_id == NULL || status_code == NULL || gross_amount == NULL) {
		*reason = "missing order_id, status_code or gross_amount";
		return TALLY_ESIGNATURE;
	}
	if (signature_key == NULL) {
		*reason = "missing signature_key";
		return TALLY_ESIGNATURE;
	}
	if (signature_hex_decode(signature_key,
	    strnlen(signature_key, 2 * SIGNATURE_SHA512_LEN + 1), got,
	    sizeof(got)) != 0) {
		*reason = "malformed signature_key";
		return TALLY_ESIGNATURE;
	}
	for (size_t k = 0; k < nkeys; k++) {
		if ((rc = midtrans_digest(&keys[k], order_id, status_code,
		    gross_amount, want)) != 0)
			break;
		found |= CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	}
	explicit_bzero(want, sizeof(want));
	if (rc != 0) {
		*reason = "signature check failed";
		return rc;
	}
	if (!found) {
		*reason = "signature mismatch";
		return TALLY_ESIGNATURE;
	}
	return 0;
}

int
signature_midtrans_sign(const struct signature_key *key,
    const char *order_id, const char *status_code, const char *gross_amount,
    char out[2 * SIGNATURE_SHA512_LEN + 1])
{
	unsigned char d[SIGNATURE_SHA512_LEN];
	int rc;

	if ((rc = midtrans_digest(key, order_id, status_code, gross_amount,
	    d)) != 0)
		return rc;
	signature_hex_encode(d, sizeof(d), out);
	return 0;
}

int
signature_xendit_verify(const struct signature_key *keys, size_t nkeys,
    const char *token, const char **reason)
{
	unsigned char want[SIGNATURE_SHA256_LEN], got[SIGNATURE_SHA256_LEN];
	struct part p;
	size_t len;
	int found = 0, rc;

	if (token == NULL || token[0] == '\0') {
		*reason = "missing x-callback-token header";
		return TALLY_ESIGNATURE;
	}
	if ((len = header_len(token)) == SIZE_MAX) {
		*reason = "malformed x-callback-token header";
		return TALLY_ESIGNATURE;
	}
	p = (struct part){ token, len };
	if ((rc = digest_parts(EVP_sha256(), &p, 1, got, sizeof(got))) != 0) {
		*reason = "signature check failed";
		return rc;
	}
	for (size_t k = 0; k < nkeys; k++) {
		p = (struct part){ keys[k].data, keys[k].len };
		if (keys[k].data == NULL || keys[k].len == 0 ||
		    (rc = digest_parts(EVP_sha256(), &p, 1, want,
		    sizeof(want))) != 0) {
			explicit_bzero(want, sizeof(want));
			*reason = "signature check failed";
			return rc != 0 ? rc : TALLY_ECONFIG;
		}
		found |= CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	}
	explicit_bzero(want, sizeof(want));
	explicit_bzero(got, sizeof(got));
	if (!found) {
		*reason = "callback token mismatch";
		return TALLY_ESIGNATURE;
	}
	return 0;
}
