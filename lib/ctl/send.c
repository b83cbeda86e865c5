#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sysexits.h>
#include <time.h>

#include <jansson.h>

#include "base/config.h"
#include "ctl/send.h"
#include "pg/db.h"
#include "base/err.h"
#include "base/http.h"
#include "base/log.h"
#include "intake/signature.h"
#include "intake/stored.h"
#include "base/strbuf.h"

#define SEND_MAX_FILE (64L * 1024 * 1024)
#define SEND_MAX_RESPONSE 65536
#define SEND_TIMEOUT 30L

struct send_opts {
	const char *source;
	const char *file;
	const char *url;
	const char *replay;
	const char *content_type;
	const char *id;
	const char *timestamp;
	const char *config;
};

struct payload {
	struct strbuf body;
	char *content_type;	/* from the stored event, on replay */
	char *webhook_id;	/* likewise */
};

static void
send_usage(FILE *out)
{
	fputs("usage: tallyctl send SOURCE FILE [--url URL] [--content-type TYPE]\n"
	    "                      [--id ID] [--timestamp UNIX] [-c CONFIG]\n"
	    "       tallyctl send SOURCE --replay EVENT_KEY [--url URL] [-c CONFIG]\n"
	    "  sign FILE (\"-\": stdin) with SOURCE's scheme and first secret and\n"
	    "  POST it like the provider would; --replay resends a stored event\n"
	    "  (its exact body and webhook-id).  Prints \"HTTP <status> <body>\".\n"
	    "  Exit 0 on 2xx, 65 on 4xx, 75 on 5xx, 69 if unreachable.\n", out);
}

static int
parse_args(int argc, char **argv, struct send_opts *o)
{
	static const struct {
		const char *name;
		size_t off;
	} opts[] = {
		{ "url", offsetof(struct send_opts, url) },
		{ "replay", offsetof(struct send_opts, replay) },
		{ "content-type", offsetof(struct send_opts, content_type) },
		{ "id", offsetof(struct send_opts, id) },
		{ "timestamp", offsetof(struct send_opts, timestamp) },
		{ "config", offsetof(struct send_opts, config) },
	};
	const char *pos[2] = { NULL, NULL };
	int npos = 0;

	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		size_t k, n;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			send_usage(stdout);
			return 1;
		}
		if (strcmp(a, "-c") == 0) {
			if (i + 1 >= argc)
				goto usage;
			o->config = argv[++i];
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || strcmp(a, "--") == 0) {
			if (strcmp(a, "--") == 0 && i + 1 < argc)
				a = argv[++i];
			if (npos == 2)
				goto usage;
			pos[npos++] = a;
			continue;
		}
		a += 2;
		n = strcspn(a, "=");
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (strlen(opts[k].name) == n &&
			    strncmp(opts[k].name, a, n) == 0)
				break;
		if (k == sizeof(opts) / sizeof(opts[0])) {
			fprintf(stderr, "tallyctl send: unknown option --%s\n", a);
			goto usage;
		}
		if (a[n] == '=')
			val = a + n + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			goto usage;
		*(const char **)(void *)((char *)o + opts[k].off) = val;
	}
	o->source = pos[0];
	o->file = pos[1];
	if (o->source == NULL || (o->file == NULL) == (o->replay == NULL)) {
		fputs("tallyctl send: give SOURCE and either FILE or --replay\n",
		    stderr);
		goto usage;
	}
	return 0;
usage:
	send_usage(stderr);
	return -1;
}

static int
read_file(const char *path, struct strbuf *out)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char buf[65536];
	size_t n;
	int rc = 0;

	if (fp == NULL) {
		log_err("send: %s: %s", path, strerror(errno));
		return TALLY_EDATA;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		if (out->len + n > (size_t)SEND_MAX_FILE) {
			log_err("send: %s: larger than %ld bytes", path,
			    SEND_MAX_FILE);
			rc = TALLY_EDATA;
			break;
		}
		strbuf_add(out, buf, n);
	}
	if (rc == 0 && ferror(fp)) {
		log_err("send: %s: %s", path, strerror(errno));
		rc = TALLY_EDATA;
	}
	if (fp != stdin)
		fclose(fp);
	return rc;
}

/* A stored event, to be sent again exactly as it came. */
static int
load_replay(const char *source, const char *key, struct payload *p)
{
	struct db *db = NULL;
	int rc;

	if ((rc = db_connect(&db, "tallyctl", "tally_admin")) != 0)
		return rc;
	rc = stored_event_load(db, source, key, &p->body, &p->content_type,
	    &p->webhook_id);
	db_free(db);
	return rc;
}

static char *
random_id(void)
{
	unsigned char r[12];
	char hex[2 * sizeof(r) + 1];
	struct strbuf sb = STRBUF_INIT;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* only uniqueness matters here, not secrecy */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(hex, sizeof(hex), "%lld%09ld", (long long)ts.tv_sec,
		    ts.tv_nsec);
	} else {
		signature_hex_encode(r, sizeof(r), hex);
	}
	strbuf_addf(&sb, "msg_%s", hex);
	return strbuf_detach(&sb, NULL);
}

