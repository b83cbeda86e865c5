/*
 * test_receiver_parse.c - from a request to rows, without HTTP or a
 * database: the JSON scanner (held to what PostgreSQL's jsonb accepts),
 * content types, and every scheme's signature, keys and refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/err.h"
#include "intake/receiver_json.h"
#include "intake/receiver_parse.h"
#include "intake/signature.h"
#include "base/strbuf.h"

#define NOW ((time_t)1700000000)
#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define ST_SECRET "whsec_stripe_test_secret_0123456789"
#define MT_SECRET "SB-Mid-server-TEST-key-42"
#define XN_SECRET "xnd-callback-token"

/* ---- the JSON scanner ---- */

static int
scan(const char *s)
{
	return receiver_json_scan(s, strlen(s), NULL, 0, NULL);
}

static void
test_json_accepts(void **state)
{
	/* each of these was checked with SELECT '...'::jsonb */
	static const char *const ok[] = {
		"{}", " {\"a\":1}  ", "\n\t{\r\n}\n", "{\"a\":1e1000}",
		"{\"a\":1e-1000}", "{\"a\":1E+5}", "{\"a\":-0}", "{\"a\":0.5}",
		"{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\\uD83D\\uDE00\"}",
		"{\"a\":\"\\u00e9\"}", "{\"a\":1,\"a\":2}", "{\"a\":\"\\/\"}",
		"{\"a\":1e00000000001}", "{\"a\":[true,false,null,{},[]]}",
		"{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
		"{\"\":\"\"}", "{\"a\":\"\\b\\f\\n\\r\\t\\\"\\\\\"}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (scan(ok[i]) != 0)
			fail_msg("refused: %s", ok[i]);
	}
}

static void
test_json_refuses(void **state)
{
	/* PostgreSQL refuses all of these, or they are not one object */
	static const char *const bad[] = {
		"", " ", "[1]", "\"s\"", "1", "null", "{\"a\":01}", "{\"a\":1.}",
		"{\"a\":.5}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud800\"}",
		"{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud83dx\"}", "{\"a\":\"x\ty\"}",
		"{\"a\":[1,2,]}", "{\"a\":\"\\x\"}", "{\"a\":1e999999999999999999}",
		"{\"a\":1e1001}", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\":}",
		"{a:1}", "{'a':1}", "{\"a\":1}{}", "{\"a\":1} x", "{\"a\":tru}",
		"{\"a\":True}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":-}",
		"{\"a\":\"\xc0\xaf\"}",		/* overlong */
		"{\"a\":\"\xed\xa0\x80\"}",		/* encoded surrogate */
		"{\"a\":\"\xf4\x90\x80\x80\"}",	/* past U+10FFFF */
		"{\"a\":\"\xe2\x82\"}",		/* truncated */
		"{\"a\":\"\x80\"}", "{\"a\":\"\xff\"}", "\xef\xbb\xbf{}",
		"{\"a\":\"unterminated}", "{\"a\":\"\\u12\"}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (scan(bad[i]) != TALLY_EDATA)
			fail_msg("accepted: %s", bad[i]);
	}
}

static void
test_json_limits(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	/* nesting at the limit passes, one deeper does not */
	strbuf_addch(&sb, '{');
	strbuf_addstr(&sb, "\"a\":");
	for (int i = 1; i < RECEIVER_JSON_MAX_DEPTH; i++)
		strbuf_addch(&sb, '[');
	for (int i = 1; i < RECEIVER_JSON_MAX_DEPTH; i++)
		strbuf_addch(&sb, ']');
	strbuf_addch(&sb, '}');
	assert_int_equal(scan(sb.buf), 0);
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "{\"a\":");
	for (int i = 0; i < RECEIVER_JSON_MAX_DEPTH; i++)
		strbuf_addch(&sb, '[');
	for (int i = 0; i < RECEIVER_JSON_MAX_DEPTH; i++)
		strbuf_addch(&sb, ']');
	strbuf_addch(&sb, '}');
	assert_int_equal(scan(sb.buf), TALLY_EDATA);
	/* digits */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "{\"a\":1");
	for (int i = 1; i < RECEIVER_JSON_MAX_DIGITS; i++)
		strbuf_addch(&sb, '0');
	strbuf_addch(&sb, '}');
	assert_int_equal(scan(sb.buf), 0);
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "{\"a\":1");
	for (int i = 0; i < RECEIVER_JSON_MAX_DIGITS; i++)
		strbuf_addch(&sb, '0');
	strbuf_addch(&sb, '}');
	assert_int_equal(scan(sb.buf), TALLY_EDATA);
	strbuf_release(&sb);
}

