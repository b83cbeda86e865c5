#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pg/db.h"
#include "base/err.h"
#include "base/log.h"
#include "intake/httplimit.h"
#include "intake/receiver_metrics.h"
#include "intake/receiver_store.h"
#include "base/strbuf.h"

/*
 * Bounds on one group commit.  PostgreSQL takes at most 65535 parameters
 * per statement (6 per row here), and a batch must not turn a burst of big
 * bodies into one huge message: past these a batch is cut (a single
 * request is never split: its rows are all-or-nothing).
 */
#define ROWS_PER_STATEMENT 1024	/* a power of two: see prepare_insert */
#define NBUCKETS 11			/* statements of 1, 2, 4 .. 1024 rows */
#define BATCH_MAX_ROWS 5000
#define BATCH_MAX_BYTES (16UL << 20)
#define RETRY_ATTEMPTS 3
#define IDLE_WAIT_MS 250
#define BACKOFF_MIN 0.25
#define BACKOFF_MAX 2.0

struct committer {
	struct receiver_store *st;
	pthread_t thread;
	struct db *db;		/* NULL until the first successful connect */
	bool connected;
	double next_attempt;
	double backoff;
	atomic_llong heartbeat_us;
	int id;
	bool prepared[NBUCKETS];	/* per session: reset on reconnect */
	struct strbuf error;		/* the last statement's failure */
	char sqlstate[6];		/* and its SQLSTATE, "" for none */
};

struct receiver_store {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct receiver_job *head, *tail;
	size_t queued;
	long commit_batch;
	long queue_limit;
	bool stopping;
	atomic_bool db_up;
	struct committer *committers;
	int ncommitters;
	long statement_timeout_ms;
	char *conninfo;
};

/* One row of a batch, in the order rows are sent. */
struct row_ref {
	struct receiver_job *job;
	const struct receiver_row *row;
	const char *text;	/* NUL-terminated body text */
	char *owned;		/* text, when it had to be copied */
	size_t seq;		/* original position: a stable tie-break */
};

struct returned {
	const char *source;
	const char *key;
	bool claimed;
};

static void
heartbeat(struct committer *c)
{
	atomic_store(&c->heartbeat_us, (long long)(httplimit_now() * 1e6));
}

static void
set_db_up(struct receiver_store *st, bool up)
{
	bool was = atomic_exchange(&st->db_up, up);

	receiver_metrics_gauge_set(RM_DB_UP, up ? 1 : 0);
	if (was && !up)
		log_warning("database unavailable: answering 503 until it is back");
	else if (!was && up)
		log_notice("database available");
}

/* The receiver's promise depends on these, whatever the server default. */
static int
session_init(struct committer *c)
{
	char timeout[32];
	const char *params[1] = { timeout };
	PGresult *res = NULL;
	int rc;

	snprintf(timeout, sizeof(timeout), "%ld", c->st->statement_timeout_ms);
	/* generic plans: the inserts differ only in their parameters */
	rc = db_query(c->db, &res,
	    "SELECT set_config('synchronous_commit', 'on', false), "
	    "set_config('client_encoding', 'UTF8', false), "
	    "set_config('plan_cache_mode', 'force_generic_plan', false), "
	    "set_config('statement_timeout', $1, false)", 1, params);
	PQclear(res);
	return rc;
}

static void
schedule_retry(struct committer *c)
{
	c->backoff = c->backoff < BACKOFF_MIN ? BACKOFF_MIN :
	    c->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : c->backoff * 2;
	c->next_attempt = httplimit_now() + c->backoff;
}

/* (Re)connect now.  true when connected. */
static bool
connect_committer(struct committer *c)
{
	int rc;

	if (c->db == NULL)
		rc = db_connect_url(&c->db, c->st->conninfo, "tally-receiver",
		    "tally_receiver");
	else
		rc = db_reconnect(c->db);
	if (rc == 0)
		rc = session_init(c);
	c->connected = rc == 0;
	memset(c->prepared, 0, sizeof(c->prepared));
	if (!c->connected) {
		if (c->db != NULL)
			log_debug("committer %d: cannot connect: %s", c->id,
			    db_errmsg(c->db));
		schedule_retry(c);
		return false;
	}
	c->backoff = 0;
	c->next_attempt = 0;
	return true;
}

