/*
 * normalize.c - raw_events to orders, payments, refunds, disputes, users,
 * usage and credits; set-based SQL, one batch per transaction.  See
 * normalize.h for the contract, sql/011_normalize.sql for what each
 * provider's payload means, and queries/normalize/ for the statements,
 * which this file runs in order.
 *
 * Locking, and why the statements come in this order:
 *   - the orders upsert (orders.sql) locks every order the batch touches,
 *     in (source, provider_ref) order, so two batches touching the same
 *     orders queue instead of deadlocking, and the second sees all the
 *     first stored when it recomputes the status;
 *   - the fulfilment step locks the orders it fulfils as well (allocate.c),
 *     so "a refund arrived" and "the order was fulfilled" are serialised:
 *     whichever commits second sees the other and applies the reversal;
 *   - reversals run after the queue is updated and write the audit rows
 *     last: audit inserts serialise on one advisory lock, held to commit,
 *     so they are taken when every row lock this batch needs is held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/audit.h"
#include "pg/query.h"
#include "base/err.h"
#include "base/log.h"
#include "books/normalize.h"
#include "base/strbuf.h"

/* queries/NAME.sql, without parameters; *n (optional) gets the rows
 * it wrote. */
static int
run(struct db *db, const char *name, long long *n)
{
	return query_command(db, name, n, 0, NULL);
}

int
normalize_setup(struct db *db)
{
	int rc;

	rc = db_simple(db, query_sql("normalize/setup"));
	if (rc != 0)
		log_err("allocate: cannot create work tables: %s", db_errmsg(db));
	return rc;
}

int
normalize_requeue_failed(struct db *db, long long *n)
{
	char cap[16];
	const char *params[1] = { cap };

	snprintf(cap, sizeof(cap), "%d", NORMALIZE_MAX_ATTEMPTS);
	return query_command(db, "normalize/requeue_failed", n, 1, params);
}

/* ---- payment events ---------------------------------------------- */

/* What the batch knows about each order, merged with the order as stored. */
static const char *const merge[] = {
	"normalize/merge_products",
	"normalize/merge_orders",
	"normalize/merge_required",
};

static int
usage_batch(struct db *db, long long signup_grant, struct normalize_stats *st)
{
	char grant[32];
	const char *params[1] = { grant };
	PGresult *res = NULL;
	long long n = 0;
	int rc;

	snprintf(grant, sizeof(grant), "%lld", signup_grant);
	if ((rc = run(db, "normalize/usage_extract", &n)) != 0)
		return rc;
	if (n == 0)
		return 0;
	if ((rc = query_fixed(db, "ANALYZE pg_temp.alloc_usage")) != 0 ||
	    (rc = run(db, "normalize/usage_dates", NULL)) != 0 ||
	    (rc = run(db, "normalize/users_adopt", NULL)) != 0)
		return rc;
	if ((rc = run(db, "normalize/users", &n)) != 0)
		return rc;
	st->users += n;
	if ((rc = run(db, "normalize/user_ids", NULL)) != 0 ||
	    (rc = run(db, "normalize/user_times", NULL)) != 0 ||
	    (rc = query_command(db, "normalize/signup_grant", NULL, 1,
	    params)) != 0)
		return rc;
	if ((rc = run(db, "normalize/models", &n)) != 0)
		return rc;
	st->models_flagged += n;
	if (n > 0)
		log_warning("allocate: %lld unknown model(s) registered inactive and "
		    "flagged (tallyctl model list)", n);
	if ((rc = run(db, "normalize/model_ids", NULL)) != 0 ||
	    (rc = query_rows(db, "normalize/partitions", &res, 0, NULL)) != 0)
		return rc;
	PQclear(res);
	if ((rc = run(db, "normalize/usage_insert", &n)) != 0)
		return rc;
	st->usage += n;
	return run(db, "normalize/usage_debit", NULL);
}

static int
payment_batch(struct db *db, const char *actor, struct normalize_stats *st)
{
	PGresult *res = NULL;
	long long n = 0;
	size_t i;
	int rc;

	if ((rc = run(db, "normalize/extract", &n)) != 0)
		return rc;
	if (n == 0)
		return 0;
	if ((rc = query_fixed(db, "ANALYZE pg_temp.alloc_facts")) != 0 ||
	    (rc = query_ll(db, "normalize/notification_cases", &n, 0,
	    NULL)) != 0)
		return rc;
	st->mismatches += n;
	for (i = 0; i < sizeof(merge) / sizeof(merge[0]); i++)
		if ((rc = run(db, merge[i], NULL)) != 0)
			return rc;
	if ((rc = run(db, "normalize/customers", NULL)) != 0 ||
	    (rc = run(db, "normalize/customer_ids", NULL)) != 0 ||
	    (rc = run(db, "normalize/orders", &n)) != 0 ||
	    (rc = run(db, "normalize/order_ids_new", NULL)) != 0 ||
	    (rc = run(db, "normalize/order_ids_found", NULL)) != 0)
		return rc;
	st->orders += n;
	if ((rc = run(db, "normalize/payments", &n)) != 0)
		return rc;
	st->payments += n;
	if ((rc = run(db, "normalize/refunds", &n)) != 0)
		return rc;
	st->refunds += n;
	if ((rc = run(db, "normalize/disputes", &n)) != 0)
		return rc;
	st->disputes += n;
	if ((rc = run(db, "normalize/lost_disputes", NULL)) != 0 ||
	    (rc = run(db, "normalize/touch_orders", NULL)) != 0 ||
	    (rc = query_fixed(db, "ANALYZE pg_temp.alloc_touched")) != 0 ||
	    (rc = query_rows(db, "normalize/recompute", &res, 0, NULL)) != 0)
		return rc;
	st->orders += db_value_ll(res, 0, 0, 0);
	PQclear(res);
	if ((rc = run(db, "normalize/reversal_orders", &n)) != 0 || n == 0)
		return rc;
	return normalize_apply_reversals(db, actor, st);
}