static void
test_json_fields(void **state)
{
	struct receiver_json_field f[4] = {
		{ "id", NULL, false }, { "status", NULL, false },
		{ "n", NULL, false }, { "missing", NULL, false },
	};
	const char *doc = "{\"nested\":{\"id\":\"inner\"},\"id\":\"first\","
	    "\"status\":\"PA\\u0049D\\n\",\"n\":42,\"id\":\"caf\\u00e9 \\ud83d\\ude00\"}";
	size_t off = 0;

	(void)state;
	assert_int_equal(receiver_json_scan(doc, strlen(doc), f, 4, &off), 0);
	/* top level only, the last of a repeated member, escapes decoded */
	assert_string_equal(f[0].value, "caf\xc3\xa9 \xf0\x9f\x98\x80");
	assert_string_equal(f[1].value, "PAID\n");
	assert_true(f[2].present);
	assert_null(f[2].value);	/* not a string */
	assert_false(f[3].present);
	receiver_json_fields_release(f, 4);
	assert_null(f[0].value);
	/* a failure says where, and leaves nothing allocated */
	assert_int_equal(receiver_json_scan("{\"id\":\"x\",}", 11, f, 4, &off),
	    TALLY_EDATA);
	assert_int_equal(off, 10);
	assert_null(f[0].value);
}

/* ---- content types ---- */

static void
test_content_type(void **state)
{
	(void)state;
	assert_int_equal(receiver_parse_content_type(SCHEME_STRIPE,
	    "application/json"), RECEIVER_BODY_JSON);
	assert_int_equal(receiver_parse_content_type(SCHEME_STRIPE,
	    "Application/JSON; charset=utf-8"), RECEIVER_BODY_JSON);
	assert_int_equal(receiver_parse_content_type(SCHEME_MIDTRANS,
	    " application/json ;charset=\"UTF-8\" ; x=y"), RECEIVER_BODY_JSON);
	assert_int_equal(receiver_parse_content_type(SCHEME_XENDIT,
	    "application/json; charset=latin1"), RECEIVER_BODY_UNSUPPORTED);
	assert_int_equal(receiver_parse_content_type(SCHEME_STRIPE,
	    "application/x-ndjson"), RECEIVER_BODY_UNSUPPORTED);
	assert_int_equal(receiver_parse_content_type(SCHEME_STANDARD_WEBHOOKS,
	    "application/x-ndjson"), RECEIVER_BODY_NDJSON);
	assert_int_equal(receiver_parse_content_type(SCHEME_STANDARD_WEBHOOKS,
	    "text/plain"), RECEIVER_BODY_UNSUPPORTED);
	assert_int_equal(receiver_parse_content_type(SCHEME_STANDARD_WEBHOOKS,
	    "application/jsonx"), RECEIVER_BODY_UNSUPPORTED);
	assert_int_equal(receiver_parse_content_type(SCHEME_STANDARD_WEBHOOKS,
	    NULL), RECEIVER_BODY_UNSUPPORTED);
	assert_int_equal(receiver_parse_content_type(SCHEME_STANDARD_WEBHOOKS,
	    ""), RECEIVER_BODY_UNSUPPORTED);
}

/* ---- requests ---- */

static void
source(struct receiver_source *rs, enum source_scheme scheme,
    const char *secret, const char *secret2)
{
	struct config_source cs;
	struct strbuf err = STRBUF_INIT;

	memset(&cs, 0, sizeof(cs));
	cs.name = (char *)(uintptr_t)"src";
	cs.scheme = scheme;
	cs.tolerance = 300;
	cs.secrets[0].data = (unsigned char *)(uintptr_t)secret;
	cs.secrets[0].len = strlen(secret);
	cs.nsecrets = 1;
	if (secret2 != NULL) {
		cs.secrets[1].data = (unsigned char *)(uintptr_t)secret2;
		cs.secrets[1].len = strlen(secret2);
		cs.nsecrets = 2;
	}
	assert_int_equal(receiver_source_init(rs, &cs, &err), 0);
	strbuf_release(&err);
}