static int
cmp_rows(const void *a, const void *b)
{
	const struct row_ref *x = a, *y = b;
	int d;

	/* one order for every committer: two batches with the same keys
	 * take their index locks in the same order and cannot deadlock */
	if ((d = strcmp(x->job->source, y->job->source)) != 0)
		return d;
	if ((d = strcmp(x->row->event_key, y->row->event_key)) != 0)
		return d;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static uint64_t
hash_pair(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *a != '\0'; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (; *b != '\0'; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ULL;
	return h;
}

static struct returned *
find_returned(struct returned *tab, size_t cap, const char *source,
    const char *key)
{
	size_t i = (size_t)hash_pair(source, key) & (cap - 1);

	for (; tab[i].source != NULL; i = (i + 1) & (cap - 1))
		if (strcmp(tab[i].source, source) == 0 &&
		    strcmp(tab[i].key, key) == 0)
			return &tab[i];
	return &tab[i];
}

/* Classify a failed statement by SQLSTATE (none: the connection) and keep
 * its message for the log. */
static int
statement_failed(struct committer *c, const PGresult *res)
{
	const char *state = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorMessage(res) : "";

	strbuf_reset(&c->error);
	strbuf_addstr(&c->error, msg != NULL && msg[0] != '\0' ? msg :
	    PQerrorMessage(db_conn(c->db)));
	snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", state != NULL ? state : "");
	while (c->error.len > 0 && c->error.buf[c->error.len - 1] == '\n')
		c->error.buf[--c->error.len] = '\0';
	if (state == NULL && PQstatus(db_conn(c->db)) == CONNECTION_OK)
		return TALLY_EDB;
	return db_classify(state);
}

/*
 * The insert for up to 2^bucket rows, prepared once per session.  Rows past
 * the batch are all-NULL parameters that the WHERE drops, so eleven
 * statements serve every batch size and PostgreSQL parses and plans each
 * once instead of once per commit (half the database time of a 64-row
 * batch, measured).  The body goes once, as text: it is UTF-8 JSON (checked
 * before queueing), so its bytes are convert_to(text).
 */
static int
prepare_insert(struct committer *c, int bucket, const char *name)
{
	struct strbuf sql = STRBUF_INIT;
	size_t nrows = (size_t)1 << bucket;
	PGresult *res;
	int rc = 0;

	if (c->prepared[bucket])
		return 0;
	strbuf_addstr(&sql, "INSERT INTO raw_events (source, scheme, event_key, "
	    "content_type, sig_headers, body, payload) SELECT * FROM (VALUES ");
	for (size_t i = 0; i < nrows; i++) {
		size_t p = i * 6;

		strbuf_addf(&sql, "%s($%zu::text,$%zu::text,$%zu::text,$%zu::text,"
		    "$%zu::jsonb,convert_to($%zu::text,'UTF8'),$%zu::text::jsonb)",
		    i > 0 ? "," : "", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6,
		    p + 6);
	}
	strbuf_addstr(&sql, ") AS v (source, scheme, event_key, content_type, "
	    "sig_headers, body, payload) WHERE v.event_key IS NOT NULL "
	    "ON CONFLICT (source, event_key) DO NOTHING "
	    "RETURNING source, event_key");
	res = PQprepare(db_conn(c->db), name, sql.buf, (int)(6 * nrows), NULL);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = statement_failed(c, res);
	else
		c->prepared[bucket] = true;
	PQclear(res);
	strbuf_release(&sql);
	return rc;
}

/*
 * Insert rows[0..n) in statements of ROWS_PER_STATEMENT, in one
 * transaction, and mark each job's stored / duplicate counts.  0 only when
 * the transaction committed.
 */
static int
insert_rows(struct committer *c, struct row_ref *rows, size_t n)
{
	struct db *db = c->db;
	PGresult **results = NULL;
	struct returned *tab = NULL;
	const char **params = NULL;
	size_t nres = 0, nstmt, cap, returned = 0, i, j, off, m;
	int rc = 0;

	c->sqlstate[0] = '\0';
	nstmt = (n + ROWS_PER_STATEMENT - 1) / ROWS_PER_STATEMENT;
	results = xcalloc(nstmt, sizeof(*results));
	params = xcalloc(6 * ROWS_PER_STATEMENT, sizeof(*params));
	/* one statement commits by itself; more need a transaction */
	if (nstmt > 1 && (rc = db_begin(db, DB_READ_COMMITTED)) != 0) {
		strbuf_reset(&c->error);
		strbuf_addstr(&c->error, db_errmsg(db));
		snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", db_sqlstate(db));
		goto done;
	}
	for (off = 0; off < n; off += m) {
		int bucket = 0;
		char name[64];

		m = n - off < ROWS_PER_STATEMENT ? n - off : ROWS_PER_STATEMENT;
		while (((size_t)1 << bucket) < m)
			bucket++;
		snprintf(name, sizeof(name), "tally_receiver_insert_%d", bucket);
		if ((rc = prepare_insert(c, bucket, name)) != 0)
			goto done;
		memset(params, 0, 6 * ((size_t)1 << bucket) * sizeof(*params));
		for (i = 0; i < m; i++) {
			const struct row_ref *r = &rows[off + i];

			params[6 * i] = r->job->source;
			params[6 * i + 1] = r->job->scheme;
			params[6 * i + 2] = r->row->event_key;
			params[6 * i + 3] = r->job->content_type;
			params[6 * i + 4] = r->row->sig_headers;
			params[6 * i + 5] = r->text;
		}
		results[nres] = PQexecPrepared(db_conn(db), name,
		    (int)(6 * ((size_t)1 << bucket)), params, NULL, NULL, 0);
		if (results[nres] == NULL ||
		    PQresultStatus(results[nres]) != PGRES_TUPLES_OK) {
			rc = statement_failed(c, results[nres]);
			nres++;
			goto done;
		}
		returned += (size_t)PQntuples(results[nres]);
		nres++;
	}
	if (nstmt > 1 && (rc = db_commit(db)) != 0) {
		strbuf_reset(&c->error);
		strbuf_addstr(&c->error, db_errmsg(db));
		snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", db_sqlstate(db));
		goto done;
	}

	/* committed: now tell stored from duplicate */
	for (cap = 16; cap < 2 * returned + 1; cap *= 2)
		;
	tab = xcalloc(cap, sizeof(*tab));
	for (i = 0; i < nres; i++)
		for (j = 0; j < (size_t)PQntuples(results[i]); j++) {
			const char *s = db_value(results[i], (int)j, 0);
			const char *k = db_value(results[i], (int)j, 1);
			struct returned *e;

			if (s == NULL || k == NULL)
				continue;
			e = find_returned(tab, cap, s, k);
			e->source = s;
			e->key = k;
		}
	for (i = 0; i < n; i++) {
		struct returned *e = find_returned(tab, cap, rows[i].job->source,
		    rows[i].row->event_key);

		/* the first of equal keys in the batch is the one stored */
		if (e->source != NULL && !e->claimed) {
			e->claimed = true;
			rows[i].job->stored++;
		} else {
			rows[i].job->duplicates++;
		}
	}
done:
	if (rc != 0 && nstmt > 1)
		db_rollback(db);
	for (i = 0; i < nres; i++)
		PQclear(results[i]);
	free(results);
	free(params);
	free(tab);
	return rc;
}

static size_t
collect_rows(struct receiver_job **jobs, size_t njobs, struct row_ref **out)
{
	struct row_ref *rows;
	size_t n = 0, k = 0;

	for (size_t i = 0; i < njobs; i++)
		n += jobs[i]->nrows;
	rows = xcalloc(n ? n : 1, sizeof(*rows));
	for (size_t i = 0; i < njobs; i++) {
		struct receiver_job *job = jobs[i];

		job->stored = job->duplicates = 0;
		for (size_t r = 0; r < job->nrows; r++, k++) {
			const struct receiver_row *row = &job->rows[r];

			rows[k].job = job;
			rows[k].row = row;
			rows[k].seq = k;
			if (row->body_off == 0 && row->body_len == job->body_len) {
				rows[k].text = job->body;
			} else {
				rows[k].owned = xstrndup(job->body + row->body_off,
				    row->body_len);
				rows[k].text = rows[k].owned;
			}
		}
	}
	qsort(rows, n, sizeof(*rows), cmp_rows);
	*out = rows;
	return n;
}

static void
free_rows(struct row_ref *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].owned);
	free(rows);
}

