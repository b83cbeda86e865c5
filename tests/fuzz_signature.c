/*
 * fuzz_signature.c - the signature header parsers and decoders with
 * arbitrary bytes.  First byte picks the target; the rest is the header.
 * Besides not crashing: whatever base64 decodes must encode back to the
 * same text (decoding is canonical), and verification with real keys must
 * fail on garbage.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "intake/signature.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_base64(const char *s, size_t n)
{
	unsigned char out[4096];
	char again[8192];
	size_t len = 0, m;

	if (n > 4096 || signature_base64_decode(s, n, out, sizeof(out), &len) != 0)
		return;
	m = signature_base64_encode(out, len, again, sizeof(again));
	/* the encoder pads; the input may not have */
	while (n > 0 && s[n - 1] == '=')
		n--;
	while (m > 0 && again[m - 1] == '=')
		m--;
	if (m != n || memcmp(again, s, n) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct signature_key keys[2];
	static int ready;
	struct signature_candidates cand;
	struct signature_stripe st;
	const char *reason = NULL;
	unsigned char hex[64];
	long long t;
	char *s;

	if (!ready) {
		signature_key_init(&keys[0], SCHEME_STANDARD_WEBHOOKS,
		    (const unsigned char *)"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		    38, &reason);
		signature_key_init(&keys[1], SCHEME_STRIPE,
		    (const unsigned char *)"whsec_stripe", 12, &reason);
		ready = 1;
	}
	if (size < 1)
		return 0;
	s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 6) {
	case 0:
		if (signature_standard_parse(s, &cand) == 0 &&
		    (cand.n == 0 || cand.n > SIGNATURE_MAX_CANDIDATES))
			abort();
		if (signature_standard_verify(&keys[0], 1, "msg_1", "1614265330",
		    s, "{}", 2, 300, 1614265330, &reason) == 0)
			abort();
		break;
	case 1:
		if (signature_stripe_parse(s, &st) == 0 &&
		    (st.v1.n == 0 || st.t_off + st.t_len > strlen(s)))
			abort();
		if (signature_stripe_verify(&keys[1], 1, s, "{}", 2, 300,
		    1700000000, &reason) == 0)
			abort();
		break;
	case 2:
		signature_parse_timestamp(s, &t);
		break;
	case 3:
		check_base64(s, strlen(s));
		break;
	case 4:
		signature_hex_decode(s, strlen(s), hex, strlen(s) / 2 < 64 ?
		    strlen(s) / 2 : 64);
		break;
	default:
		if (signature_midtrans_verify(&keys[1], 1, "o", "200", "1.00", s,
		    &reason) == 0 ||
		    signature_xendit_verify(&keys[1], 1, s, &reason) == 0)
			abort();
		break;
	}
	free(s);
	return 0;
}
