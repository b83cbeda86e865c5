/*
 * reconcile_find.c - what each exception category means, in SQL: one
 * statement each, queries/reconcile/find_*.sql, run here on the primary
 * or on a standby.
 *
 * The three sides compared: our records (orders, payments, refunds,
 * disputes, fulfilments, assignments, the credit ledger, the pool), the
 * provider's settlement rows (settlement_rows, matched to our payments at
 * load, lib/books/settlement.c) and the image service's balances
 * (credits.balance events, or a file in rc_balances).  Every statement
 * is set-based: a million payments cost a few hash joins, not a million
 * queries.
 *
 * Time: p_from/p_to is the run's period, as_of the instant it describes;
 * rows dated after as_of are left out where a date exists, so a rerun at
 * the same as-of finds the same problems in data that has not changed
 * since; "in the period" is p_from <= t < p_to and t <= as_of.
 * Tolerances: tolerance (minor units, config amount_tolerance),
 * grace_days (config settlement_grace_days), sla_minutes (config
 * fulfil_sla_minutes: allocate's time to act), stuck_minutes (expire's).
 */
#include <stdlib.h>

#include "base/err.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "books/reconcile_find.h"
#include "pg/query.h"

const struct reconcile_finder reconcile_finders[] = {
	{ "PAID_NOT_FULFILLED", "reconcile/find_paid_not_fulfilled" },
	{ "FULFILLED_NOT_PAID", "reconcile/find_fulfilled_not_paid" },
	{ "MISSING_IN_SETTLEMENT", "reconcile/find_missing_in_settlement" },
	{ "MISSING_WEBHOOK", "reconcile/find_missing_webhook" },
	{ "AMOUNT_MISMATCH, CURRENCY_MISMATCH",
	  "reconcile/find_amount_currency_mismatch" },
	{ "NET_INCONSISTENT", "reconcile/find_net_inconsistent" },
	{ "PAYOUT_TOTAL_MISMATCH", "reconcile/find_payout_total_mismatch" },
	{ "DUPLICATE_CHARGE", "reconcile/find_duplicate_charge" },
	{ "DUPLICATE_FULFILLMENT", "reconcile/find_duplicate_fulfillment" },
	{ "REFUND_NOT_REFLECTED", "reconcile/find_refund_not_reflected" },
	{ "DISPUTE_OPEN", "reconcile/find_dispute_open" },
	{ "UNEXPLAINED_ADJUSTMENT", "reconcile/find_unexplained_adjustment" },
	{ "SEAT_COUNTER_DRIFT", "reconcile/find_seat_counter_drift" },
	{ "STUCK_ASSIGNED", "reconcile/find_stuck_assigned" },
	{ "SEATS_OVERSUBSCRIBED", "reconcile/find_seats_oversubscribed" },
	{ "CREDITS_OVERDRAWN", "reconcile/find_credits_overdrawn" },
	{ "CREDIT_BALANCE_MISMATCH", "reconcile/find_credit_balance_mismatch" },
	{ "UNPROCESSABLE_EVENT", "reconcile/find_unprocessable_event" },
	{ "UNDERPAID, CURRENCY_MISMATCH, UNKNOWN_PRODUCT, PRODUCT_INACTIVE",
	  "reconcile/find_held_orders" },
	{ "OVERPAID", "reconcile/find_overpaid" },
	{ "NOTIFICATION_MISMATCH", "reconcile/find_notification_mismatch" },
};

const size_t reconcile_nfinders =
    sizeof(reconcile_finders) / sizeof(reconcile_finders[0]);

/* On a standby, the run's temporary tables are CTEs of the same names:
 * $1..$9 rc_params, $10/$11 rc_src, $12/$13 rc_balances. */
#define THERE_WITH \
	"WITH rc_params AS (" RECONCILE_PARAMS_SQL ")," \
	" rc_src AS (SELECT * FROM unnest($10::text[], $11::text[])" \
	"   AS s(source, scheme))," \
	" rc_balances AS (SELECT * FROM unnest($12::text[], $13::bigint[])" \
	"   AS b(ext, balance))" \
	" SELECT * FROM ("
