#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "intake/ndjson.h"
#include "intake/receiver_json.h"
#include "intake/receiver_parse.h"
#include "base/strbuf.h"

static int
fail(struct receiver_parsed *out, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct receiver_parsed *out, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	out->status = status;
	return status == 401 ? TALLY_ESIGNATURE : TALLY_EDATA;
}

/* Printable ASCII, 1..max bytes: what a header may carry into a key or
 * into the stored sig_headers JSON. */
static bool
printable(const char *s, size_t max)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static bool
span_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

enum receiver_body_kind
receiver_parse_content_type(enum source_scheme scheme, const char *ct)
{
	const char *p, *semi, *eq, *v;
	size_t len, n, vn;
	enum receiver_body_kind kind;

	if (ct == NULL || (len = strnlen(ct, RECEIVER_MAX_CONTENT_TYPE + 1)) >
	    RECEIVER_MAX_CONTENT_TYPE)
		return RECEIVER_BODY_UNSUPPORTED;
	semi = memchr(ct, ';', len);
	p = ct;
	n = semi != NULL ? (size_t)(semi - ct) : len;
	trim(&p, &n);
	if (span_eq(p, n, "application/json"))
		kind = RECEIVER_BODY_JSON;
	else if (scheme == SCHEME_STANDARD_WEBHOOKS &&
	    (span_eq(p, n, "application/x-ndjson") ||
	    span_eq(p, n, "application/ndjson")))
		kind = RECEIVER_BODY_NDJSON;
	else
		return RECEIVER_BODY_UNSUPPORTED;
	/* parameters: only the charset matters, and it must be UTF-8 */
	while (semi != NULL) {
		p = semi + 1;
		semi = memchr(p, ';', len - (size_t)(p - ct));
		n = semi != NULL ? (size_t)(semi - p) : len - (size_t)(p - ct);
		trim(&p, &n);
		if ((eq = memchr(p, '=', n)) == NULL)
			continue;
		if (!span_eq(p, (size_t)(eq - p), "charset"))
			continue;
		v = eq + 1;
		vn = n - (size_t)(v - p);
		if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
			v++;
			vn -= 2;
		}
		if (!span_eq(v, vn, "utf-8") && !span_eq(v, vn, "utf8"))
			return RECEIVER_BODY_UNSUPPORTED;
	}
	return kind;
}

/* Check one JSON object and pick its top-level strings; false (with the
 * reason in out) if it is not one.  lineno > 0 names an NDJSON line. */
static bool
scan_object(const char *s, size_t n, struct receiver_json_field *f, size_t nf,
    struct receiver_parsed *out, size_t lineno)
{
	size_t off = 0;

	if (receiver_json_scan(s, n, f, nf, &off) == 0)
		return true;
	if (lineno > 0)
		fail(out, 400, "line %zu: not a JSON object (at byte %zu)",
		    lineno, off);
	else
		fail(out, 400, "body is not a JSON object (at byte %zu)", off);
	return false;
}

static bool
key_ok(const char *key)
{
	size_t n = bounded_len(key, RECEIVER_MAX_KEY);

	return n > 0 && n != SIZE_MAX;
}

static void
add_row(struct receiver_parsed *out, char *key, char *sig_headers,
    size_t off, size_t len, size_t cap)
{
	if (out->rows == NULL)
		out->rows = xcalloc(cap, sizeof(*out->rows));
	out->rows[out->nrows].event_key = key;
	out->rows[out->nrows].sig_headers = sig_headers;
	out->rows[out->nrows].body_off = off;
	out->rows[out->nrows].body_len = len;
	out->nrows++;
}

/* A JSON string of printable ASCII (checked before): only " and \\ need
 * escaping. */
static void
add_json_string(struct strbuf *sb, const char *v)
{
	strbuf_addch(sb, '"');
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *v);
	}
	strbuf_addch(sb, '"');
}

static char *
standard_sig_headers(const struct receiver_headers *h, size_t line,
    size_t lines)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "{\"webhook-id\":");
	add_json_string(&sb, h->wh_id);
	strbuf_addstr(&sb, ",\"webhook-timestamp\":");
	add_json_string(&sb, h->wh_timestamp);
	strbuf_addstr(&sb, ",\"webhook-signature\":");
	add_json_string(&sb, h->wh_signature);
	if (lines > 0)
		strbuf_addf(&sb, ",\"ndjson-line\":%zu,\"ndjson-lines\":%zu",
		    line, lines);
	strbuf_addch(&sb, '}');
	return strbuf_detach(&sb, NULL);
}

