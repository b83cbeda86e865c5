/*
 * panel_form.c - the panel's POSTed forms: fields of
 * application/x-www-form-urlencoded and multipart/form-data bodies
 * (panel_field), and what the panel keeps of a request.
 *
 * Parsed once, on the first panel_field() of a request; values are
 * decoded copies, kept until the request is freed, then wiped (a login
 * form holds a password).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "admin/internal.h"
#include "admin/panel.h"
#include "base/hex.h"

/* the most fields a form may have: more is not a form of ours */
#define FORM_MAX_FIELDS 64

struct panel_field {
	char *name;
	char *value;
	size_t len;
};

struct panel_form {
	struct panel_field f[FORM_MAX_FIELDS];
	size_t n;
};

static void
form_add(struct panel_form *form, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	struct panel_field *f;

	if (form->n >= FORM_MAX_FIELDS)
		return;
	f = &form->f[form->n++];
	f->name = xmalloc(nlen + 1);
	memcpy(f->name, name, nlen);
	f->name[nlen] = '\0';
	f->value = xmalloc(vlen + 1);
	memcpy(f->value, value, vlen);
	f->value[vlen] = '\0';
	f->len = vlen;
}

/* s[0..n) form-decoded ('+' is a space, %XX a byte) into out; a NUL
 * byte would cut the value short: dropped. */
static void
url_decode(struct strbuf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '+')
			strbuf_addch(out, ' ');
		else if (s[i] == '%' && i + 2 < n &&
		    (hi = hex_value(s[i + 1])) >= 0 &&
		    (lo = hex_value(s[i + 2])) >= 0) {
			if (hi != 0 || lo != 0)
				strbuf_addch(out, (char)(hi << 4 | lo));
			i += 2;
		} else
			strbuf_addch(out, s[i]);
	}
}

static void
parse_urlencoded(struct panel_form *form, const char *body, size_t len)
{
	const char *p = body, *end = body + len;
	struct strbuf name = STRBUF_INIT, value = STRBUF_INIT;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp != NULL ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));

		strbuf_reset(&name);
		strbuf_reset(&value);
		url_decode(&name, p, (size_t)((eq != NULL ? eq : stop) - p));
		if (eq != NULL)
			url_decode(&value, eq + 1, (size_t)(stop - eq - 1));
		if (name.len > 0)
			form_add(form, strbuf_str(&name), name.len,
			    strbuf_str(&value), value.len);
		p = stop + 1;
	}
	if (value.buf != NULL)
		OPENSSL_cleanse(value.buf, value.cap);
	strbuf_release(&name);
	strbuf_release(&value);
}

/* The value of parameter param (name="x") in a header line, into out. */
static bool
header_param(const char *line, size_t len, const char *param,
    struct strbuf *out)
{
	size_t plen = strlen(param);

	for (size_t i = 0; i + plen + 2 <= len; i++) {
		const char *q, *e;

		if ((i > 0 && line[i - 1] != ' ' && line[i - 1] != ';') ||
		    strncasecmp(line + i, param, plen) != 0 ||
		    line[i + plen] != '=')
			continue;
		q = line + i + plen + 1;
		if (*q == '"') {
			q++;
			e = memchr(q, '"', (size_t)(line + len - q));
		} else {
			e = q;
			while (e < line + len && *e != ';' && *e != ' ')
				e++;
		}
		if (e == NULL)
			return false;
		strbuf_add(out, q, (size_t)(e - q));
		return true;
	}
	return false;
}

/*
 * multipart/form-data (RFC 7578): parts between "--boundary" lines, each
 * with its headers (Content-Disposition: form-data; name="x"), a blank
 * line and the bytes up to CRLF "--boundary".
 */
static void
parse_multipart(struct panel_form *form, const char *ctype, const char *body,
    size_t len)
{
	struct strbuf delim = STRBUF_INIT, b = STRBUF_INIT, name = STRBUF_INIT;
	const char *p, *end = body + len;

	if (!header_param(ctype, strlen(ctype), "boundary", &b) || b.len == 0 ||
	    b.len > 70)
		goto out;
	strbuf_addf(&delim, "\r\n--%s", b.buf);
	/* the first boundary has no CRLF before it */
	if (len < delim.len - 2 || memcmp(body, delim.buf + 2, delim.len - 2) != 0)
		goto out;
	p = body + delim.len - 2;
	for (;;) {
		const char *hdr_end, *next, *line;

		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break;		/* the closing boundary */
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			break;
		p += 2;
		hdr_end = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (hdr_end == NULL)
			break;
		next = memmem(hdr_end + 4, (size_t)(end - hdr_end - 4), delim.buf,
		    delim.len);
		if (next == NULL)
			break;
		strbuf_reset(&name);
		for (line = p; line < hdr_end; ) {
			const char *le = memmem(line, (size_t)(hdr_end - line),
			    "\r\n", 2);
			size_t ll = (size_t)((le != NULL ? le : hdr_end) - line);

			if (ll > 20 && strncasecmp(line, "Content-Disposition:",
			    20) == 0)
				header_param(line, ll, "name", &name);
			line += ll + 2;
		}
		if (name.len > 0)
			form_add(form, name.buf, name.len, hdr_end + 4,
			    (size_t)(next - hdr_end - 4));
		p = next + delim.len;
	}
out:
	strbuf_release(&delim);
	strbuf_release(&b);
	strbuf_release(&name);
}

const char *
panel_field(struct admin_req *r, const char *name, size_t *len)
{
	struct panel_form *form = r->priv->form;
	const char *ctype;

	if (form == NULL) {
		form = r->priv->form = xcalloc(1, sizeof(*form));
		ctype = admin_header(r, "Content-Type", NULL);
		if (ctype != NULL && strncasecmp(ctype, "multipart/form-data",
		    19) == 0)
			parse_multipart(form, ctype, r->body, r->body_len);
		else if (ctype != NULL && strncasecmp(ctype,
		    "application/x-www-form-urlencoded", 33) == 0)
			parse_urlencoded(form, r->body, r->body_len);
	}
	for (size_t i = 0; i < form->n; i++)
		if (strcmp(form->f[i].name, name) == 0) {
			if (len != NULL)
				*len = form->f[i].len;
			return form->f[i].value;
		}
	return NULL;
}

void
panel_priv_free(struct admin_priv *p)
{
	struct panel_form *form = p->form;

	if (form != NULL) {
		for (size_t i = 0; i < form->n; i++) {
			OPENSSL_cleanse(form->f[i].value, form->f[i].len);
			free(form->f[i].name);
			free(form->f[i].value);
		}
		free(form);
	}
	/* the body too: a login's holds a password */
	if (p->rbody != NULL)
		OPENSSL_cleanse(p->rbody, p->rlen);
	free(p->notice);
	OPENSSL_cleanse(p->session, sizeof(p->session));
}