#define THERE_NPARAMS (RECONCILE_NPARAMS + 4)

/*
 * Every finder into db's rc_found: run on db itself (read NULL), or on
 * read with params and its rows streamed to db.  Logs a failure.
 */
static int
find_each(struct db *db, struct db *read, const char **params)
{
	struct strbuf sql = STRBUF_INIT;
	long long n;
	double t;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < reconcile_nfinders; i++) {
		t = log_clock();
		strbuf_reset(&sql);
		if (read == NULL) {
			strbuf_addstr(&sql, "INSERT INTO rc_found ("
			    RECONCILE_FOUND_COLUMNS ") ");
			strbuf_addstr(&sql, query_sql(reconcile_finders[i].query));
			rc = db_command(db, &n, sql.buf, 0, NULL);
		} else {
			strbuf_addstr(&sql, THERE_WITH);
			strbuf_addstr(&sql, query_sql(reconcile_finders[i].query));
			strbuf_addstr(&sql, ") f");
			rc = db_copy_rows(read, sql.buf, THERE_NPARAMS, params,
			    db, "COPY rc_found (" RECONCILE_FOUND_COLUMNS ")"
			    " FROM STDIN", &n);
		}
		if (rc != 0 && rc != TALLY_ERETRY)
			log_err("reconcile: finding %s: %s",
			    reconcile_finders[i].category, db_errmsg(db));
		/* TALLY_DEBUG=1 shows where a slow run spends its time */
		else if (rc == 0)
			log_debug("%s: %lld rows in %.3f s%s",
			    reconcile_finders[i].category, n, log_clock() - t,
			    read != NULL ? " (read database)" : "");
	}
	strbuf_release(&sql);
	return rc;
}

int
reconcile_find_here(struct db *db)
{
	return find_each(db, NULL, NULL);
}

/* rc_src and rc_balances as array literals, for the standby. */
static int
there_arrays(struct db *db, char *arrays[4])
{
	PGresult *res = NULL;
	int rc;

	rc = db_query(db, &res,
	    "SELECT (SELECT coalesce(array_agg(source ORDER BY source), '{}')"
	    "          FROM rc_src)::text,"
	    "       (SELECT coalesce(array_agg(scheme ORDER BY source), '{}')"
	    "          FROM rc_src)::text,"
	    "       (SELECT coalesce(array_agg(ext ORDER BY line), '{}')"
	    "          FROM rc_balances)::text,"
	    "       (SELECT coalesce(array_agg(balance ORDER BY line), '{}')"
	    "          FROM rc_balances)::text", 0, NULL);
	if (rc != 0) {
		log_err("reconcile: reading the run's sources and balances: %s",
		    db_errmsg(db));
		return rc;
	}
	for (int i = 0; i < 4; i++)
		arrays[i] = xstrdup(PQgetvalue(res, 0, i));
	PQclear(res);
	return 0;
}

int
reconcile_find_there(struct db *db, struct db *read,
    const char *const params[RECONCILE_NPARAMS])
{
	char *arrays[4] = { NULL, NULL, NULL, NULL };
	const char *all[THERE_NPARAMS];
	int rc;

	if ((rc = there_arrays(db, arrays)) != 0)
		return rc;
	for (int i = 0; i < RECONCILE_NPARAMS; i++)
		all[i] = params[i];
	for (int i = 0; i < 4; i++)
		all[RECONCILE_NPARAMS + i] = arrays[i];
	/* one snapshot for every category; timestamps travel as ISO text */
	rc = db_begin(read, DB_REPEATABLE_READ_RO);
	if (rc == 0)
		rc = db_simple(read, "SET LOCAL DateStyle = 'ISO, YMD'");
	if (rc != 0)
		log_err("reconcile: the read database: %s", db_errmsg(read));
	else
		rc = find_each(db, read, all);
	if (rc == 0 && (rc = db_commit(read)) != 0)
		log_err("reconcile: the read database: %s", db_errmsg(read));
	if (rc != 0)
		db_rollback(read);
	for (int i = 0; i < 4; i++)
		free(arrays[i]);
	return rc;
}
