/*
 * test_signature.c - every scheme against published or independently
 * computed vectors (Python hmac/hashlib, not this code), and every way to
 * get a signature wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/err.h"
#include "intake/signature.h"
#include "base/strbuf.h"

/* Standard Webhooks specification test vector */
#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SW_TS "1614265330"
#define SW_BODY "{\"test\": 2432232314}"
#define SW_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
#define SW_NOW ((time_t)1614265330)

/* a second secret, for rotation: base64 of "second-secret-for-rotation-tests" */
#define SW_SECRET2 "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM="
#define SW2_BODY "{\"id\":\"evt_usage_1\",\"type\":\"usage.recorded\"}"
#define SW2_SIG "v1,N9/svufr4M8cmBpHEFJBisRHoukznaz4FIx9e/sajVs="

/* computed with Python: hmac.new(secret, b"1700000000." + body, sha256) */
#define ST_SECRET "whsec_stripe_test_secret_0123456789"
#define ST_BODY "{\"id\":\"evt_1NG8Du2eZvKYlo2CUI79vXWy\",\"object\":\"event\"," \
	"\"type\":\"payment_intent.succeeded\"}"
#define ST_HEX "16d8dfa349373692113f0e8bf8c9225f88d471de7b8a2b805f6156d64d87261c"
#define ST_NOW ((time_t)1700000000)

/* hashlib.sha512(b"ORDER-101" b"200" b"150000.00" b"SB-Mid-server-TEST-key-42") */
#define MT_KEY "SB-Mid-server-TEST-key-42"
#define MT_SIG "c76f4e4e58f72b23630b89685f27add956fc88374ebe7b2727eda9f270b13f22" \
	"71b78f3c3290294f736bab9a0e7f4abecc78d41ab2b166740ecb977997543e59"
/* the same with gross_amount "150000": a different string, a different key */
#define MT_SIG_NODEC "1627a0c6ce0dae10f0a4edd9ea6c8e80e444efb0657a611d8201acef1884dab3" \
	"8850eef9e4fd002956bac1e402d4c1cfdcbfb107ccc5fb2092956ffd9a72caf4"

static void
key(struct signature_key *k, enum source_scheme s, const char *secret)
{
	const char *reason = NULL;

	assert_int_equal(signature_key_init(k, s,
	    (const unsigned char *)secret, strlen(secret), &reason), 0);
}

static int
sw_verify(const char *secret, const char *id, const char *ts,
    const char *hdr, const char *body, time_t now, const char **reason)
{
	struct signature_key k;
	int rc;

	key(&k, SCHEME_STANDARD_WEBHOOKS, secret);
	rc = signature_standard_verify(&k, 1, id, ts, hdr, body,
	    body ? strlen(body) : 0, 300, now, reason);
	signature_key_release(&k);
	return rc;
}

static void
test_sw_spec_vector(void **state)
{
	const char *reason = NULL;
	struct signature_key k;
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, SW_TS, SW_SIG, SW_BODY,
	    SW_NOW, &reason), 0);
	key(&k, SCHEME_STANDARD_WEBHOOKS, SW_SECRET);
	assert_int_equal(signature_standard_sign(&k, SW_ID, SW_TS, SW_BODY,
	    strlen(SW_BODY), &sb), 0);
	assert_string_equal(sb.buf, SW_SIG);
	signature_key_release(&k);
	assert_null(k.data);
	strbuf_release(&sb);
}

static void
test_sw_several_entries(void **state)
{
	const char *reason = NULL;

	(void)state;
	/* other versions and undecodable v1 entries are skipped */
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, SW_TS,
	    "v2,abc v1,!!!! v1a,x " SW_SIG, SW_BODY, SW_NOW, &reason), 0);
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, SW_TS,
	    "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=  " SW_SIG,
	    SW_BODY, SW_NOW, &reason), 0);
	/* the right signature under another version does not count */
	reason = NULL;
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, SW_TS,
	    "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", SW_BODY,
	    SW_NOW, &reason), TALLY_ESIGNATURE);
	assert_string_equal(reason, "malformed webhook-signature header");
}

