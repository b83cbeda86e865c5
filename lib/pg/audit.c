#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/config.h"
#include "base/err.h"
#include "base/hex.h"
#include "base/log.h"
#include "pg/audit.h"

/* ---- the key: loaded once per process, never logged ---- */

static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static bool key_tried;
static int key_rc;
static unsigned char key[CONFIG_AUDIT_KEY_MAX_BYTES];
static size_t key_len;
static char *key_err;		/* the first failure's message */

int
audit_key_load(struct strbuf *err)
{
	struct config cfg;
	struct strbuf msg = STRBUF_INIT;
	int rc;

	pthread_mutex_lock(&key_lock);
	if (!key_tried) {
		key_tried = true;
		key_rc = config_load(&cfg, config_last_path(), &msg);
		if (key_rc == 0)
			key_rc = config_load_audit_key(&cfg, &msg);
		if (key_rc == 0) {
			memcpy(key, cfg.audit_key.data, cfg.audit_key.len);
			key_len = cfg.audit_key.len;
		} else {
			key_err = strbuf_detach(&msg, NULL);
		}
		config_free(&cfg);
		strbuf_release(&msg);
	}
	rc = key_rc;
	if (rc != 0 && err != NULL)
		strbuf_addstr(err, key_err != NULL ? key_err : "");
	pthread_mutex_unlock(&key_lock);
	return rc;
}

/* Load the key for a caller that has no message buffer: why not goes on
 * the handle (db_errmsg), where every caller of audit_record() looks. */
static int
need_key(struct db *db)
{
	struct strbuf err = STRBUF_INIT, msg = STRBUF_INIT;
	int rc = audit_key_load(&err);

	if (rc != 0) {
		strbuf_addf(&msg, "audit key: %s", strbuf_str(&err));
		while (msg.len > 0 && (msg.buf[msg.len - 1] == '\n' ||
		    msg.buf[msg.len - 1] == ' '))
			msg.buf[--msg.len] = '\0';
		db_set_error(db, strbuf_str(&msg));
		log_debug("%s", strbuf_str(&msg));
	}
	strbuf_release(&err);
	strbuf_release(&msg);
	return rc;
}

int
audit_key_create(bool *created, struct strbuf *err)
{
	struct config cfg;
	struct strbuf path = STRBUF_INIT, line = STRBUF_INIT;
	unsigned char raw[CONFIG_AUDIT_KEY_MIN_BYTES];
	size_t i;
	int fd = -1, rc;

	if (created != NULL)
		*created = false;
	rc = config_load(&cfg, config_last_path(), err);
	if (rc != 0)
		goto out;
	config_audit_key_path(&cfg, &path);
	if (access(strbuf_str(&path), F_OK) == 0)
		goto out;
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		strbuf_addf(err, "no random bytes for the audit key: %s\n",
		    strerror(errno));
		rc = TALLY_EINTERNAL;
		goto out;
	}
	for (i = 0; i < sizeof(raw); i++)
		strbuf_addf(&line, "%02x", raw[i]);
	strbuf_addch(&line, '\n');
	fd = open(strbuf_str(&path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600);
	if (fd < 0 || write(fd, line.buf, line.len) != (ssize_t)line.len ||
	    fsync(fd) != 0) {
		strbuf_addf(err, "cannot create the audit key %s: %s\n",
		    strbuf_str(&path), strerror(errno));
		rc = TALLY_EIO;
		if (fd >= 0)
			unlink(strbuf_str(&path));
		goto out;
	}
	log_notice("created the audit key %s: keep a copy off this machine, "
	    "apart from the backups", strbuf_str(&path));
	if (created != NULL)
		*created = true;
out:
	if (fd >= 0)
		close(fd);
	explicit_bzero(raw, sizeof(raw));
	if (line.buf != NULL)
		explicit_bzero(line.buf, line.len);
	strbuf_release(&line);
	strbuf_release(&path);
	config_free(&cfg);
	return rc;
}

/* ---- the canonical content and its MAC ---- */

static void
field(struct strbuf *sb, const char *v)
{
	if (v == NULL)
		strbuf_addstr(sb, "-\n");
	else
		strbuf_addf(sb, "%zu:%s\n", strlen(v), v);
}

/*
 * What a keyed row's MAC covers after the previous hash: every column,
 * each length-prefixed (NULL written "-"), so no two rows share a text.
 * v[]: id, at (UTC, microseconds, "Z"), actor, action, entity, entity_id,
 * reason, before::text, after::text.
 */
