#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "base/err.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/secretfile.h"

/* Longest line we read; a longer one is an error, not silently cut. */
#define CONFIG_LINE_MAX 4096

/* KEY_AUTO: an integer, or "auto" (stored as -1) */
enum key_type { KEY_STRING, KEY_LONG, KEY_AUTO, KEY_BOOL };

typedef int key_check(const char *value, struct strbuf *why);
static key_check check_listen, check_admin_listen, check_tz, check_url;

/*
 * One row per key: name, type, default (as text), where it goes, bounds,
 * and for strings a check.  quiet: the value may carry a secret (a chat
 * webhook URL holds a token): never quoted in a message.
 */
struct key_def {
	const char *name;
	enum key_type type;
	const char *dflt;
	size_t offset;
	long min, max;
	key_check *check;
	bool quiet;
};

#define KS(n, d) { #n, KEY_STRING, d, offsetof(struct config, n), 0, 0, NULL, false }
#define KSC(n, d, c, q) { #n, KEY_STRING, d, offsetof(struct config, n), 0, 0, c, q }
#define KL(n, d, lo, hi) { #n, KEY_LONG, d, offsetof(struct config, n), lo, hi, NULL, false }
#define KA(n, d, lo, hi) { #n, KEY_AUTO, d, offsetof(struct config, n), lo, hi, NULL, false }
#define KB(n, d) { #n, KEY_BOOL, d, offsetof(struct config, n), 0, 0, NULL, false }

static const struct key_def top_keys[] = {
	KSC(listen, "127.0.0.1:8080", check_listen, false),
	KL(max_body, "1048576", 1, 64L * 1024 * 1024),
	KL(request_deadline, "10", 1, 3600),
	KL(max_connections, "512", 1, 65536),
	KA(per_ip_connections, "auto", 0, 65536),
	KL(max_inflight_bytes, "67108864", 65536, 1L << 40),
	KL(max_headers, "64", 4, 1024),
	KL(threads, "4", 1, 256),
	KL(commit_batch, "256", 1, 10000),
	KL(queue_limit, "4096", 1, 1000000),
	KSC(admin_listen, "127.0.0.1:8081", check_admin_listen, false),
	KS(admin_tls_cert_file, ""),
	KS(admin_tls_key_file, ""),
	KL(admin_auth_failures, "10", 1, 1000000),
	KL(admin_auth_window, "60", 1, 86400),
	KS(admin_client_header, ""),
	KL(admin_session_idle, "1800", 60, 7L * 86400),
	KL(admin_session_max, "43200", 60, 30L * 86400),
	KB(admin_secure_cookies, "no"),
	KB(reuse_port, "no"),
	KSC(tz, "UTC", check_tz, false),
	KS(report_dir, "reports-out"),
	KL(signup_grant, "0", 0, 1000000000),
	KL(ending_soon_days, "3", 0, 3650),
	KSC(alert_url, "", check_url, true),
	KL(alert_seat_threshold, "5", 0, 1000000),
	KL(alert_suspensions, "3", 1, 1000000),
	KL(fulfil_sla_minutes, "5", 1, 100000),
	KL(inactive_model_days, "7", 1, 3650),
	KS(reconcile_severity, "warning"),
	KL(amount_tolerance, "0", 0, 1000000000),
	KL(settlement_grace_days, "2", 0, 3650),
	KS(audit_key_file, ""),
	/* a URL may carry a password: never quoted back */
	KSC(read_database_url, "", NULL, true),
	KL(read_lag_wait, "60", 0, 86400),
};

#define SS(n) { #n, KEY_STRING, NULL, offsetof(struct config_source, n), 0, 0, NULL, false }
static const struct key_def source_keys[] = {
	SS(secret_file),
	SS(kind),
	SS(status_url),
	SS(api_key_file),
	{ "scheme", KEY_STRING, NULL, 0, 0, 0, NULL, false },	/* parsed specially */
	{ "tolerance", KEY_LONG, "300", offsetof(struct config_source, tolerance),
	  1, 86400, NULL, false },
};