/* Store the row-carrying jobs, retrying what a retry can fix. */
static int
store_jobs(struct committer *c, struct receiver_job **jobs, size_t njobs)
{
	struct row_ref *rows = NULL;
	size_t n;
	double t0;
	int rc, attempt;

	n = collect_rows(jobs, njobs, &rows);
	for (attempt = 0;; attempt++) {
		for (size_t i = 0; i < njobs; i++)
			jobs[i]->stored = jobs[i]->duplicates = 0;
		if (!c->connected && !connect_committer(c)) {
			rc = TALLY_EUNAVAIL;
			break;
		}
		t0 = httplimit_now();
		rc = insert_rows(c, rows, n);
		if (rc == 0) {
			receiver_metrics_commit(njobs, n, httplimit_now() - t0);
			break;
		}
		receiver_metrics_count(RM_DB_ERRORS);
		log_debug("committer %d: batch of %zu failed: %s", c->id, njobs,
		    strbuf_str(&c->error));
		if (attempt + 1 >= RETRY_ATTEMPTS)
			break;
		if (rc == TALLY_EUNAVAIL) {
			/*
			 * A connection broken since its last use (a database
			 * restart) fails the first statement; one fresh try
			 * hides that from the clients.  Rows the lost attempt
			 * may have committed come back as duplicates: still
			 * stored, still answered 200.
			 */
			c->connected = false;
			if (attempt == 0 && connect_committer(c)) {
				receiver_metrics_count(RM_DB_RECONNECTS);
				continue;
			}
			break;
		}
		if (rc != TALLY_ERETRY)
			break;
	}
	free_rows(rows, n);
	return rc;
}