struct sw_req {
	struct receiver_headers h;
	char ts[32];
	struct strbuf sig;
};

static void
sw_sign(struct sw_req *r, const struct receiver_source *rs, const char *id,
    time_t t, const char *body, const char *ct)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->ts, sizeof(r->ts), "%lld", (long long)t);
	assert_int_equal(signature_standard_sign(&rs->keys[0], id, r->ts, body,
	    strlen(body), &r->sig), 0);
	r->h.content_type = ct;
	r->h.wh_id = id;
	r->h.wh_timestamp = r->ts;
	r->h.wh_signature = r->sig.buf;
}

static int
parse(const struct receiver_source *rs, const struct receiver_headers *h,
    const char *body, struct receiver_parsed *out)
{
	return receiver_parse(rs, h, body, strlen(body), NOW, out);
}

static void
test_standard(void **state)
{
	struct receiver_source rs;
	struct receiver_parsed p;
	struct sw_req r;
	const char *body = "{\"id\":\"evt_1\",\"type\":\"usage.recorded\"}";

	(void)state;
	source(&rs, SCHEME_STANDARD_WEBHOOKS, SW_SECRET, NULL);
	sw_sign(&r, &rs, "msg_1", NOW, body, "application/json");
	assert_int_equal(parse(&rs, &r.h, body, &p), 0);
	assert_int_equal(p.nrows, 1);
	/* the key is the webhook-id, not the body's id */
	assert_string_equal(p.rows[0].event_key, "msg_1");
	assert_int_equal(p.rows[0].body_off, 0);
	assert_int_equal(p.rows[0].body_len, strlen(body));
	assert_non_null(strstr(p.rows[0].sig_headers,
	    "\"webhook-id\":\"msg_1\""));
	assert_non_null(strstr(p.rows[0].sig_headers, r.sig.buf));
	receiver_parsed_release(&p);

	/* duplicated signature header */
	r.h.duplicated = true;
	assert_int_equal(parse(&rs, &r.h, body, &p), TALLY_ESIGNATURE);
	assert_int_equal(p.status, 401);
	assert_string_equal(p.reason, "duplicated signature header");
	receiver_parsed_release(&p);
	r.h.duplicated = false;

	/* tampered */
	assert_int_equal(parse(&rs, &r.h, "{\"id\":\"evt_2\"}", &p),
	    TALLY_ESIGNATURE);
	assert_int_equal(p.status, 401);
	receiver_parsed_release(&p);

	/* wrong content type comes first */
	r.h.content_type = "text/plain";
	assert_int_equal(parse(&rs, &r.h, body, &p), TALLY_EDATA);
	assert_int_equal(p.status, 415);
	receiver_parsed_release(&p);
	strbuf_release(&r.sig);

	/* signed, but not JSON */
	sw_sign(&r, &rs, "msg_2", NOW, "not json", "application/json");
	assert_int_equal(parse(&rs, &r.h, "not json", &p), TALLY_EDATA);
	assert_int_equal(p.status, 400);
	receiver_parsed_release(&p);
	strbuf_release(&r.sig);

	/* stale: signed, but 301 s ago */
	sw_sign(&r, &rs, "msg_3", NOW - 301, body, "application/json");
	assert_int_equal(parse(&rs, &r.h, body, &p), TALLY_ESIGNATURE);
	assert_string_equal(p.reason, "timestamp too old");
	receiver_parsed_release(&p);
	strbuf_release(&r.sig);

	/* a webhook-id that cannot be a key */
	sw_sign(&r, &rs, "msg\x01", NOW, body, "application/json");
	assert_int_equal(parse(&rs, &r.h, body, &p), TALLY_EDATA);
	assert_int_equal(p.status, 400);
	receiver_parsed_release(&p);
	strbuf_release(&r.sig);
	receiver_source_release(&rs);
}