static void
content_v1(struct strbuf *sb, const char *const v[9])
{
	strbuf_addstr(sb, "tally-audit-1\n");
	for (int i = 0; i < 9; i++)
		field(sb, v[i]);
}

static int
mac_of(const unsigned char *prev, size_t prevlen, const struct strbuf *content,
    unsigned char out[AUDIT_MAC_LEN])
{
	struct strbuf msg = STRBUF_INIT;
	size_t outlen = 0;
	unsigned char *r;

	strbuf_add(&msg, (const char *)prev, prevlen);
	strbuf_add(&msg, content->buf, content->len);
	r = EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len,
	    (const unsigned char *)msg.buf, msg.len, out, AUDIT_MAC_LEN, &outlen);
	strbuf_release(&msg);
	return r != NULL && outlen == AUDIT_MAC_LEN ? 0 : TALLY_EINTERNAL;
}

/* Hex of at most max bytes (any even length) into out; -1 if it is not. */
static int
unhex(const char *s, unsigned char *out, size_t max, size_t *len)
{
	size_t n = strlen(s);

	if (n % 2 != 0 || n / 2 > max || hex_decode(s, n, out, n / 2) != 0)
		return -1;
	*len = n / 2;
	return 0;
}

int
audit_record(struct db *db, const char *actor, const char *action,
    const char *entity, const char *entity_id, const char *reason,
    const char *before_json, const char *after_json)
{
	const char *p1[2] = { before_json, after_json };
	const char *v[9], *p2[11];
	struct strbuf content = STRBUF_INIT;
	unsigned char prev[AUDIT_MAC_LEN], mac[AUDIT_MAC_LEN];
	char id[24], prevhex[2 * AUDIT_MAC_LEN + 1], machex[2 * AUDIT_MAC_LEN + 1];
	size_t prevlen = 0;
	PGresult *res = NULL;
	int rc;

	if ((rc = need_key(db)) != 0)
		return rc;
	/*
	 * The head, locked until this transaction ends: the id and the link
	 * are drawn under the lock, so concurrent writers chain one after
	 * another and a rollback gives the id back.  The database prints the
	 * time and the JSON in the form verify will read them back.
	 */
	rc = db_query(db, &res, "SELECT id + 1, encode(hash, 'hex'), "
	    "to_char(now() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	    " $1::jsonb::text, $2::jsonb::text FROM audit_head FOR UPDATE",
	    2, p1);
	if (rc != 0)
		return rc;
	if (PQntuples(res) != 1 || unhex(PQgetvalue(res, 0, 1), prev,
	    sizeof(prev), &prevlen) != 0) {
		log_err("audit_head has no usable row: the audit chain has no head");
		PQclear(res);
		return TALLY_EINTERNAL;
	}
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	v[0] = id;
	v[1] = PQgetvalue(res, 0, 2);
	v[2] = actor;
	v[3] = action;
	v[4] = entity;
	v[5] = entity_id;
	v[6] = reason;
	v[7] = db_value(res, 0, 3);
	v[8] = db_value(res, 0, 4);
	content_v1(&content, v);
	rc = mac_of(prev, prevlen, &content, mac);
	hex_encode(mac, sizeof(mac), machex);
	hex_encode(prev, prevlen, prevhex);
	for (int i = 0; i < 9; i++)
		p2[i] = v[i];
	p2[9] = prevhex;
	p2[10] = machex;
	if (rc == 0)
		rc = db_command(db, NULL,
		    "INSERT INTO audit_log (id, at, actor, action, entity,"
		    " entity_id, reason, before, after, prev_hash, hash)"
		    " VALUES ($1::bigint, $2::timestamptz, $3, $4, $5, $6, $7,"
		    " $8::jsonb, $9::jsonb, decode($10, 'hex'), decode($11, 'hex'))",
		    11, p2);
	PQclear(res);
	strbuf_release(&content);
	return rc;
}

const char *
audit_actor(const char *explicit_actor)
{
	static char fallback[64];
	const char *s;
	struct passwd *pw;

	if (explicit_actor != NULL && explicit_actor[0] != '\0')
		return explicit_actor;
	/* the person behind sudo is the one accountable, not root */
	s = getenv("SUDO_USER");
	if (s != NULL && s[0] != '\0')
		return s;
	pw = getpwuid(getuid());
	if (pw != NULL && pw->pw_name != NULL) {
		snprintf(fallback, sizeof(fallback), "%s", pw->pw_name);
		return fallback;
	}
	snprintf(fallback, sizeof(fallback), "uid:%u", (unsigned)getuid());
	return fallback;
}