static int
parse_standard(const struct receiver_source *src,
    const struct receiver_headers *h, const char *body, size_t len,
    time_t now, struct receiver_parsed *out)
{
	struct ndjson_line *lines = NULL;
	struct receiver_json_field id = { "id", NULL, false };
	const char *reason = "signature mismatch";
	size_t nlines = 0, bad = 0;
	int rc;

	if (signature_standard_verify(src->keys, src->nkeys, h->wh_id,
	    h->wh_timestamp, h->wh_signature, body, len, src->tolerance, now,
	    &reason) != 0)
		return fail(out, 401, "%s", reason);
	/* they verified, and will be stored as JSON text and as a key */
	if (!printable(h->wh_id, RECEIVER_MAX_KEY) ||
	    !printable(h->wh_signature, SIGNATURE_MAX_HEADER))
		return fail(out, 400, "webhook-id or webhook-signature is not "
		    "printable ASCII (webhook-id at most %d bytes)",
		    RECEIVER_MAX_KEY);
	if (out->kind == RECEIVER_BODY_JSON) {
		if (!scan_object(body, len, NULL, 0, out, 0))
			return TALLY_EDATA;
		add_row(out, xstrdup(h->wh_id), standard_sig_headers(h, 0, 0),
		    0, len, 1);
		return 0;
	}
	rc = ndjson_split(body, len, RECEIVER_MAX_NDJSON_LINES, len, &lines,
	    &nlines, &bad);
	if (rc == TALLY_ERANGE)
		return fail(out, 400, "more than %d lines",
		    RECEIVER_MAX_NDJSON_LINES);
	if (rc != 0)
		return bad > 0 ? fail(out, 400, "line %zu: malformed", bad) :
		    fail(out, 400, "no JSON line in the body");
	for (size_t i = 0; i < nlines; i++) {
		if (!scan_object(body + lines[i].off, lines[i].len, &id, 1, out,
		    lines[i].lineno)) {
			rc = TALLY_EDATA;
			goto done;
		}
		if (!key_ok(id.value)) {
			receiver_json_fields_release(&id, 1);
			rc = fail(out, 400, "line %zu: \"id\" must be a string "
			    "of 1 to %d bytes", lines[i].lineno,
			    RECEIVER_MAX_KEY);
			goto done;
		}
		/* the row takes the decoded id */
		add_row(out, id.value, standard_sig_headers(h, i + 1, nlines),
		    lines[i].seg_off, lines[i].seg_len, nlines);
		id.value = NULL;
	}
	rc = 0;
done:
	free(lines);
	return rc;
}

static int
parse_stripe(const struct receiver_source *src,
    const struct receiver_headers *h, const char *body, size_t len,
    time_t now, struct receiver_parsed *out)
{
	struct receiver_json_field id = { "id", NULL, false };
	const char *reason = "signature mismatch";
	struct strbuf sh = STRBUF_INIT;

	if (signature_stripe_verify(src->keys, src->nkeys, h->stripe_signature,
	    body, len, src->tolerance, now, &reason) != 0)
		return fail(out, 401, "%s", reason);
	if (!printable(h->stripe_signature, SIGNATURE_MAX_HEADER))
		return fail(out, 400, "Stripe-Signature is not printable ASCII");
	if (!scan_object(body, len, &id, 1, out, 0))
		return TALLY_EDATA;
	if (!key_ok(id.value)) {
		receiver_json_fields_release(&id, 1);
		return fail(out, 400, "\"id\" must be a string of 1 to %d bytes",
		    RECEIVER_MAX_KEY);
	}
	strbuf_addstr(&sh, "{\"stripe-signature\":");
	add_json_string(&sh, h->stripe_signature);
	strbuf_addch(&sh, '}');
	add_row(out, id.value, strbuf_detach(&sh, NULL), 0, len, 1);
	return 0;
}

/* "a:b[:c]" into a new string, or NULL when a part is missing or the
 * result is not a valid key. */
