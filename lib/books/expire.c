#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "books/expire.h"
#include "base/log.h"
#include "out/table.h"

#define TX_ATTEMPTS 8

/*
 * Oldest ends_at first (the partial index assignments_ends_active), so a
 * run cut short has released the longest-overdue seats.  The UPDATE
 * re-checks status on the current row: an assignment revoked meanwhile is
 * left alone.
 */
static const char sql_expire[] =
    "WITH x AS ("
    "  SELECT id FROM assignments"
    "  WHERE status = 'ACTIVE' AND ends_at <= coalesce($1::timestamptz, now())"
    "  ORDER BY ends_at, id LIMIT $2::integer FOR UPDATE SKIP LOCKED),"
    " u AS ("
    "  UPDATE assignments a SET status = 'EXPIRED', ended_at = now(),"
    "   updated_at = now(), reason = 'plan ended'"
    "  FROM x WHERE a.id = x.id AND a.status = 'ACTIVE' RETURNING a.id)"
    " SELECT count(*) FROM u";

static const char sql_would_expire[] =
    "SELECT count(*) FROM assignments"
    " WHERE status = 'ACTIVE' AND ends_at <= coalesce($1::timestamptz, now())";

static const char sql_ending_soon[] =
    "SELECT a.id AS assignment, acc.email AS account, c.email AS customer,"
    " a.order_id AS \"order\", a.starts_at, a.ends_at"
    " FROM assignments a"
    " JOIN pool_accounts acc ON acc.id = a.account_id"
    " JOIN customers c ON c.id = a.customer_id"
    " WHERE a.status = 'ACTIVE'"
    " AND a.ends_at > coalesce($1::timestamptz, now())"
    " AND a.ends_at <= coalesce($1::timestamptz, now())"
    "  + make_interval(days => $2::integer)"
    " ORDER BY a.ends_at, a.id";

struct batch {
	const struct expire_opts *o;
	const char *limit;
	long long n;
};

static int
expire_batch(struct db *db, void *arg)
{
	struct batch *b = arg;
	const char *params[2] = { b->o->as_of, b->limit };
	char *v = NULL;
	int rc;

	b->n = 0;
	rc = db_query_value(db, &v, sql_expire, 2, params);
	if (rc == 0 && v != NULL)
		b->n = strtoll(v, NULL, 10);
	free(v);
	return rc;
}

static int
list_ending_soon(struct db *db, const struct expire_opts *o,
    struct expire_stats *st)
{
	char days[16];
	const char *params[2];
	PGresult *res = NULL;
	int rc;

	snprintf(days, sizeof(days), "%d", o->ending_soon_days);
	params[0] = o->as_of;
	params[1] = days;
	rc = db_query(db, &res, sql_ending_soon, 2, params);
	if (rc != 0) {
		log_err("expire: list ending soon: %s", db_errmsg(db));
		return rc;
	}
	st->ending_soon = PQntuples(res);
	if (o->list != NULL) {
		rc = table_write_result(res, o->list, (enum table_format)o->format);
		if (rc == 0 && fflush(o->list) != 0)
			rc = TALLY_EIO;
		if (rc != 0)
			log_err("expire: cannot write the ending-soon list");
	}
	PQclear(res);
	return rc;
}

int
expire_run(struct db *db, const struct expire_opts *o, struct expire_stats *st)
{
	struct batch b;
	struct progress p;
	char limit[16], *v = NULL;
	const char *params[1] = { o->as_of };
	long long due = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = db_query_value(db, &v, sql_would_expire, 1, params);
	if (rc != 0) {
		log_err("expire: %s", db_errmsg(db));
		return rc;
	}
	due = v != NULL ? strtoll(v, NULL, 10) : 0;
	free(v);
	if (o->dry_run) {
		st->expired = due;
		log_info("expire: dry run: would expire %lld assignment(s)", due);
	} else {
		snprintf(limit, sizeof(limit), "%d",
		    o->batch > 0 ? o->batch : EXPIRE_BATCH_DEFAULT);
		b.o = o;
		b.limit = limit;
		progress_start(&p, "expired", (unsigned long long)due);
		do {
			rc = db_transaction(db, DB_READ_COMMITTED, TX_ATTEMPTS,
			    expire_batch, &b);
			if (rc != 0) {
				log_err("expire: %s", db_errmsg(db));
				break;
			}
			st->expired += b.n;
			progress_update(&p, (unsigned long long)st->expired);
		} while (b.n > 0);
		progress_done(&p);
		if (rc != 0)
			return rc;
	}
	if (o->ending_soon_days > 0)
		rc = list_ending_soon(db, o, st);
	return rc;
}

void
expire_report(const struct expire_stats *st, struct jobrun *jr)
{
	jobrun_count(jr, "expired", st->expired);
	jobrun_count(jr, "ending_soon", st->ending_soon);
}
