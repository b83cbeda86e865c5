#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "intake/receiver_json.h"
#include "base/strbuf.h"

struct scan {
	const unsigned char *p;
	const unsigned char *end;
	const unsigned char *start;
	struct receiver_json_field *fields;
	size_t nfields;
	struct strbuf key;	/* the top-level member name being read */
	struct strbuf val;
};

static bool value(struct scan *s, int depth, struct strbuf *out,
    bool *is_string);

static void
ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
hex4(const unsigned char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static void
put_utf8(struct strbuf *out, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	strbuf_add(out, b, n);
}

/* Length of the valid UTF-8 sequence at p (2..4), or 0 (RFC 3629 table). */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	/* the second byte's range excludes overlongs, surrogates, > U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* A string at s->p (on the quote); decoded into out when out != NULL. */
static bool
string(struct scan *s, struct strbuf *out)
{
	const unsigned char *run;
	size_t n;
	int cp, lo;

	s->p++;
	for (;;) {
		run = s->p;
		/* the common case, copied in runs */
		while (s->p < s->end && *s->p >= 0x20 && *s->p != '"' &&
		    *s->p != '\\' && *s->p < 0x80)
			s->p++;
		if (out != NULL && s->p > run)
			strbuf_add(out, run, (size_t)(s->p - run));
		if (s->p >= s->end)
			return false;
		if (*s->p == '"') {
			s->p++;
			return true;
		}
		if (*s->p < 0x20)
			return false;
		if (*s->p >= 0x80) {
			if ((n = utf8_len(s->p, s->end)) == 0)
				return false;
			if (out != NULL)
				strbuf_add(out, s->p, n);
			s->p += n;
			continue;
		}
		/* a backslash */
		if (s->end - s->p < 2)
			return false;
		switch (s->p[1]) {
		case '"': case '\\': case '/':
			if (out != NULL)
				strbuf_addch(out, s->p[1]);
			s->p += 2;
			continue;
		case 'b': case 'f': case 'n': case 'r': case 't':
			if (out != NULL)
				strbuf_addch(out, s->p[1] == 'b' ? '\b' :
				    s->p[1] == 'f' ? '\f' : s->p[1] == 'n' ? '\n' :
				    s->p[1] == 'r' ? '\r' : '\t');
			s->p += 2;
			continue;
		case 'u':
			break;
		default:
			return false;
		}
		if (s->end - s->p < 6 || (cp = hex4(s->p + 2)) < 0)
			return false;
		s->p += 6;
		if (cp == 0)
			return false;	/* jsonb cannot hold U+0000 */
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return false;	/* a low surrogate alone */
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
			    (lo = hex4(s->p + 2)) < 0xdc00 || lo > 0xdfff)
				return false;
			s->p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (out != NULL)
			put_utf8(out, (uint32_t)cp);
	}
}

static size_t
digits(struct scan *s)
{
	const unsigned char *d = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return (size_t)(s->p - d);
}

static bool
number(struct scan *s)
{
	size_t n;
	long e = 0;

	if (*s->p == '-')
		s->p++;
	if (s->p >= s->end)
		return false;
	if (*s->p == '0') {
		s->p++;
	} else if (*s->p >= '1' && *s->p <= '9') {
		if (digits(s) > RECEIVER_JSON_MAX_DIGITS)
			return false;
	} else {
		return false;
	}
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		n = digits(s);
		if (n == 0 || n > RECEIVER_JSON_MAX_DIGITS)
			return false;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return false;
		for (; s->p < s->end && *s->p >= '0' && *s->p <= '9'; s->p++) {
			e = e * 10 + (*s->p - '0');
			if (e > RECEIVER_JSON_MAX_EXPONENT)
				return false;
		}
	}
	return true;
}

static bool
literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return false;
	s->p += n;
	return true;
}

static struct receiver_json_field *
wanted(struct scan *s, const struct strbuf *key)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (strlen(s->fields[i].name) == key->len &&
		    memcmp(s->fields[i].name, key->buf, key->len) == 0)
			return &s->fields[i];
	return NULL;
}

static bool
object(struct scan *s, int depth)
{
	struct receiver_json_field *f;
	bool top = depth == 1, is_string;

	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return true;
	}
	for (;;) {
		if (s->p >= s->end || *s->p != '"')
			return false;
		strbuf_reset(&s->key);
		if (!string(s, top ? &s->key : NULL))
			return false;
		ws(s);
		if (s->p >= s->end || *s->p != ':')
			return false;
		s->p++;
		ws(s);
		f = top && s->nfields > 0 ? wanted(s, &s->key) : NULL;
		strbuf_reset(&s->val);
		is_string = false;
		if (!value(s, depth, f != NULL ? &s->val : NULL, &is_string))
			return false;
		if (f != NULL) {
			free(f->value);
			f->value = is_string ? xstrndup(strbuf_str(&s->val),
			    s->val.len) : NULL;
			/* a decoded string is NUL-free: "\u0000" is refused */
			f->present = true;
		}
		ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return true;
		}
		return false;
	}
}

static bool
array(struct scan *s, int depth)
{
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return true;
	}
	for (;;) {
		if (!value(s, depth, NULL, NULL))
			return false;
		ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return true;
		}
		return false;
	}
}

/* A value at s->p; a string is decoded into out when out != NULL. */
static bool
value(struct scan *s, int depth, struct strbuf *out, bool *is_string)
{
	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '{':
		return depth < RECEIVER_JSON_MAX_DEPTH && object(s, depth + 1);
	case '[':
		return depth < RECEIVER_JSON_MAX_DEPTH && array(s, depth + 1);
	case '"':
		if (is_string != NULL)
			*is_string = true;
		return string(s, out);
	case 't':
		return literal(s, "true");
	case 'f':
		return literal(s, "false");
	case 'n':
		return literal(s, "null");
	default:
		return number(s);
	}
}

int
receiver_json_scan(const char *buf, size_t len,
    struct receiver_json_field *fields, size_t nfields, size_t *err_off)
{
	struct scan s;
	bool ok;

	for (size_t i = 0; i < nfields; i++) {
		fields[i].value = NULL;
		fields[i].present = false;
	}
	memset(&s, 0, sizeof(s));
	s.start = s.p = (const unsigned char *)buf;
	s.end = s.p + len;
	s.fields = fields;
	s.nfields = nfields;
	strbuf_init(&s.key);
	strbuf_init(&s.val);
	ws(&s);
	ok = s.p < s.end && *s.p == '{' && object(&s, 1);
	if (ok) {
		ws(&s);
		ok = s.p == s.end;
	}
	strbuf_release(&s.key);
	strbuf_release(&s.val);
	if (!ok) {
		if (err_off != NULL)
			*err_off = (size_t)(s.p - s.start);
		receiver_json_fields_release(fields, nfields);
		return TALLY_EDATA;
	}
	return 0;
}

void
receiver_json_fields_release(struct receiver_json_field *fields,
    size_t nfields)
{
	for (size_t i = 0; i < nfields; i++) {
		free(fields[i].value);
		fields[i].value = NULL;
	}
}
