/*
 * access.c - the access log: one row of admin_access_log per request,
 * whatever the face and the outcome, written before the answer leaves
 * (so a client that has its answer finds its request logged), or when a
 * request ends unanswered (cut at the deadline, the client gone: status
 * 0).  When the database cannot take it, the row goes to the journal
 * instead, at most a few lines a second.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin/internal.h"
#include "base/log.h"

#define FIELD_MAX 2048
#define JOURNAL_LINES_PER_SECOND 10

/*
 * Text from the request made safe to store: valid UTF-8 kept, control
 * characters and bytes that are not UTF-8 shown as '?', cut at max
 * bytes.
 */
static void
clean(struct strbuf *out, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0' && out->len < max) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 :
		    (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		size_t i;

		for (i = 1; n > 1 && i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				break;
		if (n == 0 || i < n || (n > 1 && *p < 0xc2) ||
		    out->len + n > max) {
			strbuf_addch(out, '?');
			p++;
			continue;
		}
		if (n == 1 && (*p < 0x20 || *p == 0x7f))
			strbuf_addch(out, '?');
		else
			strbuf_add(out, p, n);
		p += n;
	}
}

static bool
journal_allowed(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static time_t window;
	static unsigned lines;
	time_t now = time(NULL);
	bool ok;

	pthread_mutex_lock(&lock);
	if (now != window) {
		window = now;
		lines = 0;
	}
	ok = ++lines <= JOURNAL_LINES_PER_SECOND;
	pthread_mutex_unlock(&lock);
	return ok;
}

void
admin_access_write(struct admin_req *r)
{
	struct admin_priv *p = r->priv;
	struct strbuf path = STRBUF_INIT, query = STRBUF_INIT;
	const char *q = strchr(p->target, '?');
	char status[16], us[32];
	const char *params[7];
	double took = httplimit_now() - p->started;
	int rc;

	if (p->logged)
		return;
	p->logged = true;
	if (r->path[0] != '\0')
		clean(&path, r->path, FIELD_MAX);
	else {
		/* not routed: the target's path part */
		struct strbuf t = STRBUF_INIT;

		strbuf_add(&t, p->target, q != NULL ? (size_t)(q - p->target) :
		    strlen(p->target));
		clean(&path, strbuf_str(&t), FIELD_MAX);
		strbuf_release(&t);
	}
	if (q != NULL)
		clean(&query, q + 1, FIELD_MAX);
	snprintf(status, sizeof(status), "%d", p->status);
	snprintf(us, sizeof(us), "%lld", (long long)(took > 0 ? took * 1e6 : 0));
	params[0] = r->client;
	params[1] = r->method[0] != '\0' ? r->method : "-";
	params[2] = strbuf_str(&path);
	params[3] = q != NULL ? strbuf_str(&query) : NULL;
	params[4] = r->who.actor[0] != '\0' ? r->who.actor : NULL;
	params[5] = status;
	params[6] = us;
	rc = ops_connect(&r->ops);
	/*
	 * One statement, its own transaction, committed without waiting for
	 * the WAL flush (set_config(..., true) lasts until that commit): a
	 * request costs no extra disk flush for its log row.  A crash of the
	 * machine may lose the last fraction of a second of access rows;
	 * the changes themselves and their audit rows are committed durably
	 * by their own transactions.
	 */
	if (rc == 0)
		rc = db_command(r->ops.db, NULL, "WITH lazy AS (SELECT set_config("
		    "'synchronous_commit', 'off', true))"
		    " INSERT INTO admin_access_log"
		    " (client, method, path, query, actor, status, duration_us)"
		    " SELECT $1, left($2, 16), $3, $4, $5, $6::integer, $7::bigint"
		    " FROM lazy", 7, params);
	if (rc != 0 && journal_allowed())
		log_warning("access log not written (%s): %s %s %s %s %s %s us",
		    r->ops.db != NULL ? db_errmsg(r->ops.db) : "no database",
		    params[0], params[1], params[2], params[4] != NULL ?
		    params[4] : "-", status, us);
	strbuf_release(&path);
	strbuf_release(&query);
}