static void
test_sw_wrong(void **state)
{
	const char *reason = NULL;

	(void)state;
	/* wrong secret */
	assert_int_equal(sw_verify(SW_SECRET2, SW_ID, SW_TS, SW_SIG, SW_BODY,
	    SW_NOW, &reason), TALLY_ESIGNATURE);
	assert_string_equal(reason, "signature mismatch");
	/* tampered body, id, timestamp */
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, SW_TS, SW_SIG,
	    "{\"test\": 2432232315}", SW_NOW, &reason), TALLY_ESIGNATURE);
	assert_int_equal(sw_verify(SW_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJeK",
	    SW_TS, SW_SIG, SW_BODY, SW_NOW, &reason), TALLY_ESIGNATURE);
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, "1614265331", SW_SIG,
	    SW_BODY, SW_NOW, &reason), TALLY_ESIGNATURE);
	assert_string_equal(reason, "signature mismatch");
	/* empty body */
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, SW_TS, SW_SIG, "",
	    SW_NOW, &reason), TALLY_ESIGNATURE);
	/* a flipped bit in the signature */
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, SW_TS,
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=", SW_BODY,
	    SW_NOW, &reason), TALLY_ESIGNATURE);
}

static void
test_sw_time(void **state)
{
	const char *reason = NULL;

	(void)state;
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, SW_TS, SW_SIG, SW_BODY,
	    SW_NOW + 300, &reason), 0);
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, SW_TS, SW_SIG, SW_BODY,
	    SW_NOW - 300, &reason), 0);
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, SW_TS, SW_SIG, SW_BODY,
	    SW_NOW + 301, &reason), TALLY_ESIGNATURE);
	assert_string_equal(reason, "timestamp too old");
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, SW_TS, SW_SIG, SW_BODY,
	    SW_NOW - 301, &reason), TALLY_ESIGNATURE);
	assert_string_equal(reason, "timestamp in the future");
}

static void
test_sw_missing_malformed(void **state)
{
	static const char *const bad_ts[] = {
		"", "abc", "-1614265330", "+1614265330", "1614265330.0",
		" 1614265330", "1614265330 ", "1e9", "1234567890123",
	};
	static const char *const bad_sig[] = {
		"", " ", "v1", "v1 v1", "v1,", "v1,!!!!", "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1O",	/* short */
		"v1;g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
	};
	const char *reason = NULL;
	struct strbuf many = STRBUF_INIT;

	(void)state;
	assert_int_equal(sw_verify(SW_SECRET, NULL, SW_TS, SW_SIG, SW_BODY,
	    SW_NOW, &reason), TALLY_ESIGNATURE);
	assert_string_equal(reason, "missing webhook-id header");
	assert_int_equal(sw_verify(SW_SECRET, "", SW_TS, SW_SIG, SW_BODY,
	    SW_NOW, &reason), TALLY_ESIGNATURE);
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, NULL, SW_SIG, SW_BODY,
	    SW_NOW, &reason), TALLY_ESIGNATURE);
	assert_string_equal(reason, "missing webhook-timestamp header");
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, SW_TS, NULL, SW_BODY,
	    SW_NOW, &reason), TALLY_ESIGNATURE);
	assert_string_equal(reason, "missing webhook-signature header");
	for (size_t i = 0; i < sizeof(bad_ts) / sizeof(bad_ts[0]); i++) {
		reason = NULL;
		assert_int_equal(sw_verify(SW_SECRET, SW_ID, bad_ts[i], SW_SIG,
		    SW_BODY, SW_NOW, &reason), TALLY_ESIGNATURE);
		assert_string_equal(reason, "malformed webhook-timestamp header");
	}
	for (size_t i = 0; i < sizeof(bad_sig) / sizeof(bad_sig[0]); i++) {
		reason = NULL;
		assert_int_equal(sw_verify(SW_SECRET, SW_ID, SW_TS, bad_sig[i],
		    SW_BODY, SW_NOW, &reason), TALLY_ESIGNATURE);
		assert_string_equal(reason, "malformed webhook-signature header");
	}
	/* more entries than the limit, even with the right one among them */
	for (int i = 0; i < SIGNATURE_MAX_ENTRIES; i++)
		strbuf_addstr(&many, "v2,x ");
	strbuf_addstr(&many, SW_SIG);
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, SW_TS, many.buf, SW_BODY,
	    SW_NOW, &reason), TALLY_ESIGNATURE);
	assert_string_equal(reason, "malformed webhook-signature header");
	/* a header past the length limit */
	strbuf_reset(&many);
	strbuf_addstr(&many, SW_SIG);
	while (many.len <= SIGNATURE_MAX_HEADER)
		strbuf_addch(&many, ' ');
	assert_int_equal(sw_verify(SW_SECRET, SW_ID, SW_TS, many.buf, SW_BODY,
	    SW_NOW, &reason), TALLY_ESIGNATURE);
	strbuf_release(&many);
}