/*
 * synchronous_commit is off for a batch: everything a batch writes is
 * derived from raw_events, which the receiver committed durably.  A crash
 * can lose the last batches' commits whole (never half of one), and the
 * next run does them again from the events still marked NEW; in exchange
 * a batch does not wait for its WAL flush.
 */
int
normalize_batch(struct db *db, int limit, long long signup_grant,
    const char *actor, bool clear, struct normalize_stats *st,
    long long *claimed)
{
	char lim[16];
	const char *params[1] = { lim };
	PGresult *res = NULL;
	int rc;

	*claimed = 0;
	snprintf(lim, sizeof(lim), "%d", limit);
	if ((rc = query_fixed(db, "SET LOCAL synchronous_commit = off")) != 0)
		return rc;
	if (clear && (rc = run(db, "normalize/clear", NULL)) != 0)
		return rc;
	if ((rc = query_command(db, "normalize/claim", claimed, 1,
	    params)) != 0)
		return rc;
	if (*claimed == 0)
		return 0;
	if ((rc = query_fixed(db, "ANALYZE pg_temp.alloc_claim")) != 0)
		return rc;
	st->events += *claimed;
	/* usage first: a refund's debit in the same batch then sees the
	 * credits already spent when it flags a negative balance */
	if ((rc = usage_batch(db, signup_grant, st)) != 0 ||
	    (rc = payment_batch(db, actor, st)) != 0)
		return rc;
	if ((rc = query_rows(db, "normalize/mark", &res, 0, NULL)) != 0)
		return rc;
	st->done += db_value_ll(res, 0, 0, 0);
	st->failed += db_value_ll(res, 0, 1, 0);
	st->ignored += db_value_ll(res, 0, 2, 0);
	PQclear(res);
	return 0;
}

/* ---- reversals --------------------------------------------------- */

struct audit_row {
	char *id, *reason, *before, *after;
	const char *action, *entity;
};

static void
collect(PGresult *res, const char *action, const char *entity,
    struct audit_row **rows, size_t *n)
{
	int i;

	*rows = xrealloc(*rows, (*n + (size_t)PQntuples(res) + 1) * sizeof(**rows));
	for (i = 0; i < PQntuples(res); i++) {
		struct audit_row *r = &(*rows)[(*n)++];

		r->id = xstrdup(PQgetvalue(res, i, 0));
		r->reason = xstrdup(PQgetvalue(res, i, 1));
		r->before = xstrdup(PQgetvalue(res, i, 2));
		r->after = xstrdup(PQgetvalue(res, i, 3));
		r->action = action;
		r->entity = entity;
	}
}

int
normalize_apply_reversals(struct db *db, const char *actor,
    struct normalize_stats *st)
{
	PGresult *rv = NULL, *dv = NULL, *neg = NULL;
	struct audit_row *rows = NULL;
	struct strbuf ids = STRBUF_INIT;
	const char *params[1];
	size_t n = 0, i;
	int rc, k;

	if ((rc = query_rows(db, "normalize/revoke", &rv, 0, NULL)) != 0)
		goto out;
	if ((rc = query_rows(db, "normalize/debit", &dv, 0, NULL)) != 0)
		goto out;
	collect(rv, "order.refund_revoke", "assignment", &rows, &n);
	collect(dv, "order.refund_debit", "credit_ledger", &rows, &n);
	st->revoked += PQntuples(rv);
	st->debited += PQntuples(dv);
	if (PQntuples(dv) > 0) {
		strbuf_addch(&ids, '{');
		for (k = 0; k < PQntuples(dv); k++)
			strbuf_addf(&ids, "%s%s", k ? "," : "", PQgetvalue(dv, k, 0));
		strbuf_addch(&ids, '}');
		params[0] = ids.buf;
		if ((rc = query_rows(db, "normalize/negative", &neg, 1,
		    params)) != 0)
			goto out;
		if (db_value_ll(neg, 0, 0, 0) > 0) {
			st->negative_balances += db_value_ll(neg, 0, 0, 0);
			log_warning("allocate: %lld user(s) have a negative credit "
			    "balance after a refund or chargeback",
			    db_value_ll(neg, 0, 0, 0));
		}
	}
	for (i = 0; i < n; i++) {
		rc = audit_record(db, actor, rows[i].action, rows[i].entity,
		    rows[i].id, rows[i].reason, rows[i].before, rows[i].after);
		if (rc != 0) {
			if (rc == TALLY_ERETRY)
				log_debug("allocate: audit: %s (will retry)",
				    db_errmsg(db));
			else
				log_err("allocate: audit %s %s: %s", rows[i].action,
				    rows[i].id, db_errmsg(db));
			goto out;
		}
	}
out:
	for (i = 0; i < n; i++) {
		free(rows[i].id);
		free(rows[i].reason);
		free(rows[i].before);
		free(rows[i].after);
	}
	free(rows);
	strbuf_release(&ids);
	PQclear(rv);
	PQclear(dv);
	PQclear(neg);
	return rc;
}