static char *
join_key(const char *a, const char *b, const char *c)
{
	struct strbuf sb = STRBUF_INIT;

	if (a == NULL || b == NULL || a[0] == '\0' || b[0] == '\0')
		return NULL;
	if (c != NULL && c[0] == '\0')
		return NULL;
	strbuf_addstr(&sb, a);
	strbuf_addch(&sb, ':');
	strbuf_addstr(&sb, b);
	if (c != NULL) {
		strbuf_addch(&sb, ':');
		strbuf_addstr(&sb, c);
	}
	if (sb.len > RECEIVER_MAX_KEY) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

enum { MT_ORDER, MT_CODE, MT_GROSS, MT_SIG, MT_STATUS, MT_TXID, MT_FRAUD,
	MT_N };

/*
 * Midtrans signs status_code but not transaction_status, so a status that
 * does not go with its signed code was relabelled (a pending notification
 * made a "settlement"): 200 goes with capture, settlement and refunds, 201
 * with pending, 202 with deny, cancel, expire and failure.  The one real
 * exception is a card capture the fraud check challenged, which Midtrans
 * sends as 201 with fraud_status "challenge": it is let in only so, and a
 * challenged capture is pending, never paid (tally_fact_midtrans in
 * sql/011), so a pending body relabelled that way gains nothing.
 * Statuses outside this list are not judged here; tally-allocate asks
 * Midtrans about every notification anyway (lib/books/confirm.h).
 */
static bool
midtrans_code_fits(const char *status, const char *code, const char *fraud)
{
	static const struct {
		const char *status, *code;
	} fit[] = {
		{ "capture", "200" },
		{ "settlement", "200" },
		{ "refund", "200" }, { "partial_refund", "200" },
		{ "pending", "201" },
		{ "deny", "202" }, { "cancel", "202" }, { "expire", "202" },
		{ "failure", "202" },
	};

	bool known = false;

	if (status == NULL)
		return true;
	if (strcmp(status, "capture") == 0 && code != NULL &&
	    strcmp(code, "201") == 0)
		return fraud != NULL && strcmp(fraud, "challenge") == 0;
	for (size_t i = 0; i < sizeof(fit) / sizeof(fit[0]); i++) {
		if (strcmp(status, fit[i].status) != 0)
			continue;
		if (code != NULL && strcmp(code, fit[i].code) == 0)
			return true;
		known = true;
	}
	return !known;
}


static int
parse_midtrans(const struct receiver_source *src, const char *body,
    size_t len, struct receiver_parsed *out)
{
	struct receiver_json_field f[MT_N] = {
		[MT_ORDER] = { "order_id", NULL, false },
		[MT_CODE] = { "status_code", NULL, false },
		[MT_GROSS] = { "gross_amount", NULL, false },
		[MT_SIG] = { "signature_key", NULL, false },
		[MT_STATUS] = { "transaction_status", NULL, false },
		[MT_TXID] = { "transaction_id", NULL, false },
		[MT_FRAUD] = { "fraud_status", NULL, false },
	};
	const char *reason = "signature mismatch";
	char *key;
	int rc;

	/* the signature is inside the body: parse first, then verify */
	if (!scan_object(body, len, f, MT_N, out, 0))
		return TALLY_EDATA;
	if (signature_midtrans_verify(src->keys, src->nkeys, f[MT_ORDER].value,
	    f[MT_CODE].value, f[MT_GROSS].value, f[MT_SIG].value,
	    &reason) != 0) {
		rc = fail(out, 401, "%s", reason);
		goto done;
	}
	if (!midtrans_code_fits(f[MT_STATUS].value, f[MT_CODE].value,
	    f[MT_FRAUD].value)) {
		rc = fail(out, 400, "transaction_status \"%.32s\" does not go "
		    "with the signed status_code \"%.8s\"", f[MT_STATUS].value,
		    f[MT_CODE].value != NULL ? f[MT_CODE].value : "");
		goto done;
	}
	if (f[MT_TXID].value == NULL || (key = join_key(f[MT_ORDER].value,
	    f[MT_STATUS].value, f[MT_TXID].value)) == NULL) {
		rc = fail(out, 400, "order_id, transaction_status and "
		    "transaction_id must be strings (key at most %d bytes)",
		    RECEIVER_MAX_KEY);
		goto done;
	}
	/* the signature is in the stored body; there is no header to keep */
	add_row(out, key, NULL, 0, len, 1);
	rc = 0;
done:
	receiver_json_fields_release(f, MT_N);
	return rc;
}

static int
parse_xendit(const struct receiver_source *src,
    const struct receiver_headers *h, const char *body, size_t len,
    struct receiver_parsed *out)
{
	struct receiver_json_field f[2] = {
		{ "id", NULL, false }, { "status", NULL, false },
	};
	const char *reason = "callback token mismatch";
	char *key;

	if (signature_xendit_verify(src->keys, src->nkeys, h->callback_token,
	    &reason) != 0)
		return fail(out, 401, "%s", reason);
	if (!scan_object(body, len, f, 2, out, 0))
		return TALLY_EDATA;
	key = join_key(f[0].value, f[1].value, NULL);
	receiver_json_fields_release(f, 2);
	if (key == NULL)
		return fail(out, 400, "id and status must be strings "
		    "(key at most %d bytes)", RECEIVER_MAX_KEY);
	/* the token is a secret: it is verified, never stored */
	add_row(out, key, NULL, 0, len, 1);
	return 0;
}

int
receiver_parse(const struct receiver_source *src,
    const struct receiver_headers *h, const char *body, size_t len,
    time_t now, struct receiver_parsed *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->content_type = h->content_type;
	out->kind = receiver_parse_content_type(src->scheme, h->content_type);
	if (out->kind == RECEIVER_BODY_UNSUPPORTED)
		return fail(out, 415, "unsupported content type");
	if (h->duplicated)
		return fail(out, 401, "duplicated signature header");
	switch (src->scheme) {
	case SCHEME_STANDARD_WEBHOOKS:
		rc = parse_standard(src, h, body, len, now, out);
		break;
	case SCHEME_STRIPE:
		rc = parse_stripe(src, h, body, len, now, out);
		break;
	case SCHEME_MIDTRANS:
		rc = parse_midtrans(src, body, len, out);
		break;
	case SCHEME_XENDIT:
		rc = parse_xendit(src, h, body, len, out);
		break;
	default:
		rc = fail(out, 400, "unknown scheme");
		break;
	}
	/* all or nothing: rows of lines before a bad one go too */
	if (rc != 0)
		receiver_parsed_release(out);
	return rc;
}

void
receiver_parsed_release(struct receiver_parsed *p)
{
	for (size_t i = 0; i < p->nrows; i++) {
		free(p->rows[i].event_key);
		free(p->rows[i].sig_headers);
	}
	free(p->rows);
	p->rows = NULL;
	p->nrows = 0;
}

static bool
source_name_ok(const char *name)
{
	size_t i;

	if (name == NULL)
		return false;
	for (i = 0; name[i] != '\0'; i++) {
		unsigned char c = (unsigned char)name[i];

		if (i >= 64 || !((c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-'))
			return false;
	}
	return i > 0;
}

int
receiver_source_init(struct receiver_source *rs,
    const struct config_source *cs, struct strbuf *err)
{
	const char *reason = NULL;
	int i;

	memset(rs, 0, sizeof(*rs));
	if (!source_name_ok(cs->name)) {
		strbuf_addf(err, "source \"%s\": a name is 1 to 64 of "
		    "A-Z a-z 0-9 _ . -\n", cs->name != NULL ? cs->name : "");
		return TALLY_ECONFIG;
	}
	rs->name = xstrdup(cs->name);
	rs->scheme = cs->scheme;
	rs->tolerance = cs->tolerance;
	if ((cs->scheme == SCHEME_STANDARD_WEBHOOKS ||
	    cs->scheme == SCHEME_STRIPE) && cs->tolerance <= 0) {
		strbuf_addf(err, "source %s: tolerance must be positive\n",
		    cs->name);
		goto fail;
	}
	if (cs->nsecrets < 1) {
		strbuf_addf(err, "source %s: no secret (secret_file)\n",
		    cs->name);
		goto fail;
	}
	for (i = 0; i < cs->nsecrets && i < CONFIG_MAX_SECRETS; i++) {
		if (signature_key_init(&rs->keys[i], cs->scheme,
		    cs->secrets[i].data, cs->secrets[i].len, &reason) != 0) {
			strbuf_addf(err, "source %s: secret %d: %s\n", cs->name,
			    i + 1, reason);
			goto fail;
		}
		rs->nkeys++;
	}
	return 0;
fail:
	receiver_source_release(rs);
	return TALLY_ECONFIG;
}

void
receiver_source_release(struct receiver_source *rs)
{
	for (size_t i = 0; i < rs->nkeys; i++)
		signature_key_release(&rs->keys[i]);
	free(rs->name);
	memset(rs, 0, sizeof(*rs));
}