static void
test_sw_rotation(void **state)
{
	struct signature_key k[2];
	const char *reason = NULL;

	(void)state;
	key(&k[0], SCHEME_STANDARD_WEBHOOKS, SW_SECRET2);
	key(&k[1], SCHEME_STANDARD_WEBHOOKS, SW_SECRET);
	/* signed with the first secret, and with the second */
	assert_int_equal(signature_standard_verify(k, 2, SW_ID, SW_TS, SW_SIG,
	    SW_BODY, strlen(SW_BODY), 300, SW_NOW, &reason), 0);
	assert_int_equal(signature_standard_verify(k, 2, "msg_2", "1700000000",
	    SW2_SIG, SW2_BODY, strlen(SW2_BODY), 300, 1700000000, &reason), 0);
	/* only the new one configured: the old signature fails */
	assert_int_equal(signature_standard_verify(k, 1, SW_ID, SW_TS, SW_SIG,
	    SW_BODY, strlen(SW_BODY), 300, SW_NOW, &reason), TALLY_ESIGNATURE);
	signature_key_release(&k[0]);
	signature_key_release(&k[1]);
}

static void
test_sw_keys(void **state)
{
	struct signature_key k;
	const char *reason = NULL;

	(void)state;
	/* the prefix is optional; the key is the decoded bytes */
	key(&k, SCHEME_STANDARD_WEBHOOKS,
	    "c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=");
	assert_int_equal(k.len, strlen("second-secret-for-rotation-tests"));
	assert_memory_equal(k.data, "second-secret-for-rotation-tests", k.len);
	signature_key_release(&k);
	assert_int_equal(signature_key_init(&k, SCHEME_STANDARD_WEBHOOKS,
	    (const unsigned char *)"whsec_not base64!", 17, &reason),
	    TALLY_ECONFIG);
	assert_null(k.data);
	assert_int_equal(signature_key_init(&k, SCHEME_STANDARD_WEBHOOKS,
	    (const unsigned char *)"whsec_", 6, &reason), TALLY_ECONFIG);
	assert_int_equal(signature_key_init(&k, SCHEME_STRIPE,
	    (const unsigned char *)"", 0, &reason), TALLY_ECONFIG);
	assert_string_equal(reason, "empty secret");
	/* Stripe keeps the whole string, prefix included */
	key(&k, SCHEME_STRIPE, ST_SECRET);
	assert_int_equal(k.len, strlen(ST_SECRET));
	assert_memory_equal(k.data, ST_SECRET, k.len);
	signature_key_release(&k);
}

static int
st_verify(const char *secret, const char *hdr, const char *body, time_t now,
    const char **reason)
{
	struct signature_key k;
	int rc;

	key(&k, SCHEME_STRIPE, secret);
	rc = signature_stripe_verify(&k, 1, hdr, body, strlen(body), 300, now,
	    reason);
	signature_key_release(&k);
	return rc;
}

static void
test_stripe_vector(void **state)
{
	const char *reason = NULL;
	struct signature_key k;
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(st_verify(ST_SECRET, "t=1700000000,v1=" ST_HEX,
	    ST_BODY, ST_NOW, &reason), 0);
	key(&k, SCHEME_STRIPE, ST_SECRET);
	assert_int_equal(signature_stripe_sign(&k, 1700000000, ST_BODY,
	    strlen(ST_BODY), &sb), 0);
	assert_string_equal(sb.buf, "t=1700000000,v1=" ST_HEX);
	signature_key_release(&k);
	strbuf_release(&sb);
	/* several v1 during a roll, v0 alongside, order free */
	assert_int_equal(st_verify(ST_SECRET, "v1=00000000000000000000000000"
	    "00000000000000000000000000000000000000,t=1700000000,v0=abc,v1="
	    ST_HEX, ST_BODY, ST_NOW, &reason), 0);
	/* hex case does not matter once decoded */
	assert_int_equal(st_verify(ST_SECRET, "t=1700000000,v1="
	    "16D8DFA349373692113F0E8BF8C9225F88D471DE7B8A2B805F6156D64D87261C",
	    ST_BODY, ST_NOW, &reason), 0);
}

