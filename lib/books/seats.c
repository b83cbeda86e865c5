#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "books/seats.h"
#include "pg/query.h"

#define SEATS_MAX_DAYS 36500

/*
 * Take order_id out of the fulfilment queue and lock it.  The DELETE waits
 * while an allocator holds the queue entry (it is fulfilling the order
 * right now); once that allocator commits, the fulfilments row it wrote is
 * visible to the next statement, and the order is refused as already
 * fulfilled.  Deleting first also keeps allocators from starting on it.
 */
static int
claim_order(struct db *db, const char *order)
{
	const char *params[1] = { order };
	PGresult *res = NULL;
	const char *kind;
	int rc;

	rc = db_command(db, NULL,
	    "DELETE FROM fulfil_queue WHERE order_id = $1::bigint", 1, params);
	if (rc != 0)
		return rc;
	rc = db_query(db, &res,
	    query_sql("seats/order_lock"), 1, params);
	if (rc != 0)
		return rc;
	if (PQntuples(res) == 0)
		rc = TALLY_ENOTFOUND;
	else if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		rc = TALLY_ECONFLICT;
	else if ((kind = db_value(res, 0, 0)) != NULL &&
	    strcmp(kind, "SEAT") != 0)
		rc = TALLY_EREFUSED;
	PQclear(res);
	if (rc != 0)
		log_debug("seats: order %s: %s", order, tally_strerror(rc));
	return rc;
}

static int
lock_named_account(struct db *db, const char *account)
{
	const char *params[1] = { account };
	PGresult *res = NULL;
	int rc;

	rc = db_query(db, &res,
	    query_sql("seats/account_lock"),
	    1, params);
	if (rc != 0)
		return rc;
	if (PQntuples(res) == 0)
		rc = TALLY_ENOTFOUND;
	else if (strcmp(PQgetvalue(res, 0, 0), "SUSPENDED") == 0 ||
	    db_value_ll(res, 0, 1, 0) <= 0)
		rc = TALLY_EREFUSED;
	PQclear(res);
	if (rc != 0)
		log_debug("seats: account %s: %s", account, tally_strerror(rc));
	return rc;
}

/*
 * Accounts are locked FOR NO KEY UPDATE, the lock the seat trigger's
 * UPDATE takes: FOR UPDATE would also conflict with the KEY SHARE locks of
 * other transactions' foreign-key checks on the account.
 *
 * The policy's first account with room, locked.  SKIP LOCKED first, so an
 * admin does not wait behind allocators busy on other accounts; when every
 * account with room is locked, wait for the first in policy order (a lock
 * is held for one short transaction) instead of refusing while there is
 * room.  The same ORDER BY as tally_pick_seats().
 */
static int
pick_account(struct db *db, char **account)
{
	int rc;

	*account = NULL;
	rc = db_query_value(db, account,
	    "SELECT (SELECT account_id FROM tally_pick_seats(1) LIMIT 1)",
	    0, NULL);
	if (rc != 0 || *account != NULL)
		return rc;
	rc = db_query_value(db, account,
	    query_sql("seats/account_wait"), 0, NULL);
	if (rc == 0 && *account == NULL) {
		log_debug("seats: no account has a free seat");
		rc = TALLY_EREFUSED;
	}
	return rc;
}

int
seats_assign(struct db *db, long long account_id, long long customer_id,
    long long order_id, const char *starts_at, int days,
    long long *assignment_id)
{
	char acc[32], cust[32], ord[32], ndays[16];
	char *picked = NULL, *id = NULL, *found = NULL;
	const char *params[5];
	int rc;

	if (assignment_id != NULL)
		*assignment_id = 0;
	if (days < 1 || days > SEATS_MAX_DAYS)
		return TALLY_EUSAGE;
	snprintf(cust, sizeof(cust), "%lld", customer_id);
	snprintf(ord, sizeof(ord), "%lld", order_id);
	snprintf(ndays, sizeof(ndays), "%d", days);

	if (order_id != 0 && (rc = claim_order(db, ord)) != 0)
		goto out;
	params[0] = cust;
	rc = db_query_value(db, &found,
	    "SELECT (SELECT id FROM customers WHERE id = $1::bigint)", 1, params);
	if (rc != 0)
		goto out;
	if (found == NULL) {
		rc = TALLY_ENOTFOUND;
		goto out;
	}
	if (account_id != 0) {
		snprintf(acc, sizeof(acc), "%lld", account_id);
		rc = lock_named_account(db, acc);
	} else {
		rc = pick_account(db, &picked);
		if (rc == 0)
			snprintf(acc, sizeof(acc), "%s", picked);
	}
	if (rc != 0)
		goto out;

	params[0] = acc;
	params[1] = cust;
	params[2] = order_id != 0 ? ord : NULL;
	params[3] = starts_at;
	params[4] = ndays;
	rc = db_query_value(db, &id,
	    query_sql("seats/assign"), 5, params);
	if (rc != 0)
		goto out;
	if (order_id != 0) {
		params[0] = ord;
		params[1] = id;
		rc = db_command(db, NULL,
		    "INSERT INTO fulfilments (order_id, kind, assignment_id)"
		    " VALUES ($1::bigint, 'SEAT', $2::bigint)", 2, params);
		if (rc != 0)
			goto out;
	}
	if (assignment_id != NULL && id != NULL)
		*assignment_id = strtoll(id, NULL, 10);
out:
	free(picked);
	free(id);
	free(found);
	return rc;
}

int
seats_free_total(struct db *db, long long *free_seats)
{
	char *v = NULL;
	int rc;

	*free_seats = 0;
	rc = db_query_value(db, &v, "SELECT tally_free_seats()", 0, NULL);
	if (rc == 0 && v != NULL)
		*free_seats = strtoll(v, NULL, 10);
	free(v);
	return rc;
}
