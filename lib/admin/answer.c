/*
 * answer.c - what a handler answers with: bytes, JSON, a file, an
 * operation's answer in its route's shape (with Link, Location and the
 * Idempotency-Key record), and failures through the face.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "admin/internal.h"
#include "base/err.h"
#include "base/log.h"

#define HEADER_MAX 4096

int
admin_status_of(int rc)
{
	switch (rc) {
	case 0:
		return 200;
	case TALLY_EUSAGE:
	case TALLY_EDATA:
		return 400;
	case TALLY_ENOTFOUND:
		return 404;
	case TALLY_ECONFLICT:
		return 409;
	case TALLY_EREFUSED:
		return 422;
	case TALLY_EUNAVAIL:
	case TALLY_ERETRY:
	case TALLY_ELOCKED:
		return 503;
	default:
		return 500;
	}
}

static bool
token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

bool
admin_set_header(struct admin_req *r, const char *name, const char *value)
{
	struct admin_priv *p = r->priv;

	if (name == NULL || value == NULL || name[0] == '\0' ||
	    strlen(name) > 64 || strlen(value) > HEADER_MAX)
		return false;
	for (const char *s = name; *s != '\0'; s++)
		if (!token_char(*s))
			return false;
	/* CR or LF would end the header and start another (or the body) */
	for (const unsigned char *s = (const unsigned char *)value; *s != '\0';
	    s++)
		if ((*s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	p->hdrs = xrealloc(p->hdrs, (p->nhdrs + 1) * sizeof(*p->hdrs));
	p->hdrs[p->nhdrs].name = xstrdup(name);
	p->hdrs[p->nhdrs].value = xstrdup(value);
	p->nhdrs++;
	return true;
}

bool
admin_header_set(const struct admin_req *r, const char *name)
{
	for (size_t i = 0; i < r->priv->nhdrs; i++)
		if (strcasecmp(r->priv->hdrs[i].name, name) == 0)
			return true;
	return false;
}

void
admin_answer_free(struct admin_priv *p)
{
	for (size_t i = 0; i < p->nhdrs; i++) {
		free(p->hdrs[i].name);
		free(p->hdrs[i].value);
	}
	free(p->hdrs);
	p->hdrs = NULL;
	p->nhdrs = 0;
	free(p->content_type);
	free(p->body);
	p->content_type = p->body = NULL;
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static bool
first_answer(struct admin_req *r)
{
	if (r->priv->status == 0)
		return true;
	log_err("%s %s: answered twice (a bug); the first answer stands",
	    r->method, r->path);
	return false;
}

void
admin_answer(struct admin_req *r, int status, const char *content_type,
    const void *body, size_t len)
{
	struct admin_priv *p = r->priv;

	if (!first_answer(r))
		return;
	p->status = status;
	p->content_type = xstrdup(content_type);
	p->body = xmalloc(len + 1);
	memcpy(p->body, body, len);
	p->body[len] = '\0';
	p->len = len;
}

void
admin_answer_json(struct admin_req *r, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);

	json_decref(body);
	if (text == NULL) {
		admin_fail(r, 500, "cannot write the answer");
		return;
	}
	admin_answer(r, status, "application/json", text, strlen(text));
	free(text);
}

void
admin_answer_fd(struct admin_req *r, int status, const char *content_type,
    int fd, size_t len)
{
	struct admin_priv *p = r->priv;

	if (!first_answer(r)) {
		close(fd);
		return;
	}
	p->status = status;
	p->content_type = xstrdup(content_type);
	p->fd = fd;
	p->fd_len = len;
}

/* ---- failures ---- */

static const struct admin_face *
face_of(const struct admin_req *r)
{
	return r->face != NULL ? r->face : admin_faces[0];
}

void
admin_fail(struct admin_req *r, int status, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	face_of(r)->fail(r, status, strbuf_str(&sb), NULL, NULL);
	strbuf_release(&sb);
}

void
admin_fail_ops(struct admin_req *r, int rc)
{
	int status = admin_status_of(rc);
	const char *detail = r->ops.err.len > 0 ? strbuf_str(&r->ops.err) :
	    tally_strerror(rc);

	/* lost a race for its Idempotency-Key: request.c answers with the
	 * winner's answer */
	if (r->priv->idem_raced)
		return;
	if (status == 500) {
		/* the server's message may name tables and statements: it
		 * goes to the journal, not to the client */
		log_err("%s %s: %s", r->method, r->path, detail);
		detail = "internal error (the server's log says more)";
	}
	face_of(r)->fail(r, status, detail, status == 500 ? NULL : r->ops.field,
	    status == 500 ? NULL : r->ops.errors);
}

/* ---- an operation's answer ---- */

static json_t *
copy_without_columns(const json_t *v)
{
	json_t *c = json_deep_copy(v);

	if (json_is_object(c))
		json_object_del(c, "columns");
	return c;
}

json_t *
admin_shape_default(const struct admin_req *r, const json_t *out, int *status)
{
	const json_t *items = json_object_get(out, "items");
	const json_t *item = json_object_get(out, "item");
	json_t *body;

	*status = 200;
	if (json_is_array(items) && json_object_get(out, "total") != NULL) {
		body = json_pack("{s:O, s:O, s:O, s:O}", "items", items,
		    "total", json_object_get(out, "total"),
		    "page", json_object_get(out, "page"),
		    "per_page", json_object_get(out, "per_page"));
	} else if (item != NULL) {
		body = json_deep_copy(item);
		if (r->route != NULL && (r->route->flags & ADMIN_CREATED))
			*status = 201;
	} else {
		body = copy_without_columns(out);
		json_object_del(body, "dry_run");
	}
	if (json_is_true(json_object_get(out, "dry_run"))) {
		*status = 200;
		return json_pack("{s:b, s:o}", "dry_run", 1, "would_be", body);
	}
	return body;
}

/* Percent-encode everything but RFC 3986's unreserved characters. */
static void
add_encoded(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL)
			strbuf_addch(sb, (char)c);
		else
			strbuf_addf(sb, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

static enum MHD_Result
copy_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct strbuf *sb = cls;

	(void)kind;
	if (key == NULL || strcmp(key, "page") == 0 ||
	    strcmp(key, "per_page") == 0)
		return MHD_YES;
	strbuf_addch(sb, '&');
	add_encoded(sb, key);
	if (value != NULL) {
		strbuf_addch(sb, '=');
		add_encoded(sb, value);
	}
	return MHD_YES;
}

/*
 * Link: first, prev, next, last.  The targets are relative references
 * (the path as routed, the query rebuilt and encoded): nothing the
 * client sent in Host or X-Forwarded-* ends up in an answer.
 */
static void
set_link(struct admin_req *r, const json_t *body)
{
	long long page = json_integer_value(json_object_get(body, "page"));
	long long per = json_integer_value(json_object_get(body, "per_page"));
	long long total = json_integer_value(json_object_get(body, "total"));
	long long last = per > 0 ? (total + per - 1) / per : 1;
	struct strbuf rest = STRBUF_INIT, link = STRBUF_INIT;
	const struct { const char *rel; long long page; bool show; } rels[] = {
		{ "first", 1, true },
		{ "prev", page - 1, page > 1 },
		{ "next", page + 1, page < last },
		{ "last", last < 1 ? 1 : last, true },
	};

	if (page < 1 || per < 1)
		return;
	MHD_get_connection_values(r->priv->mc, MHD_GET_ARGUMENT_KIND, copy_arg,
	    &rest);
	for (size_t i = 0; i < sizeof(rels) / sizeof(rels[0]); i++) {
		if (!rels[i].show)
			continue;
		if (link.len > 0)
			strbuf_addstr(&link, ", ");
		strbuf_addch(&link, '<');
		strbuf_addstr(&link, r->path);
		strbuf_addf(&link, "?page=%lld&per_page=%lld%s>; rel=\"%s\"",
		    rels[i].page, per, strbuf_str(&rest), rels[i].rel);
	}
	if (!admin_set_header(r, "Link", strbuf_str(&link)))
		log_warning("%s: the Link header was refused", r->path);
	strbuf_release(&rest);
	strbuf_release(&link);
}

/* Where a created entity is: PATH/ID, if a GET route answers there. */
static char *
location_of(const struct admin_req *r, const json_t *body)
{
	const json_t *id = json_object_get(body, "id");
	struct strbuf sb = STRBUF_INIT;

	if (!json_is_integer(id) || r->face == NULL)
		return NULL;
	strbuf_addf(&sb, "%s/%lld", r->path, (long long)json_integer_value(id));
	for (const struct admin_route *rt = r->face->routes; rt->method != NULL;
	    rt++) {
		const char *pat = rt->pattern;
		size_t n = strlen(r->path);

		if (strcmp(rt->method, "GET") == 0 &&
		    strncmp(pat, r->path, n) == 0 && pat[n] == '/' &&
		    pat[n + 1] == '{' && strchr(pat + n + 1, '/') == NULL)
			return strbuf_detach(&sb, NULL);
	}
	strbuf_release(&sb);
	return NULL;
}

/* The route's shape of out: the body, its status and its Location. */
static json_t *
shape(const struct admin_req *r, const json_t *out, int *status,
    char **location)
{
	json_t *body;

	body = r->route != NULL && r->route->shape != NULL ?
	    r->route->shape(r, out, status) : admin_shape_default(r, out, status);
	*location = *status == 201 ? location_of(r, body) : NULL;
	return body;
}

static char *
shape_text(const struct admin_req *r, const json_t *out, int *status,
    char **location)
{
	json_t *body = shape(r, out, status, location);
	char *text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);

	json_decref(body);
	return text;
}