static void
test_stripe_wrong(void **state)
{
	static const char *const malformed[] = {
		"", "t=1700000000", "v1=" ST_HEX, "t=,v1=" ST_HEX,
		"t=abc,v1=" ST_HEX, "t=1700000000,v0=" ST_HEX,
		"t=1700000000,t=1700000000,v1=" ST_HEX,
		"t=1700000000,v1=" ST_HEX "0",	/* odd length: unusable */
		"t=1700000000,v1=zz" ST_HEX,
		"t=1700000000, v1=" ST_HEX,	/* " v1" is not "v1" */
		"T=1700000000,v1=" ST_HEX,
	};
	const char *reason = NULL;

	(void)state;
	/* the secret without whsec_ is another key */
	assert_int_equal(st_verify("stripe_test_secret_0123456789",
	    "t=1700000000,v1=" ST_HEX, ST_BODY, ST_NOW, &reason),
	    TALLY_ESIGNATURE);
	assert_string_equal(reason, "signature mismatch");
	assert_int_equal(st_verify(ST_SECRET, "t=1700000000,v1=" ST_HEX,
	    ST_BODY " ", ST_NOW, &reason), TALLY_ESIGNATURE);
	assert_int_equal(st_verify(ST_SECRET, "t=1700000000,v1=" ST_HEX, "",
	    ST_NOW, &reason), TALLY_ESIGNATURE);
	/* the timestamp is signed */
	assert_int_equal(st_verify(ST_SECRET, "t=1700000001,v1=" ST_HEX,
	    ST_BODY, ST_NOW, &reason), TALLY_ESIGNATURE);
	assert_string_equal(reason, "signature mismatch");
	/* stale and future, both refused */
	assert_int_equal(st_verify(ST_SECRET, "t=1700000000,v1=" ST_HEX,
	    ST_BODY, ST_NOW + 301, &reason), TALLY_ESIGNATURE);
	assert_string_equal(reason, "timestamp too old");
	assert_int_equal(st_verify(ST_SECRET, "t=1700000000,v1=" ST_HEX,
	    ST_BODY, ST_NOW - 301, &reason), TALLY_ESIGNATURE);
	assert_string_equal(reason, "timestamp in the future");
	assert_int_equal(st_verify(ST_SECRET, "t=1700000000,v1=" ST_HEX,
	    ST_BODY, ST_NOW - 300, &reason), 0);
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		reason = NULL;
		assert_int_equal(st_verify(ST_SECRET, malformed[i], ST_BODY,
		    ST_NOW, &reason), TALLY_ESIGNATURE);
		assert_string_equal(reason, "malformed Stripe-Signature header");
	}
	{
		struct signature_key k;

		key(&k, SCHEME_STRIPE, ST_SECRET);
		assert_int_equal(signature_stripe_verify(&k, 1, NULL, ST_BODY,
		    strlen(ST_BODY), 300, ST_NOW, &reason), TALLY_ESIGNATURE);
		assert_string_equal(reason, "missing Stripe-Signature header");
		signature_key_release(&k);
	}
}

static void
test_stripe_parse(void **state)
{
	struct signature_stripe s;

	(void)state;
	assert_int_equal(signature_stripe_parse("t=42,v1=" ST_HEX ",v1=" ST_HEX,
	    &s), 0);
	assert_int_equal(s.t, 42);
	assert_int_equal(s.v1.n, 2);
	assert_int_equal(s.t_off, 2);
	assert_int_equal(s.t_len, 2);
	/* nine v1 entries is one more than the candidate limit */
	assert_int_equal(signature_stripe_parse("t=1,v1=" ST_HEX ",v1=" ST_HEX
	    ",v1=" ST_HEX ",v1=" ST_HEX ",v1=" ST_HEX ",v1=" ST_HEX ",v1=" ST_HEX
	    ",v1=" ST_HEX ",v1=" ST_HEX, &s), TALLY_EDATA);
}

static void
test_stripe_rotation(void **state)
{
	struct signature_key k[2];
	const char *reason = NULL;

	(void)state;
	key(&k[0], SCHEME_STRIPE, "whsec_the_new_one");
	key(&k[1], SCHEME_STRIPE, ST_SECRET);
	assert_int_equal(signature_stripe_verify(k, 2, "t=1700000000,v1=" ST_HEX,
	    ST_BODY, strlen(ST_BODY), 300, ST_NOW, &reason), 0);
	assert_int_equal(signature_stripe_verify(k, 1, "t=1700000000,v1=" ST_HEX,
	    ST_BODY, strlen(ST_BODY), 300, ST_NOW, &reason), TALLY_ESIGNATURE);
	signature_key_release(&k[0]);
	signature_key_release(&k[1]);
}