#define ST(n) { #n, KEY_STRING, NULL, offsetof(struct config_settlement, n), 0, 0, NULL, false }
static const struct key_def settlement_keys[] = {
	ST(provider), ST(col_id), ST(col_order), ST(col_payment), ST(col_created),
	ST(col_currency), ST(col_gross), ST(col_fee), ST(col_net),
	ST(col_category), ST(col_payout), ST(amount_units), ST(default_currency),
};

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

static const char *const scheme_names[] = {
	[SCHEME_STANDARD_WEBHOOKS] = "standard-webhooks",
	[SCHEME_STRIPE] = "stripe",
	[SCHEME_MIDTRANS] = "midtrans",
	[SCHEME_XENDIT] = "xendit",
};

const char *
config_scheme_name(enum source_scheme s)
{
	return scheme_names[s];
}

static int
set_bool(bool *slot, const char *name, const char *value, struct strbuf *why)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(value, yes[i]) == 0) {
			*slot = true;
			return 0;
		}
		if (strcmp(value, no[i]) == 0) {
			*slot = false;
			return 0;
		}
	}
	/* the value is not quoted, as for numbers */
	strbuf_addf(why, "%s: not yes or no", name);
	return TALLY_ECONFIG;
}

static int
set_value(void *base, const struct key_def *k, const char *value,
    struct strbuf *why)
{
	char *end;
	long v;

	if (k->type == KEY_STRING) {
		char **slot = (char **)((char *)base + k->offset);

		if (k->check != NULL && k->check(value, why) != 0) {
			if (k->quiet) {
				strbuf_reset(why);
				strbuf_addf(why, "%s: not a valid value (not shown: "
				    "it may carry a secret)", k->name);
			}
			return TALLY_ECONFIG;
		}
		free(*slot);
		*slot = xstrdup(value);
		return 0;
	}
	if (k->type == KEY_BOOL)
		return set_bool((bool *)((char *)base + k->offset), k->name,
		    value, why);
	if (k->type == KEY_AUTO && strcmp(value, "auto") == 0) {
		*(long *)((char *)base + k->offset) = -1;
		return 0;
	}
	/* the value is not quoted: a secret pasted on the wrong line would
	 * be printed back */
	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0') {
		strbuf_addf(why, "%s: not an integer%s", k->name,
		    k->type == KEY_AUTO ? " or 'auto'" : "");
		return TALLY_ECONFIG;
	}
	if (v < k->min || v > k->max) {
		strbuf_addf(why, "%s: %ld is out of range (%ld..%ld)", k->name, v,
		    k->min, k->max);
		return TALLY_ECONFIG;
	}
	*(long *)((char *)base + k->offset) = v;
	return 0;
}

static const struct key_def *
find_key(const struct key_def *t, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

static void
apply_defaults(void *base, const struct key_def *t, size_t n)
{
	struct strbuf ignore = STRBUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].dflt != NULL)
			set_value(base, &t[i], t[i].dflt, &ignore);
	strbuf_release(&ignore);
}

void
config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	apply_defaults(cfg, top_keys, NKEYS(top_keys));
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Strip a '#' comment; a value cannot contain '#' (nothing here needs it). */
static void
strip_comment(char *s)
{
	char *h = strchr(s, '#');

	if (h != NULL)
		*h = '\0';
}

static bool
valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return false;
	return true;
}

static struct config_source *
add_source(struct config *cfg, const char *name, int line)
{
	struct config_source *s;

	cfg->sources = xrealloc(cfg->sources,
	    (cfg->nsources + 1) * sizeof(*cfg->sources));
	s = &cfg->sources[cfg->nsources++];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->scheme = SCHEME_STANDARD_WEBHOOKS;
	s->line = line;
	s->tolerance = -1;	/* unset: filled in by finish_source */
	return s;
}

