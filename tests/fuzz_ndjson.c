/*
 * fuzz_ndjson.c - the NDJSON splitter: never a crash, and on success the
 * segments are exactly the body, each line inside its segment, never
 * blank, within the limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intake/ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct ndjson_line *l = NULL;
	size_t n = 0, bad = 0, pos = 0;

	if (ndjson_split(buf, size, 64, 256, &l, &n, &bad) != 0) {
		if (l != NULL || n != 0)
			abort();
		return 0;
	}
	if (n == 0 || n > 64)
		abort();
	for (size_t i = 0; i < n; i++) {
		size_t k, blank = 1;

		if (l[i].seg_off != pos || l[i].off < l[i].seg_off ||
		    l[i].off + l[i].len > l[i].seg_off + l[i].seg_len ||
		    l[i].len > 256 || (i > 0 && l[i].lineno <= l[i - 1].lineno))
			abort();
		for (k = 0; k < l[i].len; k++)
			if (buf[l[i].off + k] != ' ' && buf[l[i].off + k] != '\t' &&
			    buf[l[i].off + k] != '\r')
				blank = 0;
		if (blank || memchr(buf + l[i].off, '\n', l[i].len) != NULL)
			abort();
		pos += l[i].seg_len;
	}
	if (pos != size)
		abort();
	free(l);
	return 0;
}