static int
mt_verify(const char *secret, const char *gross, const char *sig,
    const char **reason)
{
	struct signature_key k;
	int rc;

	key(&k, SCHEME_MIDTRANS, secret);
	rc = signature_midtrans_verify(&k, 1, "ORDER-101", "200", gross, sig,
	    reason);
	signature_key_release(&k);
	return rc;
}

static void
test_midtrans(void **state)
{
	const char *reason = NULL;
	char out[2 * SIGNATURE_SHA512_LEN + 1];
	struct signature_key k;
	char upper[sizeof(MT_SIG)];

	(void)state;
	assert_int_equal(mt_verify(MT_KEY, "150000.00", MT_SIG, &reason), 0);
	assert_int_equal(mt_verify(MT_KEY, "150000", MT_SIG_NODEC, &reason), 0);
	/* strings exactly as received: "150000" is not "150000.00" */
	assert_int_equal(mt_verify(MT_KEY, "150000", MT_SIG, &reason),
	    TALLY_ESIGNATURE);
	assert_string_equal(reason, "signature mismatch");
	assert_int_equal(mt_verify("SB-Mid-server-TEST-key-43", "150000.00",
	    MT_SIG, &reason), TALLY_ESIGNATURE);
	for (size_t i = 0; i < sizeof(upper); i++)
		upper[i] = (char)(MT_SIG[i] >= 'a' && MT_SIG[i] <= 'f' ?
		    MT_SIG[i] - 32 : MT_SIG[i]);
	assert_int_equal(mt_verify(MT_KEY, "150000.00", upper, &reason), 0);
	/* malformed signature_key */
	assert_int_equal(mt_verify(MT_KEY, "150000.00", MT_SIG + 1, &reason),
	    TALLY_ESIGNATURE);
	assert_string_equal(reason, "malformed signature_key");
	assert_int_equal(mt_verify(MT_KEY, "150000.00", MT_SIG "00", &reason),
	    TALLY_ESIGNATURE);
	assert_string_equal(reason, "malformed signature_key");
	assert_int_equal(mt_verify(MT_KEY, "150000.00", "", &reason),
	    TALLY_ESIGNATURE);
	key(&k, SCHEME_MIDTRANS, MT_KEY);
	assert_int_equal(signature_midtrans_verify(&k, 1, "ORDER-101", "200",
	    "150000.00", NULL, &reason), TALLY_ESIGNATURE);
	assert_string_equal(reason, "missing signature_key");
	assert_int_equal(signature_midtrans_verify(&k, 1, NULL, "200",
	    "150000.00", MT_SIG, &reason), TALLY_ESIGNATURE);
	assert_int_equal(signature_midtrans_verify(&k, 1, "ORDER-101", "201",
	    "150000.00", MT_SIG, &reason), TALLY_ESIGNATURE);
	assert_int_equal(signature_midtrans_sign(&k, "ORDER-101", "200",
	    "150000.00", out), 0);
	assert_string_equal(out, MT_SIG);
	signature_key_release(&k);
}

static void
test_xendit(void **state)
{
	struct signature_key k[2];
	const char *reason = NULL;

	(void)state;
	key(&k[0], SCHEME_XENDIT, "xnd-token-old");
	key(&k[1], SCHEME_XENDIT, "xnd-token-new");
	assert_int_equal(signature_xendit_verify(k, 2, "xnd-token-new", &reason),
	    0);
	assert_int_equal(signature_xendit_verify(k, 2, "xnd-token-old", &reason),
	    0);
	assert_int_equal(signature_xendit_verify(k, 1, "xnd-token-new", &reason),
	    TALLY_ESIGNATURE);
	assert_string_equal(reason, "callback token mismatch");
	assert_int_equal(signature_xendit_verify(k, 2, "xnd-token-ne", &reason),
	    TALLY_ESIGNATURE);
	assert_int_equal(signature_xendit_verify(k, 2, "xnd-token-new ",
	    &reason), TALLY_ESIGNATURE);
	assert_int_equal(signature_xendit_verify(k, 2, "XND-TOKEN-NEW",
	    &reason), TALLY_ESIGNATURE);
	assert_int_equal(signature_xendit_verify(k, 2, "", &reason),
	    TALLY_ESIGNATURE);
	assert_string_equal(reason, "missing x-callback-token header");
	assert_int_equal(signature_xendit_verify(k, 2, NULL, &reason),
	    TALLY_ESIGNATURE);
	signature_key_release(&k[0]);
	signature_key_release(&k[1]);
}