static void
test_ndjson(void **state)
{
	struct receiver_source rs;
	struct receiver_parsed p;
	struct sw_req r;
	const char *body = "{\"id\":\"u1\",\"n\":1}\r\n\n{\"id\":\"u2\"}\n{\"id\":\"u1\"}";
	const char *bad = "{\"id\":\"u1\"}\n{\"id\":7}\n";
	const char *bad2 = "{\"id\":\"u1\"}\n[1]\n";

	(void)state;
	source(&rs, SCHEME_STANDARD_WEBHOOKS, SW_SECRET, NULL);
	sw_sign(&r, &rs, "batch_1", NOW, body, "application/x-ndjson");
	assert_int_equal(parse(&rs, &r.h, body, &p), 0);
	assert_int_equal(p.kind, RECEIVER_BODY_NDJSON);
	assert_int_equal(p.nrows, 3);
	assert_string_equal(p.rows[0].event_key, "u1");
	assert_string_equal(p.rows[1].event_key, "u2");
	assert_string_equal(p.rows[2].event_key, "u1");
	/* the segments are the body */
	assert_int_equal(p.rows[0].body_off, 0);
	assert_int_equal(p.rows[1].body_off, p.rows[0].body_len);
	assert_int_equal(p.rows[2].body_off + p.rows[2].body_len, strlen(body));
	assert_non_null(strstr(p.rows[1].sig_headers,
	    "\"ndjson-line\":2,\"ndjson-lines\":3"));
	receiver_parsed_release(&p);
	strbuf_release(&r.sig);

	/* all or nothing: one bad line refuses the request */
	sw_sign(&r, &rs, "batch_2", NOW, bad, "application/x-ndjson");
	assert_int_equal(parse(&rs, &r.h, bad, &p), TALLY_EDATA);
	assert_int_equal(p.status, 400);
	assert_int_equal(p.nrows, 0);
	assert_string_equal(p.reason, "line 2: \"id\" must be a string of 1 to "
	    "512 bytes");
	receiver_parsed_release(&p);
	strbuf_release(&r.sig);
	sw_sign(&r, &rs, "batch_3", NOW, bad2, "application/x-ndjson");
	assert_int_equal(parse(&rs, &r.h, bad2, &p), TALLY_EDATA);
	assert_int_equal(p.nrows, 0);
	assert_non_null(strstr(p.reason, "line 2: not a JSON object"));
	receiver_parsed_release(&p);
	strbuf_release(&r.sig);
	sw_sign(&r, &rs, "batch_4", NOW, "\n\n", "application/x-ndjson");
	assert_int_equal(parse(&rs, &r.h, "\n\n", &p), TALLY_EDATA);
	assert_string_equal(p.reason, "no JSON line in the body");
	receiver_parsed_release(&p);
	strbuf_release(&r.sig);
	receiver_source_release(&rs);
}

static void
test_stripe(void **state)
{
	struct receiver_source rs;
	struct receiver_parsed p;
	struct receiver_headers h;
	struct strbuf sig = STRBUF_INIT;
	const char *body = "{\"id\":\"evt_9\",\"type\":\"charge.refunded\"}";

	(void)state;
	source(&rs, SCHEME_STRIPE, "whsec_other", ST_SECRET);
	/* signed with the second (old) secret during a roll */
	assert_int_equal(signature_stripe_sign(&rs.keys[1], NOW, body,
	    strlen(body), &sig), 0);
	memset(&h, 0, sizeof(h));
	h.content_type = "application/json; charset=utf-8";
	h.stripe_signature = sig.buf;
	assert_int_equal(parse(&rs, &h, body, &p), 0);
	assert_string_equal(p.rows[0].event_key, "evt_9");
	assert_non_null(strstr(p.rows[0].sig_headers, sig.buf));
	receiver_parsed_release(&p);
	/* no id */
	strbuf_reset(&sig);
	signature_stripe_sign(&rs.keys[0], NOW, "{\"type\":\"x\"}", 12, &sig);
	h.stripe_signature = sig.buf;
	assert_int_equal(parse(&rs, &h, "{\"type\":\"x\"}", &p), TALLY_EDATA);
	assert_int_equal(p.status, 400);
	receiver_parsed_release(&p);
	h.stripe_signature = NULL;
	assert_int_equal(parse(&rs, &h, body, &p), TALLY_ESIGNATURE);
	assert_string_equal(p.reason, "missing Stripe-Signature header");
	receiver_parsed_release(&p);
	strbuf_release(&sig);
	receiver_source_release(&rs);
}

/* A signed notification; more is further members, each ending in a
 * comma (the fraud_status, say), "" for none. */