static struct config_settlement *
add_settlement(struct config *cfg, const char *name, int line)
{
	struct config_settlement *s;

	cfg->settlements = xrealloc(cfg->settlements,
	    (cfg->nsettlements + 1) * sizeof(*cfg->settlements));
	s = &cfg->settlements[cfg->nsettlements++];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->line = line;
	return s;
}

static int
parse_scheme(const char *v, enum source_scheme *out)
{
	size_t i;

	for (i = 0; i < NKEYS(scheme_names); i++)
		if (strcmp(v, scheme_names[i]) == 0) {
			*out = (enum source_scheme)i;
			return 0;
		}
	return TALLY_ECONFIG;
}

static void
finish_source(struct config_source *s)
{
	if (s->tolerance < 0)
		s->tolerance = 300;
	if (s->kind == NULL)
		s->kind = xstrdup(s->scheme == SCHEME_STANDARD_WEBHOOKS ?
		    "usage" : "payments");
}

enum section { SEC_TOP, SEC_SOURCE, SEC_SETTLEMENT };

struct parser {
	struct config *cfg;
	const char *file;
	struct strbuf *err;
	enum section sec;
	int errors;
};

static void perror_at(struct parser *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
perror_at(struct parser *p, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	strbuf_addf(p->err, "%s:%d: %s\n", p->file, line, msg);
	p->errors++;
}

static void
parse_section(struct parser *p, char *s, int line)
{
	char *end = strchr(s, ']');
	char *kind, *name;
	size_t i;

	if (end == NULL || trim(end + 1)[0] != '\0') {
		perror_at(p, line, "malformed section header");
		return;
	}
	*end = '\0';
	kind = trim(s + 1);
	name = kind + strcspn(kind, " \t");
	if (*name != '\0')
		*name++ = '\0';
	name = trim(name);
	if (strcmp(kind, "source") != 0 && strcmp(kind, "settlement") != 0) {
		perror_at(p, line, "unknown section [%s]", kind);
		return;
	}
	if (!valid_name(name)) {
		perror_at(p, line, "section [%s] needs a name of letters, digits, "
		    "'-', '_' or '.'", kind);
		return;
	}
	if (strcmp(kind, "source") == 0) {
		for (i = 0; i < p->cfg->nsources; i++)
			if (strcmp(p->cfg->sources[i].name, name) == 0) {
				perror_at(p, line, "duplicate [source %s]", name);
				return;
			}
		add_source(p->cfg, name, line);
		p->sec = SEC_SOURCE;
	} else {
		for (i = 0; i < p->cfg->nsettlements; i++)
			if (strcmp(p->cfg->settlements[i].name, name) == 0) {
				perror_at(p, line, "duplicate [settlement %s]",
				    name);
				return;
			}
		add_settlement(p->cfg, name, line);
		p->sec = SEC_SETTLEMENT;
	}
}

static bool
looks_like_key(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!islower((unsigned char)*s) && *s != '_')
			return false;
	return n > 0 && n <= 40;
}