/* ---- anchors ---- */

int
audit_head(struct db *db, struct audit_anchor *out)
{
	PGresult *res = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = db_query(db, &res, "SELECT id, encode(hash, 'hex') FROM audit_log"
	    " ORDER BY id DESC LIMIT 1", 0, NULL);
	if (rc != 0)
		return rc;
	if (PQntuples(res) == 1) {
		out->id = db_value_ll(res, 0, 0, 0);
		if (unhex(PQgetvalue(res, 0, 1), out->mac, sizeof(out->mac),
		    &n) != 0 || n != AUDIT_MAC_LEN)
			memset(out->mac, 0, sizeof(out->mac));
	}
	PQclear(res);
	return 0;
}

void
audit_anchor_format(const struct audit_anchor *a, char *buf, size_t len)
{
	char hex[2 * AUDIT_MAC_LEN + 1];

	hex_encode(a->mac, AUDIT_MAC_LEN, hex);
	snprintf(buf, len, "%lld:%s", a->id, hex);
}

bool
audit_anchor_parse(const char *text, struct audit_anchor *out)
{
	const char *colon = strchr(text, ':');
	char *end;
	size_t n = 0;
	long long id;

	memset(out, 0, sizeof(*out));
	if (colon == NULL || colon == text)
		return false;
	errno = 0;
	id = strtoll(text, &end, 10);
	if (errno != 0 || end != colon || id < 1 ||
	    strlen(colon + 1) != 2 * AUDIT_MAC_LEN ||
	    unhex(colon + 1, out->mac, sizeof(out->mac), &n) != 0 ||
	    n != AUDIT_MAC_LEN)
		return false;
	out->id = id;
	snprintf(out->source, sizeof(out->source), "--anchor");
	return true;
}

/* ---- verify ---- */

void
audit_check_init(struct audit_check *c)
{
	memset(c, 0, sizeof(*c));
	strbuf_init(&c->problem);
	strbuf_init(&c->reached);
}

void
audit_check_release(struct audit_check *c)
{
	strbuf_release(&c->problem);
	strbuf_release(&c->reached);
}

struct walk {
	struct audit_check *out;
	struct audit_anchor *anchors;	/* sorted by id */
	size_t nanchors, next;		/* the next anchor to meet */
	long long prev_id;
	unsigned char prev[AUDIT_MAC_LEN];
	size_t prevlen;
	bool keyed;			/* a keyed row was seen */
	long long outside_reached;	/* the newest given anchor reached */
};