/* The body's top-level "id", for a webhook-id that dedups like the event. */
static char *
body_id(const struct strbuf *body)
{
	json_t *v = json_loadb(body->buf, body->len, 0, NULL);
	const char *id = json_string_value(json_object_get(v, "id"));
	char *out = id != NULL && id[0] != '\0' ? xstrdup(id) : NULL;

	json_decref(v);
	return out;
}

/* Midtrans carries its signature in the body: set signature_key. */
static int
sign_midtrans(const struct signature_key *key, struct strbuf *body)
{
	char sig[2 * SIGNATURE_SHA512_LEN + 1];
	const char *order, *code, *gross, *old;
	json_error_t jerr;
	json_t *v;
	char *out;
	int rc = TALLY_EDATA;

	v = json_loadb(body->buf, body->len, JSON_DECODE_INT_AS_REAL, &jerr);
	if (v == NULL || !json_is_object(v)) {
		log_err("send: the body is not a JSON object: %s", jerr.text);
		goto done;
	}
	order = json_string_value(json_object_get(v, "order_id"));
	code = json_string_value(json_object_get(v, "status_code"));
	gross = json_string_value(json_object_get(v, "gross_amount"));
	if (order == NULL || code == NULL || gross == NULL) {
		log_err("send: midtrans needs string order_id, status_code and "
		    "gross_amount");
		goto done;
	}
	if ((rc = signature_midtrans_sign(key, order, code, gross, sig)) != 0)
		goto done;
	old = json_string_value(json_object_get(v, "signature_key"));
	/* already right (a replay): keep the bytes exactly */
	if (old != NULL && strcmp(old, sig) == 0)
		goto done;
	json_object_set_new(v, "signature_key", json_string(sig));
	if ((out = json_dumps(v, JSON_PRESERVE_ORDER | JSON_COMPACT)) == NULL) {
		rc = TALLY_ENOMEM;
		goto done;
	}
	strbuf_reset(body);
	strbuf_addstr(body, out);
	free(out);
done:
	json_decref(v);
	return rc;
}

static const char *
default_content_type(const struct send_opts *o, const struct payload *p)
{
	size_t n;

	if (o->content_type != NULL)
		return o->content_type;
	if (p->content_type != NULL)
		return p->content_type;
	n = o->file != NULL ? strlen(o->file) : 0;
	if (n > 7 && strcmp(o->file + n - 7, ".ndjson") == 0)
		return "application/x-ndjson";
	return "application/json";
}

static char *
default_url(const struct config *cfg, const char *source)
{
	struct strbuf sb = STRBUF_INIT;
	const char *listen = cfg->listen != NULL ? cfg->listen : "127.0.0.1:8080";
	const char *colon = strrchr(listen, ':');
	size_t hl = colon != NULL ? (size_t)(colon - listen) : strlen(listen);

	strbuf_addstr(&sb, "http://");
	/* a wildcard listen address is reached on loopback */
	if (hl == 0 || (hl == 1 && listen[0] == '*') ||
	    (hl == 7 && strncmp(listen, "0.0.0.0", 7) == 0))
		strbuf_addstr(&sb, "127.0.0.1");
	else if (hl == 4 && strncmp(listen, "[::]", 4) == 0)
		strbuf_addstr(&sb, "[::1]");
	else
		strbuf_add(&sb, listen, hl);
	strbuf_addf(&sb, "%s/webhooks/%s", colon != NULL ? colon : ":8080",
	    source);
	return strbuf_detach(&sb, NULL);
}

/* "Name: value" appended to the header list; the value may be a secret
 * (an x-callback-token): wiped with the list (wipe_headers). */
static void
add_header(struct strbuf *list, const char *name, const char *value)
{
	strbuf_addf(list, "%s: %s", name, value);
	strbuf_addch(list, '\0');
}

static void
wipe_headers(struct strbuf *list)
{
	if (list->buf != NULL)
		explicit_bzero(list->buf, list->len);
	strbuf_release(list);
}

/* POST body with the header lines in list (NUL-separated); prints the
 * answer and maps its status to an exit status. */
