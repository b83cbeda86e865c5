/*
 * confirm.c - the provider status checks of tally-allocate (confirm.h);
 * which notifications are due and how an answer is kept are
 * the files of queries/confirm/.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/err.h"
#include "base/http.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "books/confirm.h"
#include "pg/query.h"

/* A source whose notifications tally can confirm. */
struct provider {
	const struct config_source *src;
	struct secret key;
	bool down;		/* unreachable in this run: ask no more */
};

struct answer {
	const char *outcome;	/* ANSWERED, UNKNOWN, UNREACHABLE */
	long http_status;
	struct strbuf body;	/* the answer, kept when ANSWERED */
	struct strbuf error;
};

/* Percent-encode everything but RFC 3986's unreserved characters: an id
 * from a notification must stay one path segment. */
static void
add_segment(struct strbuf *url, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			strbuf_addch(url, c);
		} else {
			strbuf_addch(url, '%');
			strbuf_addch(url, hex[c >> 4]);
			strbuf_addch(url, hex[c & 15]);
		}
	}
}

static void
status_url(const struct config_source *src, const char *ref,
    struct strbuf *url)
{
	size_t n = strlen(src->status_url);

	while (n > 0 && src->status_url[n - 1] == '/')
		n--;
	strbuf_add(url, src->status_url, n);
	if (src->scheme == SCHEME_MIDTRANS) {
		strbuf_addstr(url, "/v2/");
		add_segment(url, ref);
		strbuf_addstr(url, "/status");
	} else {
		strbuf_addstr(url, "/v2/invoices/");
		add_segment(url, ref);
	}
}

static void
unreachable(struct answer *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
unreachable(struct answer *a, const char *fmt, ...)
{
	va_list ap;

	a->outcome = "UNREACHABLE";
	va_start(ap, fmt);
	strbuf_vaddf(&a->error, fmt, ap);
	va_end(ap);
}

/* What an HTTP 200 answer's JSON says about the transaction asked for. */
static void
judge_json(const struct config_source *src, const char *ref, json_t *v,
    struct answer *a)
{
	const char *st, *code, *id;

	if (src->scheme == SCHEME_MIDTRANS) {
		st = json_string_value(json_object_get(v, "transaction_status"));
		code = json_string_value(json_object_get(v, "status_code"));
		id = json_string_value(json_object_get(v, "order_id"));
		if (code != NULL && strcmp(code, "404") == 0) {
			a->outcome = "UNKNOWN";
			strbuf_addstr(&a->error, "Midtrans: transaction not found");
			return;
		}
		if (st == NULL) {
			unreachable(a, "Midtrans answered status_code %s: %.200s",
			    code != NULL ? code : "(none)",
			    json_string_value(json_object_get(v,
			    "status_message")) != NULL ?
			    json_string_value(json_object_get(v,
			    "status_message")) : "no transaction_status");
			return;
		}
	} else {
		st = json_string_value(json_object_get(v, "status"));
		id = json_string_value(json_object_get(v, "id"));
		if (st == NULL) {
			unreachable(a, "Xendit answered without a status");
			return;
		}
	}
	if (id != NULL && strcmp(id, ref) != 0) {
		a->outcome = "UNKNOWN";
		strbuf_addf(&a->error, "the provider answered about another "
		    "transaction (%.100s)", id);
		return;
	}
	a->outcome = "ANSWERED";
}

/* One exchange with the provider about ref. */
static void
ask(struct provider *p, const char *ref, struct answer *a)
{
	static const char *const headers[] = {
		"Accept: application/json", NULL
	};
	const struct config_source *src = p->src;
	struct strbuf url = STRBUF_INIT;
	struct http_request rq;
	struct http_result r;
	json_error_t jerr;
	json_t *v = NULL;

	status_url(src, ref, &url);
	memset(&rq, 0, sizeof(rq));
	rq.url = url.buf;
	rq.method = "GET";
	rq.headers = headers;
	rq.user = (const char *)p->key.data;
	rq.password = "";
	rq.timeout_ms = CONFIRM_TIMEOUT_MS;
	/* the provider is outside: through the proxy, when there is one */
	rq.use_proxy = true;
	rq.max_answer = CONFIRM_MAX_ANSWER;
	if (http_send(&rq, &r, &a->body) != 0) {
		unreachable(a, "%s", r.error);
		goto out;
	}
	a->http_status = r.status;
	if (r.status == 401 || r.status == 403) {
		unreachable(a, "HTTP %ld: the provider refused the key "
		    "(api_key_file of [source %s])", r.status, src->name);
		log_err("allocate: source %s: %s", src->name, a->error.buf);
	} else if (r.status == 404 && src->scheme == SCHEME_XENDIT) {
		a->outcome = "UNKNOWN";
		strbuf_addstr(&a->error, "Xendit: invoice not found");
	} else if (r.status != 200) {
		unreachable(a, "HTTP %ld", r.status);
	} else if (r.truncated) {
		unreachable(a, "an answer longer than %d bytes",
		    CONFIRM_MAX_ANSWER);
	} else if ((v = json_loadb(a->body.buf, a->body.len, 0,
	    &jerr)) == NULL || !json_is_object(v)) {
		unreachable(a, "the answer is not a JSON object%s%s",
		    v == NULL ? ": " : "", v == NULL ? jerr.text : "");
	} else {
		judge_json(src, ref, v, a);
	}
out:
	json_decref(v);
	strbuf_release(&url);
}

/* Keep the answer (record.sql); log what the run should say about it. */
static int
record(struct db *db, const char *id, const char *key, struct provider *p,
    struct answer *a, struct confirm_stats *st)
{
	char status[16];
	const char *params[5];
	PGresult *res = NULL;
	bool answered = strcmp(a->outcome, "ANSWERED") == 0;
	int rc;

	snprintf(status, sizeof(status), "%ld", a->http_status);
	params[0] = id;
	params[1] = a->outcome;
	params[2] = a->http_status > 0 ? status : NULL;
	params[3] = answered ? strbuf_str(&a->body) : NULL;
	params[4] = answered ? NULL : strbuf_str(&a->error);
	if ((rc = query_rows(db, "confirm/record", &res, 5, params)) != 0)
		return rc;
	if (answered) {
		st->answered++;
	} else if (strcmp(a->outcome, "UNKNOWN") == 0) {
		st->unknown++;
		st->mismatches++;	/* always a case: see confirm.h */
		log_warning("allocate: source %s: event %s: %s; it will fail",
		    p->src->name, key, a->error.buf);
	} else {
		st->unreachable++;
		p->down = true;
		log_warning("allocate: source %s: status API unreachable (%s); "
		    "its notifications wait (next try for event %s at %s)",
		    p->src->name, a->error.buf, key, PQntuples(res) == 1 ?
		    PQgetvalue(res, 0, 1) : "?");
	}
	if (answered && PQntuples(res) == 1 && !PQgetisnull(res, 0, 2)) {
		st->mismatches++;
		log_warning("allocate: source %s: event %s: the provider "
		    "contradicts the notification (%s); its answer is followed",
		    p->src->name, key, PQgetvalue(res, 0, 2));
	}
	PQclear(res);
	return 0;
}

static struct provider *
find(struct provider *ps, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ps[i].src->name, name) == 0)
			return &ps[i];
	return NULL;
}