/* SELECT 1, reconnecting once at once if the session was lost (a database
 * restart since its last use is not an outage). */
static int
ping(struct committer *c)
{
	PGresult *res = NULL;
	int rc;

	if (!c->connected && !connect_committer(c))
		return TALLY_EUNAVAIL;
	rc = db_query(c->db, &res, "SELECT 1", 0, NULL);
	PQclear(res);
	if (rc != TALLY_EUNAVAIL)
		return rc;
	c->connected = false;
	if (!connect_committer(c))
		return TALLY_EUNAVAIL;
	receiver_metrics_count(RM_DB_RECONNECTS);
	rc = db_query(c->db, &res, "SELECT 1", 0, NULL);
	PQclear(res);
	if (rc == TALLY_EUNAVAIL)
		c->connected = false;
	return rc;
}

static void
finish(struct receiver_job *job, int status, const char *reason)
{
	job->status = status;
	job->reason = reason;
	if (status == 200)
		receiver_metrics_events(job->slot, job->stored, job->duplicates);
	job->done(job);
}

static void
fail_all(struct receiver_job **jobs, size_t n, int status, const char *reason)
{
	for (size_t i = 0; i < n; i++)
		finish(jobs[i], status, reason);
}

static void
run_batch(struct committer *c, struct receiver_job **jobs, size_t njobs)
{
	struct receiver_job **rowjobs, **pings;
	size_t nrow = 0, nping = 0, i;
	int rc = 0;

	rowjobs = xcalloc(njobs, sizeof(*rowjobs));
	pings = xcalloc(njobs, sizeof(*pings));
	for (i = 0; i < njobs; i++) {
		if (jobs[i]->ping)
			pings[nping++] = jobs[i];
		else
			rowjobs[nrow++] = jobs[i];
	}
	/* back-off applies while the database is down; when another
	 * committer has seen it up, reconnect now */
	if (!c->connected && !((httplimit_now() >= c->next_attempt ||
	    atomic_load(&c->st->db_up)) && connect_committer(c))) {
		rc = TALLY_EUNAVAIL;
		fail_all(rowjobs, nrow, 503, "database unavailable");
		goto pings;
	}
	if (nrow > 0) {
		rc = store_jobs(c, rowjobs, nrow);
		if (rc == 0) {
			for (i = 0; i < nrow; i++)
				finish(rowjobs[i], 200, NULL);
		} else if (rc == TALLY_EUNAVAIL) {
			fail_all(rowjobs, nrow, 503, "database unavailable");
		} else if (rc == TALLY_ELOCKED ||
		    strcmp(c->sqlstate, "57014") == 0) {
			/*
			 * Timed out (a lock, a slow disk): one by one would
			 * only wait that long again for every request.  The
			 * requests have had their 503 from the deadline.
			 */
			log_warning("group commit of %zu requests timed out: %s",
			    nrow, strbuf_str(&c->error));
			fail_all(rowjobs, nrow, 503, "database timeout");
		} else {
			/*
			 * Not the connection: possibly one request's data.
			 * Store each on its own so only that one fails.
			 */
			log_warning("group commit of %zu requests failed (%s); "
			    "storing them one by one", nrow, strbuf_str(&c->error));
			for (i = 0; i < nrow; i++) {
				rc = nrow > 1 ? store_jobs(c, &rowjobs[i], 1) : rc;
				if (rc == 0) {
					finish(rowjobs[i], 200, NULL);
				} else if (rc == TALLY_EDATA) {
					log_warning("source %s: event rejected by "
					    "the database: %s", rowjobs[i]->source,
					    strbuf_str(&c->error));
					finish(rowjobs[i], 400,
					    "rejected by the database");
				} else {
					if (rc != TALLY_EUNAVAIL)
						log_err("source %s: cannot store "
						    "event: %s", rowjobs[i]->source,
						    strbuf_str(&c->error));
					finish(rowjobs[i], 503, rc == TALLY_EUNAVAIL ?
					    "database unavailable" :
					    "database error");
				}
			}
		}
	}
pings:
	if (nping > 0 && rc != TALLY_EUNAVAIL && (nrow == 0 || rc != 0))
		rc = ping(c);
	for (i = 0; i < nping; i++)
		finish(pings[i], rc == 0 ? 200 : 503,
		    rc == 0 ? NULL : "database unavailable");
	if (rc == TALLY_EUNAVAIL) {
		c->connected = false;
		set_db_up(c->st, false);
	} else if (c->connected) {
		set_db_up(c->st, true);
	}
	free(rowjobs);
	free(pings);
}