static void
test_encodings(void **state)
{
	unsigned char buf[16];
	char out[32];
	size_t n = 0;

	(void)state;
	assert_int_equal(signature_base64_encode((const unsigned char *)"f", 1,
	    out, sizeof(out)), 4);
	assert_string_equal(out, "Zg==");
	signature_base64_encode((const unsigned char *)"foob", 4, out,
	    sizeof(out));
	assert_string_equal(out, "Zm9vYg==");
	signature_base64_encode((const unsigned char *)"fooba", 5, out,
	    sizeof(out));
	assert_string_equal(out, "Zm9vYmE=");
	assert_int_equal(signature_base64_encode((const unsigned char *)"foo",
	    3, out, 4), 0);	/* no room for the NUL */
	assert_int_equal(signature_base64_decode("Zm9vYmFy", 8, buf,
	    sizeof(buf), &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "foobar", 6);
	assert_int_equal(signature_base64_decode("Zm9vYmE", 7, buf,
	    sizeof(buf), &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(signature_base64_decode("Zm9vYmE=", 8, buf,
	    sizeof(buf), &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(signature_base64_decode("Zm9vY", 5, buf,
	    sizeof(buf), &n), TALLY_EDATA);
	assert_int_equal(signature_base64_decode("Zm9vYmE==", 9, buf,
	    sizeof(buf), &n), TALLY_EDATA);
	assert_int_equal(signature_base64_decode("Zm9=YmFy", 8, buf,
	    sizeof(buf), &n), TALLY_EDATA);
	assert_int_equal(signature_base64_decode("Zm9vYmFy", 8, buf, 5, &n),
	    TALLY_EDATA);
	/* non-canonical: "Zh==" has bits set past the byte "Zg==" holds */
	assert_int_equal(signature_base64_decode("Zh==", 4, buf, sizeof(buf),
	    &n), TALLY_EDATA);
	assert_int_equal(signature_base64_decode("====", 4, buf, sizeof(buf),
	    &n), TALLY_EDATA);
	assert_int_equal(signature_hex_decode("00ffA0", 6, buf, 3), 0);
	assert_int_equal(buf[1], 0xff);
	assert_int_equal(buf[2], 0xa0);
	assert_int_equal(signature_hex_decode("00ff", 4, buf, 3), TALLY_EDATA);
	assert_int_equal(signature_hex_decode("0g", 2, buf, 1), TALLY_EDATA);
	signature_hex_encode((const unsigned char *)"\x01\xab", 2, out);
	assert_string_equal(out, "01ab");
}

static void
test_time(void **state)
{
	long long t = 0;
	const char *reason = NULL;

	(void)state;
	assert_int_equal(signature_parse_timestamp("0", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(signature_parse_timestamp("999999999999", &t), 0);
	assert_int_equal(t, 999999999999LL);
	assert_int_equal(signature_parse_timestamp(NULL, &t), TALLY_EDATA);
	assert_int_equal(signature_check_time(1000, 1000, 0, &reason), 0);
	assert_int_equal(signature_check_time(999, 1000, 0, &reason),
	    TALLY_ESIGNATURE);
	assert_int_equal(signature_check_time(1001, 1000, 0, &reason),
	    TALLY_ESIGNATURE);
	/* a timestamp far away cannot overflow the comparison */
	assert_int_equal(signature_check_time(999999999999LL, 0, 300, &reason),
	    TALLY_ESIGNATURE);
	assert_string_equal(reason, "timestamp in the future");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sw_spec_vector),
		cmocka_unit_test(test_sw_several_entries),
		cmocka_unit_test(test_sw_wrong),
		cmocka_unit_test(test_sw_time),
		cmocka_unit_test(test_sw_missing_malformed),
		cmocka_unit_test(test_sw_rotation),
		cmocka_unit_test(test_sw_keys),
		cmocka_unit_test(test_stripe_vector),
		cmocka_unit_test(test_stripe_wrong),
		cmocka_unit_test(test_stripe_parse),
		cmocka_unit_test(test_stripe_rotation),
		cmocka_unit_test(test_midtrans),
		cmocka_unit_test(test_xendit),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
