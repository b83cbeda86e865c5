/*
 * html.c - the panel's one HTML writer (html.h).  Markup comes only from
 * format literals; every value is escaped for where it goes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "admin/html.h"
#include "base/money.h"

void
html_textn(struct strbuf *out, const char *s, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		const char *ent;

		switch (s[i]) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		strbuf_add(out, s + start, i - start);
		strbuf_addstr(out, ent);
		start = i + 1;
	}
	strbuf_add(out, s + start, len - start);
}

void
html_text(struct strbuf *out, const char *s)
{
	if (s != NULL)
		html_textn(out, s, strlen(s));
}

/* s percent-encoded for a URL query value (RFC 3986 unreserved kept):
 * what is left needs no HTML escaping. */
void
html_url_encode(struct strbuf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~')
			strbuf_addch(out, (char)c);
		else {
			strbuf_addch(out, '%');
			strbuf_addch(out, hex[c >> 4]);
			strbuf_addch(out, hex[c & 15]);
		}
	}
}

static void
money(struct strbuf *out, long long minor, const char *currency)
{
	char buf[64];
	int exp = currency != NULL ? money_exponent(currency) : -1;

	if (exp < 0 || money_format((int64_t)minor, exp, buf, sizeof(buf)) != 0)
		snprintf(buf, sizeof(buf), "%lld", minor);
	html_text(out, buf);
	strbuf_addch(out, ' ');
	html_text(out, currency);
}

void
html_format(struct strbuf *out, const char *fmt, ...)
{
	va_list ap;
	const char *p, *s;

	va_start(ap, fmt);
	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%' || p[1] == '\0') {
			strbuf_addch(out, *p);
			continue;
		}
		switch (*++p) {
		case 's':
			html_text(out, va_arg(ap, const char *));
			break;
		case 'u':
			html_url_encode(out, va_arg(ap, const char *));
			break;
		case 'd':
			strbuf_addf(out, "%d", va_arg(ap, int));
			break;
		case 'l':
			strbuf_addf(out, "%lld", va_arg(ap, long long));
			break;
		case 'z':
			strbuf_addf(out, "%zu", va_arg(ap, size_t));
			break;
		case 'm': {
			long long minor = va_arg(ap, long long);

			money(out, minor, va_arg(ap, const char *));
			break;
		}
		case 'H':
			if ((s = va_arg(ap, const char *)) != NULL)
				strbuf_addstr(out, s);
			break;
		case '%':
			strbuf_addch(out, '%');
			break;
		default:
			/* not a conversion: copied, as the header says */
			strbuf_addch(out, '%');
			strbuf_addch(out, *p);
			break;
		}
	}
	va_end(ap);
}