int
admin_idem_on_commit(struct ops *o, const json_t *out, void *arg)
{
	struct admin_req *r = arg;
	struct admin_priv *p = r->priv;
	int rc;

	free(p->kept_body);
	free(p->kept_location);
	p->kept_location = NULL;
	p->kept_body = shape_text(r, out, &p->kept_status, &p->kept_location);
	if (p->kept_body == NULL)
		return ops_fail(o, TALLY_EINTERNAL, NULL, "cannot write the "
		    "answer");
	rc = admin_idem_keep(o->db, r->who.scope, p->idem_key, p->fingerprint,
	    p->kept_status, "application/json", p->kept_location,
	    p->kept_body);
	if (rc == TALLY_ECONFLICT) {
		/* another request with this key committed first: this one's
		 * change is rolled back, and its answer is the kept one */
		p->idem_raced = true;
		return ops_fail(o, rc, NULL, "Idempotency-Key in use");
	}
	if (rc != 0)
		return ops_db_fail(o, rc, "keeping the Idempotency-Key answer");
	return 0;
}

void
admin_answer_op(struct admin_req *r, int rc, json_t *out)
{
	struct admin_priv *p = r->priv;
	char *location = NULL;
	json_t *body;
	int status;

	if (rc != 0) {
		json_decref(out);
		admin_fail_ops(r, rc);
		return;
	}
	if (p->kept_body != NULL) {
		/* what the Idempotency-Key record holds, byte for byte */
		if (p->kept_location != NULL)
			admin_set_header(r, "Location", p->kept_location);
		admin_answer(r, p->kept_status, "application/json",
		    p->kept_body, strlen(p->kept_body));
		json_decref(out);
		return;
	}
	body = shape(r, out, &status, &location);
	json_decref(out);
	if (json_is_array(json_object_get(body, "items")) &&
	    json_object_get(body, "total") != NULL)
		set_link(r, body);
	if (location != NULL)
		admin_set_header(r, "Location", location);
	free(location);
	admin_answer_json(r, status, body);
}
