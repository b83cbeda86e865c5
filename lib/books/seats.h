/*
 * seats.h - giving a customer a seat on a pool account, for admins
 * (tallyctl assignment assign) and the same policy tally-allocate uses.
 *
 * Policy when no account is named (tally_pick_seats in
 * sql/010_allocate.sql): partly used multi-seat accounts first, fewest free
 * seats first; then empty multi-seat accounts, smallest first; then
 * single-user accounts; ties by id.  Candidates are locked with FOR NO KEY UPDATE
 * SKIP LOCKED so concurrent allocators do not queue behind each other; if
 * every account with room is locked by someone else, seats_assign() waits
 * for the first one rather than refusing.  The database's
 * seats_not_oversubscribed check is the final guard.
 *
 * Both functions run inside the caller's transaction (db_begin() ..
 * db_commit(), or ops_change()) and record no audit row: the caller
 * audits with its own actor and reason (assignment.assign).
 */
#ifndef TALLY_SEATS_H
#define TALLY_SEATS_H

#include "pg/db.h"

/*
 * Create an ACTIVE assignment of customer_id on account_id (0: choose by
 * the policy above), from starts_at (an ISO 8601 / PostgreSQL timestamp;
 * NULL: now()) for days days (1..36500).  With order_id (0: none) the
 * assignment fulfils that order: the order leaves the fulfilment queue and
 * a fulfilments row is written, so tally-allocate will not fulfil it again.
 * *assignment_id (optional) gets the new id.
 *
 * Returns 0, or
 *   TALLY_ENOTFOUND  no such account, customer or order
 *   TALLY_EREFUSED   the account is suspended or full, no account has
 *                    room, or the order is for a credit package
 *   TALLY_ECONFLICT  the order is already fulfilled
 *   TALLY_EUSAGE     days out of range
 *   TALLY_EDATA      starts_at is not a timestamp
 *   TALLY_ERETRY     deadlock / serialization failure: run the whole
 *                    transaction again (db_transaction() does)
 *   other TALLY_E*   database errors (db_errmsg(db) has the detail)
 * After an error the transaction must be rolled back.
 */
int seats_assign(struct db *db, long long account_id, long long customer_id,
    long long order_id, const char *starts_at, int days,
    long long *assignment_id);

/* Free seats in the pool (room on accounts that are not suspended). */
int seats_free_total(struct db *db, long long *free_seats);

#endif
