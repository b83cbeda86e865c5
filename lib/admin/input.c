/*
 * input.c - a request's JSON body and query arguments, for handlers:
 * strict types, unknown keys refused, every refusal a 400 naming the
 * field.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin/internal.h"
#include "base/argnum.h"
#include "base/err.h"

static void bad(struct admin_req *r, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
bad(struct admin_req *r, const char *field, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	(r->face != NULL ? r->face : admin_faces[0])->fail(r, 400,
	    strbuf_str(&sb), field, NULL);
	strbuf_release(&sb);
}

static bool
json_content_type(const char *ct)
{
	size_t n = strlen("application/json");

	/* application/json, with parameters (charset=utf-8) or not */
	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

json_t *
admin_body_object(struct admin_req *r, const char *const *allowed)
{
	const char *ct = admin_header(r, "Content-Type", NULL);
	json_error_t e;
	const char *key;
	json_t *obj, *v;

	if (r->body_len == 0)
		return json_object();
	if (!json_content_type(ct)) {
		admin_fail(r, 415, "the body must be JSON, sent with "
		    "Content-Type: application/json");
		return NULL;
	}
	obj = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
	if (obj == NULL) {
		admin_fail(r, 400, "the body is not JSON: line %d, column %d: %s",
		    e.line, e.column, e.text);
		return NULL;
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		admin_fail(r, 400, "the body must be a JSON object");
		return NULL;
	}
	json_object_foreach(obj, key, v) {
		size_t i;

		for (i = 0; allowed != NULL && allowed[i] != NULL; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed == NULL || allowed[i] == NULL) {
			bad(r, key, "%s: unknown field", key);
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

bool
admin_get_str(struct admin_req *r, const json_t *obj, const char *key,
    const char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v)) {
		bad(r, key, "%s must be a string", key);
		return false;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		bad(r, key, "%s must not hold a NUL character", key);
		return false;
	}
	*out = json_string_value(v);
	return true;
}

bool
admin_get_int(struct admin_req *r, const json_t *obj, const char *key,
    long long min, long long max, long long *out, bool *given)
{
	const json_t *v = json_object_get(obj, key);

	*given = false;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		bad(r, key, "%s must be a whole number from %lld to %lld", key,
		    min, max);
		return false;
	}
	*out = json_integer_value(v);
	*given = true;
	return true;
}

bool
admin_get_bool(struct admin_req *r, const json_t *obj, const char *key,
    enum ops_tristate *out)
{
	const json_t *v = json_object_get(obj, key);

	*out = OPS_UNSET;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_boolean(v)) {
		bad(r, key, "%s must be true or false", key);
		return false;
	}
	*out = json_is_true(v) ? OPS_YES : OPS_NO;
	return true;
}

bool
admin_query_int(struct admin_req *r, const char *name, long long min,
    long long max, long long *out, bool *given)
{
	const char *v = admin_query(r, name);

	*given = false;
	if (v == NULL)
		return true;
	if (argnum_parse(v, min, max, out) != 0) {
		bad(r, name, "%s must be a whole number from %lld to %lld", name,
		    min, max);
		return false;
	}
	*given = true;
	return true;
}

bool
admin_query_bool(struct admin_req *r, const char *name, bool *out)
{
	const char *v = admin_query(r, name);

	*out = false;
	if (v == NULL)
		return true;
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcmp(v, "false") != 0 && strcmp(v, "0") != 0) {
		bad(r, name, "%s must be true or false", name);
		return false;
	}
	return true;
}

bool
admin_query_page(struct admin_req *r, struct ops_page *pg)
{
	bool given;

	memset(pg, 0, sizeof(*pg));
	pg->page = 1;
	pg->per_page = OPS_PER_PAGE_DEFAULT;
	pg->per_page_max = OPS_PER_PAGE_MAX;
	if (!admin_query_int(r, "page", 1, 1000000000, &pg->page, &given))
		return false;
	return admin_query_int(r, "per_page", 1, OPS_PER_PAGE_MAX,
	    &pg->per_page, &given);
}

/* ---- what the request says ---- */

/*
 * An empty value is no value: "?status=&entity=" is what a form left
 * blank or a script's unset variable sends, and it means no filter (as
 * on the panel), not "the empty status" (a 400) or "the entity ''" (no
 * rows).
 */
const char *
admin_query(struct admin_req *r, const char *name)
{
	const char *v = MHD_lookup_connection_value(r->priv->mc,
	    MHD_GET_ARGUMENT_KIND, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

bool
admin_query_flag(struct admin_req *r, const char *name, bool *out)
{
	const char *v = NULL;
	size_t len = 0;

	*out = false;
	if (MHD_lookup_connection_value_n(r->priv->mc, MHD_GET_ARGUMENT_KIND,
	    name, strlen(name), &v, &len) == MHD_YES && (v == NULL || len == 0)) {
		bad(r, name, "%s must be true or false", name);
		return false;
	}
	return admin_query_bool(r, name, out);
}

struct header_count {
	const char *name;
	const char *first;
	unsigned n;
};

static enum MHD_Result
count_header(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct header_count *h = cls;

	(void)kind;
	if (key != NULL && strcasecmp(key, h->name) == 0 && h->n++ == 0)
		h->first = value != NULL ? value : "";
	return MHD_YES;
}

const char *
admin_header(struct admin_req *r, const char *name, unsigned *count)
{
	struct header_count h = { name, NULL, 0 };

	MHD_get_connection_values(r->priv->mc, MHD_HEADER_KIND, count_header,
	    &h);
	if (count != NULL)
		*count = h.n;
	return h.first;
}

const struct config *
admin_config(const struct admin_req *r)
{
	return &r->priv->srv->cfg;
}

const char *
admin_role_name(enum admin_role role)
{
	switch (role) {
	case ADMIN_ROLE_READ:
		return "read";
	case ADMIN_ROLE_WRITE:
		return "write";
	case ADMIN_ROLE_ADMIN:
		return "admin";
	default:
		return "none";
	}
}

enum admin_role
admin_role_parse(const char *s)
{
	if (s == NULL)
		return ADMIN_ROLE_NONE;
	if (strcmp(s, "read") == 0)
		return ADMIN_ROLE_READ;
	if (strcmp(s, "write") == 0)
		return ADMIN_ROLE_WRITE;
	if (strcmp(s, "admin") == 0)
		return ADMIN_ROLE_ADMIN;
	return ADMIN_ROLE_NONE;
}