static void
bad(struct walk *w, long long id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
bad(struct walk *w, long long id, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (w->out->first_bad != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->out->first_bad = id;
	strbuf_addstr(&w->out->problem, msg);
}

/* Row r of res: columns id, at (keyed form), at (legacy form), actor,
 * action, entity, entity_id, reason, before, after, prev_hash, hash; the
 * columns of each form's content, in content order: */
static const int keyed_cols[9] = { 0, 1, 3, 4, 5, 6, 7, 8, 9 };
static const int legacy_cols[9] = { 0, 2, 3, 4, 5, 6, 7, 8, 9 };

static void
check_row(struct walk *w, PGresult *res, int r)
{
	struct strbuf content = STRBUF_INIT;
	unsigned char prev[AUDIT_MAC_LEN], hash[AUDIT_MAC_LEN],
	    mac[AUDIT_MAC_LEN];
	size_t prevlen = 0, hashlen = 0;
	long long id = db_value_ll(res, r, 0, 0);
	const char *v[9];
	bool keyed = false, legacy = false;
	unsigned int dl = 0;

	if (unhex(PQgetvalue(res, r, 10), prev, sizeof(prev), &prevlen) != 0 ||
	    unhex(PQgetvalue(res, r, 11), hash, sizeof(hash), &hashlen) != 0 ||
	    hashlen != AUDIT_MAC_LEN) {
		bad(w, id, "its hashes are not 32 bytes (altered)");
		return;
	}
	/* the link to the row before it */
	if (prevlen != w->prevlen || memcmp(prev, w->prev, prevlen) != 0) {
		if (w->prev_id == 0)
			bad(w, id, "it is the first row but names a previous "
			    "hash (the rows before it were removed)");
		else
			bad(w, id, "previous hash does not match row %lld (a row "
			    "before it was removed or altered)", w->prev_id);
		return;
	}
	for (int i = 0; i < 9; i++)
		v[i] = db_value(res, r, keyed_cols[i]);
	content_v1(&content, v);
	if (mac_of(prev, prevlen, &content, mac) == 0 &&
	    CRYPTO_memcmp(mac, hash, AUDIT_MAC_LEN) == 0)
		keyed = true;
	if (!keyed) {
		/* sql/002: sha256(prev || id, at, actor, action, entity,
		 * entity_id, reason, before, after joined by 0x1f), NULLs as "" */
		strbuf_reset(&content);
		strbuf_add(&content, (const char *)prev, prevlen);
		for (int i = 0; i < 9; i++) {
			const char *x = db_value(res, r, legacy_cols[i]);

			if (i > 0)
				strbuf_addch(&content, '\x1f');
			strbuf_addstr(&content, x != NULL ? x : "");
		}
		legacy = EVP_Digest(content.buf, content.len, mac, &dl,
		    EVP_sha256(), NULL) == 1 && dl == AUDIT_MAC_LEN &&
		    CRYPTO_memcmp(mac, hash, AUDIT_MAC_LEN) == 0;
	}
	strbuf_release(&content);
	if (!keyed && !(legacy && !w->keyed)) {
		bad(w, id, legacy ? "an unkeyed row after keyed ones (written "
		    "without the audit key)" : "row content does not match its "
		    "MAC (altered, or written without the audit key)");
		return;
	}
	if (keyed && id != w->prev_id + 1) {
		bad(w, id, "ids jump from %lld to %lld (rows were removed)",
		    w->prev_id, id);
		return;
	}
	if (keyed) {
		w->keyed = true;
	} else {
		if (w->out->legacy++ == 0)
			w->out->legacy_first = id;
		w->out->legacy_last = id;
	}
	/* anchors on this row, or on rows that were skipped before it */
	while (w->next < w->nanchors && w->anchors[w->next].id <= id) {
		const struct audit_anchor *a = &w->anchors[w->next++];
		char text[AUDIT_ANCHOR_TEXT];

		audit_anchor_format(a, text, sizeof(text));
		if (a->id < id) {
			bad(w, a->id, "row %lld of anchor %s (%s) is missing",
			    a->id, text, a->source);
			return;
		}
		if (CRYPTO_memcmp(a->mac, hash, AUDIT_MAC_LEN) != 0) {
			bad(w, id, "the chain was rewritten: row %lld is not the "
			    "one anchor %s (%s) recorded", id, text, a->source);
			return;
		}
		w->out->anchors++;
		if (a->outside)
			w->outside_reached = a->id;
		strbuf_addf(&w->out->reached, "reaches anchor %s (%s)\n", text,
		    a->source);
	}
	memcpy(w->prev, hash, AUDIT_MAC_LEN);
	w->prevlen = AUDIT_MAC_LEN;
	w->prev_id = id;
	w->out->rows++;
	w->out->head.id = id;
	memcpy(w->out->head.mac, hash, AUDIT_MAC_LEN);
}

/*
 * Unkeyed rows prove nothing by themselves: whoever can write the table
 * (the database's owner, triggers off) can recompute every one of them
 * from row 1.  They stand only where something from outside the database
 * vouches for them: the admin's legacy boundary, or a given anchor the
 * chain reaches (whose row's hash covers every row before it).
 */
static void
unkeyed_vouched(struct walk *w)
{
	struct audit_check *c = w->out;
	long long upto = c->legacy_until > w->outside_reached ?
	    c->legacy_until : w->outside_reached;

	if (c->first_bad != 0 || c->legacy == 0 || c->legacy_last <= upto)
		return;
	if (c->legacy_until > 0)
		bad(w, c->legacy_first > upto ? c->legacy_first : upto + 1,
		    "%lld unkeyed rows (ids %lld..%lld) but --legacy-until %lld: "
		    "rows after it were written without the audit key, or "
		    "recomputed from an earlier row", c->legacy, c->legacy_first,
		    c->legacy_last, c->legacy_until);
	else
		bad(w, c->legacy_first, "%lld unkeyed rows (ids %lld..%lld), "
		    "which anyone who can write the table can recompute: if they "
		    "are the rows from before the audit key (upgrade to migration "
		    "052), confirm with --legacy-until ID, the last such id as "
		    "noted at the upgrade, or --anchor ID:HEX kept since; else "
		    "the chain was recomputed", c->legacy, c->legacy_first,
		    c->legacy_last);
}

static int
cmp_anchor(const void *a, const void *b)
{
	const struct audit_anchor *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The newest anchor job_runs holds, appended to the list. */
static int
job_runs_anchor(struct db *db, struct audit_anchor **list, size_t *n)
{
	PGresult *res = NULL;
	size_t len = 0;
	struct audit_anchor *a;
	int rc;

	rc = db_query(db, &res, "SELECT audit_anchor_id,"
	    " encode(audit_anchor_mac, 'hex'), id, program FROM job_runs"
	    " WHERE audit_anchor_id IS NOT NULL"
	    " ORDER BY audit_anchor_id DESC, id DESC LIMIT 1", 0, NULL);
	if (rc != 0)
		return rc;
	if (PQntuples(res) == 1) {
		*list = xrealloc(*list, (*n + 1) * sizeof(**list));
		a = &(*list)[(*n)++];
		memset(a, 0, sizeof(*a));
		a->id = db_value_ll(res, 0, 0, 0);
		if (unhex(PQgetvalue(res, 0, 1), a->mac, sizeof(a->mac), &len) != 0 ||
		    len != AUDIT_MAC_LEN)
			memset(a->mac, 0, sizeof(a->mac));
		snprintf(a->source, sizeof(a->source), "job_runs %s, %s",
		    PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3));
	}
	PQclear(res);
	return 0;
}

#define PAGE_ROWS "2000"

int
audit_verify_chain(struct db *db, const struct audit_anchor *anchors,
    size_t nanchors, struct audit_check *out)
{
	struct walk w;
	PGresult *res = NULL;
	char after[24];
	const char *params[1] = { after };
	int rc, n;

	memset(&w, 0, sizeof(w));
	w.out = out;
	if ((rc = need_key(db)) != 0)
		return rc;
	rc = db_begin(db, DB_REPEATABLE_READ_RO);
	if (rc != 0)
		return rc;
	w.anchors = xcalloc(nanchors + 1, sizeof(*w.anchors));
	for (size_t i = 0; i < nanchors; i++) {
		w.anchors[i] = anchors[i];
		w.anchors[i].outside = true;
	}
	w.nanchors = nanchors;
	rc = job_runs_anchor(db, &w.anchors, &w.nanchors);
	qsort(w.anchors, w.nanchors, sizeof(*w.anchors), cmp_anchor);
	snprintf(after, sizeof(after), "0");
	while (rc == 0 && out->first_bad == 0) {
		rc = db_query(db, &res,
		    "SELECT id, to_char(at at time zone 'UTC',"
		    " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), to_char(at at time zone 'UTC',"
		    " 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), actor, action, entity,"
		    " entity_id, reason, before::text, after::text,"
		    " encode(prev_hash, 'hex'), encode(hash, 'hex')"
		    " FROM audit_log WHERE id > $1::bigint ORDER BY id"
		    " LIMIT " PAGE_ROWS, 1, params);
		if (rc != 0)
			break;
		n = PQntuples(res);
		for (int r = 0; r < n && out->first_bad == 0; r++)
			check_row(&w, res, r);
		if (n > 0)
			snprintf(after, sizeof(after), "%s",
			    PQgetvalue(res, n - 1, 0));
		PQclear(res);
		res = NULL;
		if (n == 0)
			break;
	}
	/* anchors past the newest row: the newest rows were removed */
	if (rc == 0 && out->first_bad == 0 && w.next < w.nanchors) {
		char text[AUDIT_ANCHOR_TEXT];

		audit_anchor_format(&w.anchors[w.next], text, sizeof(text));
		bad(&w, w.prev_id + 1, "the chain ends at row %lld but anchor %s "
		    "(%s) names a later row: the newest rows were removed",
		    w.prev_id, text, w.anchors[w.next].source);
	}
	if (rc == 0)
		unkeyed_vouched(&w);
	db_rollback(db);
	free(w.anchors);
	return rc;
}

int
audit_verify(struct db *db, long long *first_bad, long long *rows_checked,
    struct strbuf *problem)
{
	struct audit_check c;
	int rc;

	audit_check_init(&c);
	rc = audit_verify_chain(db, NULL, 0, &c);
	*first_bad = c.first_bad;
	if (rows_checked != NULL)
		*rows_checked = c.rows;
	if (problem != NULL)
		strbuf_addstr(problem, strbuf_str(&c.problem));
	audit_check_release(&c);
	return rc;
}