static void
midtrans_body_more(struct strbuf *sb, const struct signature_key *k,
    const char *code, const char *gross, const char *status, bool with_txid,
    const char *more)
{
	char sig[2 * SIGNATURE_SHA512_LEN + 1];

	assert_int_equal(signature_midtrans_sign(k, "ORDER-1", code, gross,
	    sig), 0);
	strbuf_reset(sb);
	strbuf_addf(sb, "{\"order_id\":\"ORDER-1\",\"status_code\":\"%s\","
	    "\"gross_amount\":\"%s\",\"transaction_status\":\"%s\",%s%s"
	    "\"signature_key\":\"%s\",\"currency\":\"IDR\"}", code, gross,
	    status, with_txid ? "\"transaction_id\":\"tx-9\"," : "", more, sig);
}

static void
midtrans_body_code(struct strbuf *sb, const struct signature_key *k,
    const char *code, const char *gross, const char *status, bool with_txid)
{
	midtrans_body_more(sb, k, code, gross, status, with_txid, "");
}

static void
midtrans_body(struct strbuf *sb, const struct signature_key *k,
    const char *gross, const char *status, bool with_txid)
{
	midtrans_body_code(sb, k, "200", gross, status, with_txid);
}

static void
test_midtrans(void **state)
{
	struct receiver_source rs;
	struct receiver_parsed p;
	struct receiver_headers h;
	struct strbuf body = STRBUF_INIT;

	(void)state;
	source(&rs, SCHEME_MIDTRANS, MT_SECRET, NULL);
	memset(&h, 0, sizeof(h));
	h.content_type = "application/json";
	midtrans_body(&body, &rs.keys[0], "150000.00", "settlement", true);
	assert_int_equal(parse(&rs, &h, body.buf, &p), 0);
	assert_string_equal(p.rows[0].event_key, "ORDER-1:settlement:tx-9");
	assert_null(p.rows[0].sig_headers);
	receiver_parsed_release(&p);
	/* a later status of the same order is another event */
	midtrans_body(&body, &rs.keys[0], "150000.00", "refund", true);
	assert_int_equal(parse(&rs, &h, body.buf, &p), 0);
	assert_string_equal(p.rows[0].event_key, "ORDER-1:refund:tx-9");
	receiver_parsed_release(&p);
	/* the amount is signed as a string: change it, and it fails */
	midtrans_body(&body, &rs.keys[0], "150000.00", "settlement", true);
	{
		char *at = strstr(body.buf, "150000.00");

		memcpy(at, "150001.00", 9);
	}
	assert_int_equal(parse(&rs, &h, body.buf, &p), TALLY_ESIGNATURE);
	assert_int_equal(p.status, 401);
	receiver_parsed_release(&p);
	/* no transaction_id: no key */
	midtrans_body(&body, &rs.keys[0], "150000.00", "settlement", false);
	assert_int_equal(parse(&rs, &h, body.buf, &p), TALLY_EDATA);
	assert_int_equal(p.status, 400);
	receiver_parsed_release(&p);
	/* no signature at all */
	assert_int_equal(parse(&rs, &h, "{\"order_id\":\"ORDER-1\"}", &p),
	    TALLY_ESIGNATURE);
	receiver_parsed_release(&p);
	/* the status goes with its signed code ... */
	midtrans_body_code(&body, &rs.keys[0], "201", "150000.00", "pending",
	    true);
	assert_int_equal(parse(&rs, &h, body.buf, &p), 0);
	receiver_parsed_release(&p);
	midtrans_body_code(&body, &rs.keys[0], "202", "150000.00", "expire",
	    true);
	assert_int_equal(parse(&rs, &h, body.buf, &p), 0);
	receiver_parsed_release(&p);
	/* a card capture the fraud check challenged comes as 201 ... */
	midtrans_body_more(&body, &rs.keys[0], "201", "150000.00", "capture",
	    true, "\"fraud_status\":\"challenge\",");
	assert_int_equal(parse(&rs, &h, body.buf, &p), 0);
	receiver_parsed_release(&p);
	/* ... and only it: a pending notification (signed 201) relabelled
	 * capture, without a challenge, accepted, or challenged first and
	 * accepted in a later member (the last one counts, as in jsonb) */
	{
		static const char *const not_challenged[] = { "",
			"\"fraud_status\":\"accept\",",
			"\"fraud_status\":null,",
			"\"fraud_status\":\"challenge\",\"fraud_status\":\"accept\",",
		};

		for (size_t i = 0; i < sizeof(not_challenged) /
		    sizeof(not_challenged[0]); i++) {
			midtrans_body_more(&body, &rs.keys[0], "201",
			    "150000.00", "capture", true, not_challenged[i]);
			assert_int_equal(parse(&rs, &h, body.buf, &p),
			    TALLY_EDATA);
			assert_int_equal(p.status, 400);
			assert_non_null(strstr(p.reason,
			    "does not go with the signed"));
			receiver_parsed_release(&p);
		}
	}
	/* a 200 capture needs no fraud_status here: it is paid only when
	 * accepted (sql/011) */
	midtrans_body_code(&body, &rs.keys[0], "200", "150000.00", "capture",
	    true);
	assert_int_equal(parse(&rs, &h, body.buf, &p), 0);
	receiver_parsed_release(&p);
	/* ... or it was relabelled: a pending notification (signed 201)
	 * called a settlement, a settlement (200) called pending, a refund
	 * called off (202) */
	midtrans_body_code(&body, &rs.keys[0], "201", "150000.00", "settlement",
	    true);
	assert_int_equal(parse(&rs, &h, body.buf, &p), TALLY_EDATA);
	assert_int_equal(p.status, 400);
	assert_non_null(strstr(p.reason, "does not go with the signed"));
	receiver_parsed_release(&p);
	midtrans_body_code(&body, &rs.keys[0], "200", "150000.00", "pending",
	    true);
	assert_int_equal(parse(&rs, &h, body.buf, &p), TALLY_EDATA);
	assert_int_equal(p.status, 400);
	receiver_parsed_release(&p);
	midtrans_body_code(&body, &rs.keys[0], "202", "150000.00", "refund",
	    true);
	assert_int_equal(parse(&rs, &h, body.buf, &p), TALLY_EDATA);
	assert_int_equal(p.status, 400);
	receiver_parsed_release(&p);
	strbuf_release(&body);
	receiver_source_release(&rs);
}

