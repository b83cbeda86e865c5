#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "intake/ndjson.h"
#include "base/strbuf.h"

static bool
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

int
ndjson_split(const char *buf, size_t len, size_t max_lines,
    size_t max_line, struct ndjson_line **lines, size_t *nlines,
    size_t *bad_line)
{
	struct ndjson_line *v = NULL;
	size_t n = 0, cap = 0, pos = 0, lineno = 0, start, end, textlen;
	const char *nl;
	size_t bad = 0;
	int rc = TALLY_EDATA;

	*lines = NULL;
	*nlines = 0;
	if (memchr(buf, '\0', len) != NULL)
		goto fail;
	while (pos < len) {
		start = pos;
		lineno++;
		nl = memchr(buf + pos, '\n', len - pos);
		end = nl != NULL ? (size_t)(nl - buf) : len;
		pos = nl != NULL ? end + 1 : len;
		textlen = end - start;
		if (textlen > 0 && buf[end - 1] == '\r')
			textlen--;
		if (textlen > max_line) {
			bad = lineno;
			rc = TALLY_ERANGE;
			goto fail;
		}
		if (blank(buf + start, textlen)) {
			/* a blank line extends the previous segment */
			if (n > 0)
				v[n - 1].seg_len = pos - v[n - 1].seg_off;
			continue;
		}
		if (n >= max_lines) {
			bad = lineno;
			rc = TALLY_ERANGE;
			goto fail;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if (cap > max_lines)
				cap = max_lines;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n].off = start;
		v[n].len = textlen;
		v[n].seg_off = n > 0 ? v[n - 1].seg_off + v[n - 1].seg_len : 0;
		v[n].seg_len = pos - v[n].seg_off;
		v[n].lineno = lineno;
		n++;
	}
	if (n == 0)
		goto fail;
	*lines = v;
	*nlines = n;
	return 0;
fail:
	free(v);
	if (bad_line != NULL)
		*bad_line = bad;
	return rc;
}
