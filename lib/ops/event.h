/*
 * ops/event.h - raw webhook and usage deliveries as stored (the contract
 * is ops/ops.h): list them, and put failed ones back for another try.
 */
#ifndef TALLY_OPS_EVENT_H
#define TALLY_OPS_EVENT_H

#include <stdbool.h>

#include "ops/ops.h"

struct ops_event_list_req {
	/* those the allocator could not understand, with the reason */
	bool failed;
	const char *status;	/* NEW, DONE, FAILED (any case); NULL: all */
	const char *source;	/* the configured source name */
	struct ops_page page;
};

/* Newest first: id, source, event_key, type, received_at, status,
 * attempts, processed_at, error. */
int ops_event_list(struct ops *o, const struct ops_event_list_req *req,
    json_t **out);

#define OPS_EVENT_REASON_MAX 2000	/* bytes */

/* Exactly one of id and failed. */
struct ops_event_retry_req {
	long long id;		/* one event; 0: not given */
	bool failed;		/* every FAILED event ... */
	const char *source;	/* ... of this source only (with failed) */
	const char *reason;	/* optional: what was fixed */
};

/*
 * Put FAILED events back to NEW with attempts 0, for a failure whose
 * cause is fixed (the provider knows the transaction now, a bug was
 * fixed): the next tally-allocate processes them again as if new, with
 * its automatic retries (1, 2, 4, ... minutes apart) counted afresh.  A
 * Midtrans or Xendit notification is asked about again at its provider
 * first (its last answer is older than its last processing: queries/
 * confirm/due.sql), so a retry never acts on a stale answer.  Only the
 * columns a delivery's processing owns change (status, attempts); what
 * was received stays as it was, and error keeps the last failure until
 * the event is processed again.
 *
 * Audited as event.retry, one row per event (as account.import audits
 * each account): an event's audit trail is found by its id, and each row
 * has that event's status, attempts and error before and after.
 *
 * Refused: id of no event (ENOTFOUND); an event that is not FAILED
 * (ECONFLICT: NEW is waiting already, DONE and IGNORED are done).  With
 * failed, no FAILED event is no error: the answer has no items.
 *
 * Answer: {"items": [{id, source, event_key, type, received_at, status,
 * attempts, processed_at, error}, ...] by id, "columns", "total",
 * "dry_run"}.
 */
int ops_event_retry(struct ops *o, const struct ops_event_retry_req *req,
    json_t **out);

#endif