static void
parse_assignment(struct parser *p, char *s, int line)
{
	char *eq = strchr(s, '=');
	char *key, *value;
	const struct key_def *k;
	void *base;
	struct strbuf why = STRBUF_INIT;

	if (eq == NULL) {
		perror_at(p, line, "expected 'key = value'");
		return;
	}
	*eq = '\0';
	key = trim(s);
	value = trim(eq + 1);
	if (p->sec == SEC_TOP) {
		k = find_key(top_keys, NKEYS(top_keys), key);
		base = p->cfg;
	} else if (p->sec == SEC_SOURCE) {
		k = find_key(source_keys, NKEYS(source_keys), key);
		base = &p->cfg->sources[p->cfg->nsources - 1];
	} else {
		k = find_key(settlement_keys, NKEYS(settlement_keys), key);
		base = &p->cfg->settlements[p->cfg->nsettlements - 1];
	}
	if (k == NULL) {
		/* a key is quoted when it looks like one; a line that does
		 * not may be a secret pasted into the wrong file */
		if (looks_like_key(key))
			perror_at(p, line, "unknown key '%s'", key);
		else
			perror_at(p, line, "unknown key (not shown: it does not "
			    "look like a key name)");
		return;
	}
	if (p->sec == SEC_SOURCE && strcmp(key, "scheme") == 0) {
		if (parse_scheme(value, &((struct config_source *)base)->scheme) != 0)
			perror_at(p, line, "scheme '%s' is not one of stripe, "
			    "standard-webhooks, midtrans, xendit", value);
		return;
	}
	if (p->sec == SEC_SOURCE && strcmp(key, "kind") == 0 &&
	    strcmp(value, "usage") != 0 && strcmp(value, "payments") != 0) {
		perror_at(p, line, "kind '%s' is not 'usage' or 'payments'",
		    value);
		return;
	}
	if (set_value(base, k, value, &why) != 0)
		perror_at(p, line, "%s", strbuf_str(&why));
	else if (p->sec == SEC_SOURCE && strcmp(key, "secret_file") == 0)
		((struct config_source *)base)->secret_line = line;
	else if (p->sec == SEC_TOP && strcmp(key, "audit_key_file") == 0)
		p->cfg->audit_key_line = line;
	strbuf_release(&why);
}

/*
 * status_url and api_key_file: where tally-allocate asks the provider
 * about a payment before acting on an unsigned notification (Midtrans,
 * Xendit); both or neither.
 */
static void
check_status_api(struct parser *p, const struct config_source *s)
{
	if (s->status_url == NULL && s->api_key_file == NULL)
		return;
	if (s->scheme != SCHEME_MIDTRANS && s->scheme != SCHEME_XENDIT)
		perror_at(p, s->line, "[source %s] status_url and api_key_file "
		    "are for scheme midtrans or xendit (their notifications are "
		    "not signed whole)", s->name);
	else if (s->status_url == NULL || s->api_key_file == NULL)
		perror_at(p, s->line, "[source %s] needs both status_url and "
		    "api_key_file", s->name);
	else if (strncmp(s->status_url, "https://", 8) != 0 &&
	    strncmp(s->status_url, "http://", 7) != 0)
		perror_at(p, s->line, "[source %s] status_url '%s' is not an "
		    "http:// or https:// URL", s->name, s->status_url);
}

static int
parse_file(struct config *cfg, const char *path, FILE *f, struct strbuf *err)
{
	struct parser p = { cfg, path, err, SEC_TOP, 0 };
	char buf[CONFIG_LINE_MAX + 2];
	char *s;
	int line = 0;
	size_t i;

	while (fgets(buf, sizeof(buf), f) != NULL) {
		line++;
		if (strchr(buf, '\n') == NULL && !feof(f)) {
			perror_at(&p, line, "line longer than %d bytes", CONFIG_LINE_MAX);
			return TALLY_ECONFIG;
		}
		strip_comment(buf);
		s = trim(buf);
		if (*s == '\0')
			continue;
		if (*s == '[')
			parse_section(&p, s, line);
		else
			parse_assignment(&p, s, line);
	}
	if (ferror(f)) {
		strbuf_addf(err, "%s: read error: %s\n", path, strerror(errno));
		return TALLY_ECONFIG;
	}
	for (i = 0; i < cfg->nsources; i++) {
		finish_source(&cfg->sources[i]);
		if (cfg->sources[i].secret_file == NULL)
			perror_at(&p, cfg->sources[i].line,
			    "[source %s] has no secret_file",
			    cfg->sources[i].name);
		check_status_api(&p, &cfg->sources[i]);
	}
	for (i = 0; i < cfg->nsettlements; i++)
		if (cfg->settlements[i].amount_units != NULL &&
		    strcmp(cfg->settlements[i].amount_units, "major") != 0 &&
		    strcmp(cfg->settlements[i].amount_units, "minor") != 0)
			perror_at(&p, cfg->settlements[i].line,
			    "[settlement %s] amount_units must be 'major' or "
			    "'minor'", cfg->settlements[i].name);
	if (strcmp(cfg->reconcile_severity, "info") != 0 &&
	    strcmp(cfg->reconcile_severity, "warning") != 0 &&
	    strcmp(cfg->reconcile_severity, "error") != 0)
		perror_at(&p, 0, "reconcile_severity '%s' is not info, warning "
		    "or error", cfg->reconcile_severity);
	return p.errors > 0 ? TALLY_ECONFIG : 0;
}