/* While the database is marked down, an idle committer checks it. */
static void
idle_check(struct committer *c)
{
	if (atomic_load(&c->st->db_up))
		return;
	if (!c->connected && httplimit_now() < c->next_attempt)
		return;
	if (ping(c) == 0) {
		set_db_up(c->st, true);
	} else {
		c->connected = false;
		schedule_retry(c);
	}
}

static size_t
take_batch(struct receiver_store *st, struct receiver_job **jobs)
{
	size_t n = 0, rows = 0, bytes = 0;
	struct receiver_job *j;

	while ((j = st->head) != NULL && n < (size_t)st->commit_batch) {
		if (n > 0 && (rows + j->nrows > BATCH_MAX_ROWS ||
		    bytes + j->body_len > BATCH_MAX_BYTES))
			break;
		st->head = j->next;
		if (st->head == NULL)
			st->tail = NULL;
		j->next = NULL;
		jobs[n++] = j;
		rows += j->nrows;
		bytes += j->body_len;
	}
	st->queued -= n;
	receiver_metrics_gauge_set(RM_QUEUE_DEPTH, (long)st->queued);
	return n;
}

static void *
committer_main(void *arg)
{
	struct committer *c = arg;
	struct receiver_store *st = c->st;
	struct receiver_job **jobs = NULL;
	size_t cap = 0, n;
	struct timespec ts;

	for (;;) {
		heartbeat(c);
		idle_check(c);
		pthread_mutex_lock(&st->lock);
		if (st->head == NULL) {
			if (st->stopping) {
				pthread_mutex_unlock(&st->lock);
				break;
			}
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += IDLE_WAIT_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&st->cond, &st->lock, &ts);
			pthread_mutex_unlock(&st->lock);
			continue;
		}
		if (cap < (size_t)st->commit_batch) {
			cap = (size_t)st->commit_batch;
			jobs = xrealloc(jobs, cap * sizeof(*jobs));
		}
		n = take_batch(st, jobs);
		receiver_metrics_gauge_add(RM_COMMITTING, (long)n);
		pthread_mutex_unlock(&st->lock);
		run_batch(c, jobs, n);
		receiver_metrics_gauge_add(RM_COMMITTING, -(long)n);
	}
	free(jobs);
	return NULL;
}

