/*
 * fuzz_receiver_parse.c - a whole request to rows, for every scheme.  The
 * harness signs the fuzzed body itself, so inputs reach the JSON, NDJSON
 * and key logic behind the signature check.  On success every row must be
 * a key of 1..512 bytes and a slice inside the body; on failure no rows
 * and a 4xx status.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "intake/receiver_parse.h"
#include "intake/signature.h"
#include "base/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct receiver_source src[4];

static void
setup(void)
{
	static const char *const secrets[4] = {
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_stripe",
		"SB-Mid-server-key", "xnd-token",
	};
	static const enum source_scheme schemes[4] = {
		SCHEME_STANDARD_WEBHOOKS, SCHEME_STRIPE, SCHEME_MIDTRANS,
		SCHEME_XENDIT,
	};
	struct strbuf err = STRBUF_INIT;

	for (int i = 0; i < 4; i++) {
		struct config_source cs;

		memset(&cs, 0, sizeof(cs));
		cs.name = (char *)(uintptr_t)"fuzz";
		cs.scheme = schemes[i];
		cs.tolerance = 300;
		cs.secrets[0].data = (unsigned char *)(uintptr_t)secrets[i];
		cs.secrets[0].len = strlen(secrets[i]);
		cs.nsecrets = 1;
		if (receiver_source_init(&src[i], &cs, &err) != 0)
			abort();
	}
	strbuf_release(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct receiver_headers h;
	struct receiver_parsed p;
	struct strbuf sig = STRBUF_INIT;
	const struct receiver_source *s;
	const char *body;
	size_t len;
	int rc;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 1)
		return 0;
	s = &src[data[0] & 3];
	body = (const char *)data + 1;
	len = size - 1;
	memset(&h, 0, sizeof(h));
	h.content_type = (data[0] & 4) ? "application/x-ndjson" :
	    "application/json; charset=utf-8";
	h.duplicated = (data[0] & 0xf8) == 0xf8;
	switch (s->scheme) {
	case SCHEME_STANDARD_WEBHOOKS:
		signature_standard_sign(&s->keys[0], "msg_fuzz", "1700000000",
		    body, len, &sig);
		h.wh_id = "msg_fuzz";
		h.wh_timestamp = "1700000000";
		h.wh_signature = sig.buf;
		break;
	case SCHEME_STRIPE:
		signature_stripe_sign(&s->keys[0], 1700000000, body, len, &sig);
		h.stripe_signature = sig.buf;
		break;
	case SCHEME_XENDIT:
		h.callback_token = "xnd-token";
		break;
	default:
		break;
	}
	rc = receiver_parse(s, &h, body, len, 1700000000, &p);
	if (rc == 0) {
		if (p.nrows == 0)
			abort();
		for (size_t i = 0; i < p.nrows; i++) {
			size_t k = strlen(p.rows[i].event_key);

			if (k == 0 || k > RECEIVER_MAX_KEY ||
			    p.rows[i].body_off + p.rows[i].body_len > len)
				abort();
		}
	} else if (p.nrows != 0 || p.status < 400 || p.status > 499 ||
	    p.reason[0] == '\0') {
		abort();
	}
	receiver_parsed_release(&p);
	strbuf_release(&sig);
	return 0;
}