static void
test_xendit(void **state)
{
	struct receiver_source rs;
	struct receiver_parsed p;
	struct receiver_headers h;
	const char *body = "{\"id\":\"inv_1\",\"external_id\":\"o1\",\"status\":\"PAID\"}";

	(void)state;
	source(&rs, SCHEME_XENDIT, XN_SECRET, NULL);
	memset(&h, 0, sizeof(h));
	h.content_type = "application/json";
	h.callback_token = XN_SECRET;
	assert_int_equal(parse(&rs, &h, body, &p), 0);
	assert_string_equal(p.rows[0].event_key, "inv_1:PAID");
	/* the token is never stored */
	assert_null(p.rows[0].sig_headers);
	receiver_parsed_release(&p);
	h.callback_token = "xnd-callback-tokeN";
	assert_int_equal(parse(&rs, &h, body, &p), TALLY_ESIGNATURE);
	assert_int_equal(p.status, 401);
	receiver_parsed_release(&p);
	h.callback_token = XN_SECRET;
	assert_int_equal(parse(&rs, &h, "{\"id\":\"inv_1\"}", &p), TALLY_EDATA);
	assert_int_equal(p.status, 400);
	receiver_parsed_release(&p);
	receiver_source_release(&rs);
}

static void
test_source_init(void **state)
{
	struct config_source cs;
	struct receiver_source rs;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	memset(&cs, 0, sizeof(cs));
	cs.name = (char *)(uintptr_t)"bad name";
	cs.scheme = SCHEME_XENDIT;
	cs.tolerance = 300;
	assert_int_equal(receiver_source_init(&rs, &cs, &err), TALLY_ECONFIG);
	cs.name = (char *)(uintptr_t)"ok";
	assert_int_equal(receiver_source_init(&rs, &cs, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "no secret"));
	cs.scheme = SCHEME_STANDARD_WEBHOOKS;
	cs.secrets[0].data = (unsigned char *)(uintptr_t)"whsec_!!";
	cs.secrets[0].len = 8;
	cs.nsecrets = 1;
	assert_int_equal(receiver_source_init(&rs, &cs, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "whsec_ followed by base64"));
	strbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_accepts),
		cmocka_unit_test(test_json_refuses),
		cmocka_unit_test(test_json_limits),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_standard),
		cmocka_unit_test(test_ndjson),
		cmocka_unit_test(test_stripe),
		cmocka_unit_test(test_midtrans),
		cmocka_unit_test(test_xendit),
		cmocka_unit_test(test_source_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