static int
post(const char *url, const struct strbuf *body, const struct strbuf *list)
{
	struct strbuf resp = STRBUF_INIT;
	const char *lines[16];
	struct http_request rq;
	struct http_result r;
	size_t n = 0, off = 0;
	int rc, status;

	while (off < list->len && n + 1 < sizeof(lines) / sizeof(lines[0])) {
		lines[n++] = list->buf + off;
		off += strlen(list->buf + off) + 1;
	}
	lines[n] = NULL;
	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.method = "POST";
	rq.headers = lines;
	rq.body = body->len > 0 ? body->buf : "";
	rq.body_len = body->len;
	rq.timeout_ms = SEND_TIMEOUT * 1000;
	rq.use_proxy = true;
	rq.max_answer = SEND_MAX_RESPONSE;
	if ((rc = http_send(&rq, &r, &resp)) != 0) {
		log_err("send: %s: %s", url, r.error);
		status = rc == TALLY_EUNAVAIL ? EX_UNAVAILABLE : EX_SOFTWARE;
		goto done;
	}
	printf("HTTP %ld %s\n", r.status, strbuf_str(&resp));
	status = r.status >= 200 && r.status < 300 ? EX_OK :
	    r.status >= 500 ? EX_TEMPFAIL : EX_DATAERR;
done:
	strbuf_release(&resp);
	return status;
}

static int
sign_and_post(const struct send_opts *o, const struct config_source *src,
    struct payload *p, const char *url)
{
	struct signature_key key = { NULL, 0 };
	struct strbuf headers = STRBUF_INIT, sig = STRBUF_INIT;
	const char *reason = "", *ct;
	char ts[32], *id = NULL;
	long long t;
	int rc, status = EX_DATAERR;

	if (signature_key_init(&key, src->scheme, src->secrets[0].data,
	    src->secrets[0].len, &reason) != 0) {
		log_err("send: source %s: %s", src->name, reason);
		return EX_CONFIG;
	}
	t = (long long)time(NULL);
	if (o->timestamp != NULL && signature_parse_timestamp(o->timestamp,
	    &t) != 0) {
		log_err("send: --timestamp %s: not a Unix time", o->timestamp);
		status = EX_USAGE;
		goto done;
	}
	snprintf(ts, sizeof(ts), "%lld", t);
	ct = default_content_type(o, p);
	add_header(&headers, "Content-Type", ct);
	/* no 100-continue round trip: providers do not wait for one */
	strbuf_addstr(&headers, "Expect:");
	strbuf_addch(&headers, '\0');
	switch (src->scheme) {
	case SCHEME_STANDARD_WEBHOOKS:
		id = o->id != NULL ? xstrdup(o->id) : p->webhook_id != NULL ?
		    xstrdup(p->webhook_id) : body_id(&p->body);
		if (id == NULL)
			id = random_id();
		rc = signature_standard_sign(&key, id, ts, p->body.buf,
		    p->body.len, &sig);
		if (rc != 0)
			goto fail;
		add_header(&headers, "webhook-id", id);
		add_header(&headers, "webhook-timestamp", ts);
		add_header(&headers, "webhook-signature", sig.buf);
		break;
	case SCHEME_STRIPE:
		if ((rc = signature_stripe_sign(&key, t, p->body.buf, p->body.len,
		    &sig)) != 0)
			goto fail;
		add_header(&headers, "Stripe-Signature", sig.buf);
		break;
	case SCHEME_MIDTRANS:
		if ((rc = sign_midtrans(&key, &p->body)) != 0)
			goto fail;
		break;
	case SCHEME_XENDIT:
		strbuf_add(&sig, src->secrets[0].data, src->secrets[0].len);
		add_header(&headers, "x-callback-token", sig.buf);
		explicit_bzero(sig.buf, sig.len);
		break;
	}
	status = post(url, &p->body, &headers);
	goto done;
fail:
	log_err("send: cannot sign: %s", tally_strerror(rc));
	status = tally_exit_code(rc);
done:
	wipe_headers(&headers);
	signature_key_release(&key);
	strbuf_release(&sig);
	free(id);
	return status;
}

int
ctl_send(int argc, char **argv)
{
	struct send_opts o;
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	struct payload p = { STRBUF_INIT, NULL, NULL };
	const struct config_source *src;
	char *url = NULL;
	int rc, status;

	if ((rc = parse_args(argc, argv, &o)) != 0)
		return rc > 0 ? EX_OK : EX_USAGE;
	rc = config_load(&cfg, o.config, &err);
	if (rc == 0)
		rc = config_load_secrets(&cfg, &err);
	if (rc != 0) {
		fputs(strbuf_str(&err), stderr);
		status = tally_exit_code(rc);
		goto done;
	}
	if ((src = config_find_source(&cfg, o.source)) == NULL) {
		log_err("send: no [source %s] in the configuration", o.source);
		status = EX_CONFIG;
		goto done;
	}
	rc = o.replay != NULL ? load_replay(o.source, o.replay, &p) :
	    read_file(o.file, &p.body);
	if (rc != 0) {
		status = tally_exit_code(rc);
		goto done;
	}
	strbuf_grow(&p.body, 0);	/* a buffer even for an empty body */
	url = o.url != NULL ? xstrdup(o.url) : default_url(&cfg, o.source);
	status = sign_and_post(&o, src, &p, url);
done:
	fflush(stdout);
	config_free(&cfg);
	strbuf_release(&err);
	strbuf_release(&p.body);
	free(p.content_type);
	free(p.webhook_id);
	free(url);
	return status;
}