/* TALLY_<KEY> in the environment overrides a top-level key. */
static int
apply_env(struct config *cfg, struct strbuf *err)
{
	char envname[96];
	const char *v;
	size_t i, j;
	struct strbuf why = STRBUF_INIT;
	int rc = 0;

	for (i = 0; i < NKEYS(top_keys); i++) {
		snprintf(envname, sizeof(envname), "TALLY_%s", top_keys[i].name);
		for (j = 6; envname[j] != '\0'; j++)
			envname[j] = (char)toupper((unsigned char)envname[j]);
		v = getenv(envname);
		if (v == NULL)
			continue;
		strbuf_reset(&why);
		if (set_value(cfg, &top_keys[i], v, &why) != 0) {
			strbuf_addf(err, "environment %s: %s\n", envname,
			    strbuf_str(&why));
			rc = TALLY_ECONFIG;
		}
	}
	strbuf_release(&why);
	return rc;
}

/* Checks between keys, once the file and the environment are in. */
static int
cross_check(struct config *cfg, struct strbuf *err)
{
	if (cfg->max_inflight_bytes < cfg->max_body) {
		strbuf_addf(err, "%s: max_inflight_bytes (%ld) is below max_body "
		    "(%ld): no request could ever be buffered\n",
		    cfg->path != NULL ? cfg->path : "configuration",
		    cfg->max_inflight_bytes, cfg->max_body);
		return TALLY_ECONFIG;
	}
	return 0;
}

static char last_path[PATH_MAX];

const char *
config_last_path(void)
{
	return last_path[0] != '\0' ? last_path : NULL;
}

int
config_load(struct config *cfg, const char *path, struct strbuf *err)
{
	FILE *f;
	int rc;

	config_init(cfg);
	if (path == NULL || path[0] == '\0') {
		path = getenv("TALLY_CONFIG");
		if (path == NULL || path[0] == '\0') {
			if (access("/etc/tally/tally.conf", R_OK) == 0)
				path = "/etc/tally/tally.conf";
			else if (access("tally.conf", R_OK) == 0)
				path = "tally.conf";
			else
				path = NULL;
		}
	}
	if (path != NULL) {
		f = fopen(path, "r");
		if (f == NULL) {
			strbuf_addf(err, "%s: cannot open: %s\n", path,
			    strerror(errno));
			return TALLY_ECONFIG;
		}
		cfg->path = xstrdup(path);
		rc = parse_file(cfg, path, f, err);
		fclose(f);
		if (rc != 0) {
			config_free(cfg);
			config_init(cfg);
			return rc;
		}
	}
	rc = apply_env(cfg, err);
	if (rc == 0)
		rc = cross_check(cfg, err);
	if (rc == 0)
		snprintf(last_path, sizeof(last_path), "%s",
		    path != NULL ? path : "");
	return rc;
}

/* ---- checks of single values ---- */

