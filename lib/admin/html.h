/*
 * html.h - the one HTML writer of the browser panel.  No HTML is built as
 * a string any other way: markup comes from format strings that are
 * literals in the code, and every value put into it is escaped for where
 * it goes.
 *
 * html_f(out, fmt, ...) appends fmt to out with these conversions:
 *   %s   a string (NULL: nothing), escaped for text and attribute values
 *        alike (& < > " ' become entities), so it is safe between tags
 *        and inside a double-quoted attribute
 *   %u   a string for a URL query value, percent-encoded (RFC 3986
 *        unreserved characters kept), then escaped as %s
 *   %d   an int;  %l  a long long;  %z  a size_t
 *   %m   money: a long long amount in minor units and a const char *
 *        ISO 4217 code (two arguments), as "12.50 USD"
 *   %H   trusted markup made by another html_* call (a const char *),
 *        copied as it is: the only way to nest
 *   %%   a percent sign
 * Anything else in fmt is copied.  fmt must be a string literal: the
 * macro pastes "" before it, so a variable format does not compile.
 */
#ifndef TALLY_ADMIN_HTML_H
#define TALLY_ADMIN_HTML_H

#include <stddef.h>

#include "base/strbuf.h"

#define html_f(out, ...) html_format((out), "" __VA_ARGS__)
void html_format(struct strbuf *out, const char *fmt, ...);
/* s escaped as text or attribute value (what %s does). */
void html_text(struct strbuf *out, const char *s);
void html_textn(struct strbuf *out, const char *s, size_t len);
/* s percent-encoded as %u does, without the HTML escaping (for a
 * Location header). */
void html_url_encode(struct strbuf *out, const char *s);

#endif