int
receiver_store_start(struct receiver_store **out,
    const struct receiver_store_options *opt)
{
	struct receiver_store *st;
	int i, err;
	bool any = false;

	*out = NULL;
	st = xcalloc(1, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	st->commit_batch = opt->commit_batch > 0 ? opt->commit_batch : 1;
	st->queue_limit = opt->queue_limit > 0 ? opt->queue_limit : 1;
	st->statement_timeout_ms = opt->statement_timeout_ms;
	st->conninfo = opt->conninfo != NULL ? xstrdup(opt->conninfo) : NULL;
	st->ncommitters = opt->committers > 0 ? opt->committers : 1;
	st->committers = xcalloc((size_t)st->ncommitters,
	    sizeof(*st->committers));
	atomic_init(&st->db_up, false);
	receiver_metrics_gauge_set(RM_DB_UP, 0);
	/* connect before answering anything, so a healthy start is ready
	 * at once; a database that is down only delays the first 200 */
	for (i = 0; i < st->ncommitters; i++) {
		struct committer *c = &st->committers[i];

		c->st = st;
		c->id = i + 1;
		heartbeat(c);
		if (connect_committer(c))
			any = true;
	}
	if (any)
		set_db_up(st, true);
	else
		log_warning("database unavailable at start: answering 503 "
		    "until it is up");
	for (i = 0; i < st->ncommitters; i++) {
		err = pthread_create(&st->committers[i].thread, NULL,
		    committer_main, &st->committers[i]);
		if (err != 0) {
			log_err("cannot start a committer thread: %s",
			    strerror(err));
			/* those not started are closed here, the rest by stop */
			for (int j = i; j < st->ncommitters; j++)
				db_free(st->committers[j].db);
			st->ncommitters = i;
			receiver_store_stop(st);
			return TALLY_EINTERNAL;
		}
	}
	*out = st;
	return 0;
}

int
receiver_store_submit(struct receiver_store *st, struct receiver_job *job)
{
	if (!atomic_load(&st->db_up))
		return TALLY_EUNAVAIL;
	pthread_mutex_lock(&st->lock);
	if (st->stopping) {
		pthread_mutex_unlock(&st->lock);
		return TALLY_EUNAVAIL;
	}
	if (st->queued >= (size_t)st->queue_limit) {
		pthread_mutex_unlock(&st->lock);
		return TALLY_EREFUSED;
	}
	job->next = NULL;
	job->queued_at = httplimit_now();
	if (st->tail != NULL)
		st->tail->next = job;
	else
		st->head = job;
	st->tail = job;
	st->queued++;
	receiver_metrics_gauge_set(RM_QUEUE_DEPTH, (long)st->queued);
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->lock);
	return 0;
}

void
receiver_store_set_limits(struct receiver_store *st, long commit_batch,
    long queue_limit)
{
	pthread_mutex_lock(&st->lock);
	st->commit_batch = commit_batch > 0 ? commit_batch : 1;
	st->queue_limit = queue_limit > 0 ? queue_limit : 1;
	pthread_mutex_unlock(&st->lock);
}

bool
receiver_store_db_up(struct receiver_store *st)
{
	return atomic_load(&st->db_up);
}

double
receiver_store_heartbeat(struct receiver_store *st)
{
	long long oldest = LLONG_MAX, v;

	for (int i = 0; i < st->ncommitters; i++) {
		v = atomic_load(&st->committers[i].heartbeat_us);
		if (v < oldest)
			oldest = v;
	}
	return oldest == LLONG_MAX ? httplimit_now() : (double)oldest / 1e6;
}

void
receiver_store_stop(struct receiver_store *st)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&st->lock);
	st->stopping = true;
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->lock);
	for (int i = 0; i < st->ncommitters; i++)
		pthread_join(st->committers[i].thread, NULL);
	for (int i = 0; i < st->ncommitters; i++) {
		db_free(st->committers[i].db);
		strbuf_release(&st->committers[i].error);
	}
	free(st->committers);
	free(st->conninfo);
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->lock);
	free(st);
}