int
config_split_listen(const char *listen, char *host, size_t hostlen,
    unsigned *port, struct strbuf *why)
{
	const char *colon, *h, *p;
	size_t hl;
	unsigned long v = 0;

	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');

		if (close == NULL || close[1] != ':')
			goto bad;
		h = listen + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
		if (hl == 0)
			goto bad;
	} else {
		if ((colon = strrchr(listen, ':')) == NULL)
			goto bad;
		h = listen;
		hl = (size_t)(colon - listen);
		/* an IPv6 address needs its brackets */
		if (memchr(h, ':', hl) != NULL)
			goto bad;
	}
	if (hl >= hostlen)
		goto bad;
	for (p = h; p < h + hl; p++)
		if (!isalnum((unsigned char)*p) && strchr(".-_:*%", *p) == NULL)
			goto bad;
	if (colon[1] == '\0' || strlen(colon + 1) > 5)
		goto bad;
	for (p = colon + 1; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			goto bad;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535) {
		strbuf_addf(why, "listen = %s: port %lu is out of range (0..65535)",
		    listen, v);
		return TALLY_ECONFIG;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (strcmp(host, "*") == 0)
		host[0] = '\0';
	*port = (unsigned)v;
	return 0;
bad:
	strbuf_addf(why, "listen = %s: expected HOST:PORT, [V6]:PORT or :PORT",
	    listen);
	return TALLY_ECONFIG;
}

static int
check_listen(const char *v, struct strbuf *why)
{
	char host[256];
	unsigned port;

	return config_split_listen(v, host, sizeof(host), &port, why);
}

/* The same for tally-admin's address, named as its own key. */
static int
check_admin_listen(const char *v, struct strbuf *why)
{
	struct strbuf sub = STRBUF_INIT;
	char host[256];
	unsigned port;
	int rc;

	rc = config_split_listen(v, host, sizeof(host), &port, &sub);
	if (rc != 0)
		strbuf_addf(why, "admin_%s", strbuf_str(&sub));
	strbuf_release(&sub);
	return rc;
}

/*
 * A zone name the tz database knows (PostgreSQL on Debian uses the same
 * database): UTC, or a TZif file under $TZDIR (default /usr/share/zoneinfo).
 */
static int
check_tz(const char *v, struct strbuf *why)
{
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX], magic[4];
	const char *p;
	FILE *f;
	bool ok = false;

	if (strcmp(v, "UTC") == 0)
		return 0;
	for (p = v; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			break;
	if (*p == '\0' && v[0] != '\0' && v[0] != '/' && strstr(v, "..") == NULL &&
	    strlen(v) < 128) {
		snprintf(path, sizeof(path), "%s/%s",
		    dir != NULL && dir[0] != '\0' ? dir : "/usr/share/zoneinfo", v);
		if ((f = fopen(path, "rb")) != NULL) {
			ok = fread(magic, 1, 4, f) == 4 &&
			    memcmp(magic, "TZif", 4) == 0;
			fclose(f);
		}
	}
	if (!ok)
		strbuf_addf(why, "tz = %s: not a time zone of the tz database "
		    "(UTC, Europe/Paris, Asia/Jakarta, ...)", v);
	return ok ? 0 : TALLY_ECONFIG;
}

