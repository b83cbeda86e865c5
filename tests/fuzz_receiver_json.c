/*
 * fuzz_receiver_json.c - the receiver's JSON scanner, differentially
 * against jansson: what the scanner accepts must be a JSON object jansson
 * accepts too (unless it holds a number past a double, which jansson
 * cannot represent), and the "id" both see must be the same string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "intake/receiver_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct receiver_json_field f[2] = {
		{ "id", NULL, false }, { "status", NULL, false },
	};
	json_error_t jerr;
	json_t *v;
	const char *jid;

	if (receiver_json_scan((const char *)data, size, f, 2, NULL) != 0) {
		if (f[0].value != NULL || f[1].value != NULL)
			abort();
		return 0;
	}
	v = json_loadb((const char *)data, size, JSON_DECODE_INT_AS_REAL, &jerr);
	if (v == NULL) {
		if (strstr(jerr.text, "overflow") == NULL &&
		    strstr(jerr.text, "too big") == NULL &&
		    strstr(jerr.text, "maximum parsing depth") == NULL)
			abort();
		receiver_json_fields_release(f, 2);
		return 0;
	}
	if (!json_is_object(v))
		abort();
	jid = json_string_value(json_object_get(v, "id"));
	if ((jid == NULL) != (f[0].value == NULL) ||
	    (jid != NULL && strcmp(jid, f[0].value) != 0))
		abort();
	if ((json_object_get(v, "id") != NULL) != f[0].present)
		abort();
	json_decref(v);
	receiver_json_fields_release(f, 2);
	return 0;
}
