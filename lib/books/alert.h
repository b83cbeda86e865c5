/*
 * alert.h - edge-triggered alerts to a chat webhook (config alert_url).
 *
 * Conditions (evaluated by tally-allocate and tally-expire after each run):
 *   seats_low            free seats in the pool < alert_seat_threshold
 *   orders_unfulfilled   paid orders an allocator tried and could not
 *                        fulfil (no free seat, no product, no e-mail)
 *   orders_held          paid orders HELD for an admin: paid too little,
 *                        in another currency, or for an unknown sku
 *                        (lib/books/allocate.h)
 *   accounts_suspended   >= alert_suspensions accounts suspended by admins
 *                        (audit action account.suspend) in the 24 hours
 *                        before as-of
 *   job_failed:PROGRAM   the latest finished run of PROGRAM in job_runs
 *                        is FAILED
 * State lives in the `alerts` table (sql/010_allocate.sql): a condition
 * that becomes true is "raised" once, one that becomes false "resolved"
 * once; reruns while nothing changes send nothing.  Several evaluators at
 * once agree through the row lock on each alert.
 *
 * Delivery: an HTTP POST of a JSON object ({"text": "...", "alert": KEY,
 * "state": "raised"|"resolved", "summary", "details", "raised_at",
 * "resolved_at", "host", "program"}) with 5 s timeouts; "text" is what
 * Slack/Mattermost-style webhooks show.  A failed delivery is logged and
 * stays pending for the next run; it never fails the batch.  Without
 * alert_url, alerts are only logged.  The URL is never logged (chat
 * webhook URLs carry their secret).
 */
#ifndef TALLY_ALERT_H
#define TALLY_ALERT_H

#include <stdbool.h>

#include "base/config.h"
#include "pg/db.h"

struct alert_opts {
	const char *url;		/* NULL or "": log only */
	long seat_threshold;		/* config alert_seat_threshold */
	long suspensions;		/* config alert_suspensions */
	const char *as_of;		/* NULL: now() */
	const char *program;		/* who evaluates, for the payload */
	long timeout;			/* seconds, 0: 5 */
};

struct alert_result {
	int raised;			/* edges recorded by this evaluation */
	int resolved;
	int active;			/* conditions active after it */
	int sent;			/* deliveries that succeeded */
	int failed;			/* deliveries that failed (kept pending) */
};

/*
 * Evaluate every condition and record the edges, in one transaction of
 * its own; edges are logged (warning when raised, notice when resolved).
 */
int alert_check(struct db *db, const struct alert_opts *o,
    struct alert_result *r);

/*
 * Set one condition (key, summary, details as a JSON object text or NULL)
 * in the caller's transaction; *edge (optional) is 1 when this changed the
 * state.  alert_check() uses it for nothing custom; programs with their
 * own conditions may.
 */
int alert_set(struct db *db, const char *key, bool active,
    const char *summary, const char *details_json, const char *program,
    int *edge);

/* POST every pending alert; never fails because a delivery failed. */
int alert_deliver(struct db *db, const struct alert_opts *o,
    struct alert_result *r);

/* alert_check() then alert_deliver(); problems are logged, the return
 * value is only for tests (a batch program ignores it). */
int alert_run(struct db *db, const struct alert_opts *o,
    struct alert_result *r);

/*
 * What a batch program calls after finishing its job_runs row: alert_run()
 * with the configured URL and thresholds.  Never fails the program.
 */
void alert_after_run(struct db *db, const struct config *cfg,
    const char *program, const char *as_of);

#endif