/* The confirmable sources, their keys read; *names gets them as a text[]. */
static int
load_providers(const struct config *cfg, struct provider **out, size_t *n,
    struct strbuf *names)
{
	struct strbuf err = STRBUF_INIT;
	const struct config_source *s;
	int rc = 0;

	*out = NULL;
	*n = 0;
	strbuf_addch(names, '{');
	for (size_t i = 0; cfg != NULL && i < cfg->nsources; i++) {
		s = &cfg->sources[i];
		if ((s->scheme != SCHEME_MIDTRANS && s->scheme != SCHEME_XENDIT) ||
		    s->status_url == NULL)
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		memset(&(*out)[*n], 0, sizeof(**out));
		(*out)[*n].src = s;
		if ((rc = config_read_api_key(cfg, s, &(*out)[*n].key,
		    &err)) != 0) {
			log_err("%.*s", (int)strcspn(strbuf_str(&err), "\n"),
			    strbuf_str(&err));
			break;
		}
		/* source names are letters, digits, '-', '_' and '.' */
		strbuf_addf(names, "%s\"%s\"", *n > 0 ? "," : "", s->name);
		(*n)++;
	}
	strbuf_addch(names, '}');
	strbuf_release(&err);
	return rc;
}

static void
warn_unconfigured(struct db *db, const char *names)
{
	const char *params[1] = { names };
	char *v = NULL;

	if (db_query_value(db, &v, query_sql("confirm/unconfigured"), 1,
	    params) == 0 && v != NULL && v[0] != '\0')
		log_warning("allocate: Midtrans/Xendit notifications wait, "
		    "unconfirmed: %s; give their [source] a status_url and an "
		    "api_key_file", v);
	free(v);
}

/* One round: at most CONFIRM_BATCH due notifications.  *again: a full
 * round with nothing skipped, there may be more. */
static int
round_once(struct db *db, struct provider *ps, size_t n, const char *names,
    struct confirm_stats *st, bool *again)
{
	char lim[16];
	const char *params[2] = { lim, names };
	PGresult *due = NULL;
	struct provider *p;
	struct answer a;
	int rc = 0, i, skipped = 0;

	*again = false;
	snprintf(lim, sizeof(lim), "%d", CONFIRM_BATCH);
	if ((rc = query_rows(db, "confirm/due", &due, 2, params)) != 0)
		return rc;
	for (i = 0; i < PQntuples(due) && rc == 0; i++) {
		p = find(ps, n, PQgetvalue(due, i, 1));
		if (p == NULL || p->down) {
			skipped++;
			continue;
		}
		memset(&a, 0, sizeof(a));
		strbuf_init(&a.body);
		strbuf_init(&a.error);
		if (PQgetisnull(due, i, 3) || PQgetvalue(due, i, 3)[0] == '\0') {
			a.outcome = "UNKNOWN";
			strbuf_addstr(&a.error, "the notification names no "
			    "transaction to ask about");
		} else {
			st->asked++;
			ask(p, PQgetvalue(due, i, 3), &a);
		}
		rc = record(db, PQgetvalue(due, i, 0), PQgetvalue(due, i, 4), p,
		    &a, st);
		strbuf_release(&a.body);
		strbuf_release(&a.error);
	}
	*again = rc == 0 && skipped == 0 && PQntuples(due) == CONFIRM_BATCH;
	PQclear(due);
	return rc;
}

int
confirm_run(struct db *db, const struct config *cfg,
    struct confirm_stats *st)
{
	struct strbuf names = STRBUF_INIT;
	struct provider *ps = NULL;
	size_t n = 0;
	bool again = true;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = load_providers(cfg, &ps, &n, &names);
	if (rc == 0)
		warn_unconfigured(db, names.buf);
	while (rc == 0 && n > 0 && again)
		rc = round_once(db, ps, n, names.buf, st, &again);
	for (size_t i = 0; i < n; i++)
		secretfile_wipe(&ps[i].key);
	/* the one that failed to load is wiped by config_read_api_key() */
	free(ps);
	strbuf_release(&names);
	return rc;
}
