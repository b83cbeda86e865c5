/*
 * normalize.h - turn raw_events into the domain, set-based, one batch per
 * transaction (the first half of tally-allocate; lib/books/allocate.c drives it).
 *
 * A batch claims up to N events with status NEW (FOR UPDATE SKIP LOCKED,
 * oldest id first: concurrent allocators take different events), extracts
 * one fact per event in SQL (sql/011_normalize.sql), stores customers,
 * orders, payments, refunds, disputes, app users, models, usage events and
 * credit debits with upserts, recomputes the status of every order it
 * touched from all stored facts (so arrival order does not matter), keeps
 * the fulfilment queue in step, applies refunds and chargebacks to what was
 * already fulfilled, and marks each event DONE, FAILED (with the reason in
 * raw_events.error) or IGNORED - all in the caller's transaction.
 *
 * Midtrans and Xendit notifications are claimed only once their provider
 * has answered about them (lib/books/confirm.h), and what is stored is the
 * provider's answer laid over the notification.
 *
 * raw_events.status:
 *   NEW      not processed yet (the receiver's insert), or a FAILED event
 *            queued again for another attempt; a Midtrans or Xendit one
 *            also while its provider has not answered about it
 *   DONE     its effects are stored (a duplicate of something already
 *            stored is DONE too: nothing more to do)
 *   FAILED   it could not be understood (error says why); no effects.
 *            Tried again on later runs with a back-off (1, 2, 4, 8, 16
 *            minutes) until attempts reaches NORMALIZE_MAX_ATTEMPTS, then
 *            left for an admin (tallyctl event list --failed)
 *   IGNORED  an event type tally does not act on
 */
#ifndef TALLY_NORMALIZE_H
#define TALLY_NORMALIZE_H

#include <stdbool.h>

#include "pg/db.h"

#define NORMALIZE_MAX_ATTEMPTS 6

struct normalize_stats {
	long long events;	/* claimed */
	long long done, failed, ignored;
	long long orders;	/* orders created or changed */
	long long payments, refunds, disputes;
	long long usage, users, models_flagged;
	long long revoked;	/* assignments revoked by refunds/chargebacks */
	long long debited;	/* credit debits for refunds/chargebacks */
	long long negative_balances;	/* users left below zero by a debit */
	long long mismatches;	/* notifications the provider contradicted
				 * (cases opened) */
};

/* Create the session's temporary work tables (idempotent). */
int normalize_setup(struct db *db);

/*
 * Queue FAILED events whose back-off has passed (and that have attempts
 * left) again: status back to NEW.  *n gets how many.
 */
int normalize_requeue_failed(struct db *db, long long *n);

/*
 * One batch of at most limit events, in the caller's transaction.  actor
 * names the audit rows of revocations and debits ("tally-allocate").
 * clear: empty the work tables first (they are emptied at every commit;
 * a caller running several batches in one transaction sets it).  Adds to
 * st; *claimed gets the number of events claimed (0: none left that no
 * one else holds).
 */
int normalize_batch(struct db *db, int limit, long long signup_grant,
    const char *actor, bool clear, struct normalize_stats *st,
    long long *claimed);

/*
 * Apply refunds and chargebacks to the fulfilled orders listed in
 * pg_temp.alloc_reversal: revoke a seat (full refund, or any chargeback)
 * or debit a share of the credits bought, each with an audit row
 * (order.refund_revoke / order.refund_debit).  Idempotent: what was
 * already applied is not applied again.  Used by normalize_batch() and by
 * the fulfilment step for orders fulfilled after their refund arrived.
 *
 * All functions here log a failed step with the server's message (at
 * debug level for TALLY_ERETRY, which the caller's db_transaction()
 * retries) and return its code.
 */
int normalize_apply_reversals(struct db *db, const char *actor,
    struct normalize_stats *st);

#endif