/* An http(s) URL with a host; empty means none. */
static int
check_url(const char *v, struct strbuf *why)
{
	const char *h, *p;

	if (v[0] == '\0')
		return 0;
	if (strncmp(v, "https://", 8) == 0)
		h = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		h = v + 7;
	else
		h = NULL;
	for (p = v; h != NULL && *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			h = NULL;
	if (h == NULL || h[0] == '\0' || h[0] == '/' || h[0] == ':') {
		strbuf_addstr(why, "not an http:// or https:// URL with a host");
		return TALLY_ECONFIG;
	}
	return 0;
}

/* ---- secrets ---- */

/* "CONF:LINE: what" for a secret file that could not be read; the
 * configured value is quoted only when it looks like a file name. */
static void
secret_context(struct strbuf *err, const struct config *cfg, int line,
    const char *what, const char *value)
{
	strbuf_addf(err, "%s:%d: %s", cfg->path != NULL ? cfg->path :
	    "configuration", line, what);
	if (secretfile_quotable(value))
		strbuf_addf(err, " = %s", value);
	else
		strbuf_addstr(err, " (value not shown: it does not look like a "
		    "file name; a secret pasted here?)");
	strbuf_addstr(err, ":\n  ");
}

int
config_load_source_secrets(struct config *cfg, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, why = STRBUF_INIT;
	struct config_source *s;
	struct secret got[CONFIG_MAX_SECRETS];
	bool credir;
	size_t i;
	int n, j, rc = 0;

	for (i = 0; i < cfg->nsources; i++) {
		s = &cfg->sources[i];
		while (s->nsecrets > 0)
			secretfile_wipe(&s->secrets[--s->nsecrets]);
		secretfile_resolve(s->secret_file, &path, &credir);
		strbuf_reset(&why);
		if (secretfile_read(strbuf_str(&path),
		    secretfile_quotable(s->secret_file) ? NULL : "the secret file",
		    credir, got, CONFIG_MAX_SECRETS, &n, &why) != 0) {
			char what[128];

			snprintf(what, sizeof(what), "[source %s] secret_file",
			    s->name);
			secret_context(err, cfg, s->secret_line, what,
			    s->secret_file);
			strbuf_addstr(err, strbuf_str(&why));
			rc = TALLY_ECONFIG;
			continue;
		}
		for (j = 0; j < n; j++)
			s->secrets[j] = got[j];
		s->nsecrets = n;
	}
	strbuf_release(&path);
	strbuf_release(&why);
	return rc;
}

void
config_audit_key_path(const struct config *cfg, struct strbuf *path)
{
	const char *home = getenv("TALLY_HOME");

	if (cfg->audit_key_file != NULL && cfg->audit_key_file[0] != '\0') {
		secretfile_resolve(cfg->audit_key_file, path, NULL);
		return;
	}
	/* the embedded installation's: beside its cluster (lib/pg/pgembed.h
	 * has the same default for $TALLY_HOME) */
	strbuf_reset(path);
	strbuf_addf(path, "%s/audit.key", home != NULL && home[0] != '\0' ?
	    home : "var");
}

int
config_load_audit_key(struct config *cfg, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, why = STRBUF_INIT;
	struct secret line = { NULL, 0 };
	const char *label;
	bool credir = false;
	int n = 0, rc;

	secretfile_wipe(&cfg->audit_key);
	config_audit_key_path(cfg, &path);
	if (cfg->audit_key_file != NULL && cfg->audit_key_file[0] != '\0')
		secretfile_resolve(cfg->audit_key_file, &path, &credir);
	label = cfg->audit_key_file == NULL || cfg->audit_key_file[0] == '\0' ||
	    secretfile_quotable(cfg->audit_key_file) ? strbuf_str(&path) :
	    "the audit key file";
	rc = secretfile_read(strbuf_str(&path), label, credir, &line, 1, &n,
	    &why);
	if (rc == 0 && (line.len % 2 != 0 ||
	    line.len < 2 * CONFIG_AUDIT_KEY_MIN_BYTES ||
	    line.len > 2 * CONFIG_AUDIT_KEY_MAX_BYTES)) {
		strbuf_addf(&why, "%s:1: not %d to %d hex digits\n",
		    label, 2 * CONFIG_AUDIT_KEY_MIN_BYTES,
		    2 * CONFIG_AUDIT_KEY_MAX_BYTES);
		rc = TALLY_ECONFIG;
	}
	if (rc == 0) {
		cfg->audit_key.len = line.len / 2;
		cfg->audit_key.data = xmalloc(cfg->audit_key.len + 1);
		cfg->audit_key.data[cfg->audit_key.len] = '\0';
		if (hex_decode((const char *)line.data, line.len,
		    cfg->audit_key.data, cfg->audit_key.len) != 0) {
			secretfile_wipe(&cfg->audit_key);
			strbuf_addf(&why, "%s:1: not hex digits\n", label);
			rc = TALLY_ECONFIG;
		}
	}
	if (rc != 0) {
		if (cfg->audit_key_file != NULL && cfg->audit_key_file[0] != '\0')
			secret_context(err, cfg, cfg->audit_key_line,
			    "audit_key_file", cfg->audit_key_file);
		else
			strbuf_addstr(err, "audit key (audit_key_file unset: "
			    "$TALLY_HOME/audit.key, which tallyctl db up "
			    "creates):\n  ");
		strbuf_addstr(err, strbuf_str(&why));
	}
	secretfile_wipe(&line);
	strbuf_release(&path);
	strbuf_release(&why);
	return rc;
}

int
config_load_secrets(struct config *cfg, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	int rc = config_load_source_secrets(cfg, err), rk = 0;

	/* the audit key when one is configured, or the default one exists:
	 * a receiver-only host has none */
	config_audit_key_path(cfg, &path);
	if ((cfg->audit_key_file != NULL && cfg->audit_key_file[0] != '\0') ||
	    access(strbuf_str(&path), F_OK) == 0)
		rk = config_load_audit_key(cfg, err);
	strbuf_release(&path);
	return rc != 0 ? rc : rk;
}

int
config_read_api_key(const struct config *cfg, const struct config_source *s,
    struct secret *key, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, why = STRBUF_INIT;
	char what[128];
	bool credir;
	int n = 0, rc = 0;

	memset(key, 0, sizeof(*key));
	snprintf(what, sizeof(what), "[source %s] api_key_file", s->name);
	if (s->api_key_file == NULL) {
		strbuf_addf(err, "%s:%d: [source %s] has no api_key_file\n",
		    cfg->path ? cfg->path : "config", s->line, s->name);
		return TALLY_ECONFIG;
	}
	/* the same rules as secret_file, but exactly one key */
	secretfile_resolve(s->api_key_file, &path, &credir);
	if (secretfile_read(strbuf_str(&path),
	    secretfile_quotable(s->api_key_file) ? NULL : "the key file",
	    credir, key, 1, &n, &why) != 0) {
		secret_context(err, cfg, s->line, what, s->api_key_file);
		strbuf_addstr(err, strbuf_str(&why));
		memset(key, 0, sizeof(*key));
		rc = TALLY_ECONFIG;
	}
	strbuf_release(&path);
	strbuf_release(&why);
	return rc;
}

static void
free_strings(void *base, const struct key_def *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].type == KEY_STRING) {
			char **slot = (char **)((char *)base + t[i].offset);

			if (strcmp(t[i].name, "scheme") == 0)
				continue;
			free(*slot);
			*slot = NULL;
		}
}

void
config_free(struct config *cfg)
{
	size_t i;
	int j;

	secretfile_wipe(&cfg->audit_key);
	for (i = 0; i < cfg->nsources; i++) {
		for (j = 0; j < cfg->sources[i].nsecrets; j++)
			secretfile_wipe(&cfg->sources[i].secrets[j]);
		free_strings(&cfg->sources[i], source_keys, NKEYS(source_keys));
		free(cfg->sources[i].name);
	}
	free(cfg->sources);
	for (i = 0; i < cfg->nsettlements; i++) {
		free_strings(&cfg->settlements[i], settlement_keys,
		    NKEYS(settlement_keys));
		free(cfg->settlements[i].name);
	}
	free(cfg->settlements);
	free_strings(cfg, top_keys, NKEYS(top_keys));
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

const struct config_source *
config_find_source(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nsources; i++)
		if (strcmp(cfg->sources[i].name, name) == 0)
			return &cfg->sources[i];
	return NULL;
}

const struct config_settlement *
config_find_settlement(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nsettlements; i++)
		if (strcmp(cfg->settlements[i].name, name) == 0)
			return &cfg->settlements[i];
	return NULL;
}
