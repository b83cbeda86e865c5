/*
 * allocate.h - tally-allocate's work: normalise new raw events
 * (lib/books/normalize.h), then fulfil paid orders: a seat plan gets an ACTIVE
 * assignment on an account with room (the policy in lib/books/seats.h), a
 * credit package a PURCHASE grant in credit_ledger, each order exactly
 * once.  Refunds and chargebacks of fulfilled orders are applied as they
 * arrive (revoke the seat / debit the credits, audited).
 *
 * Nothing is given before the payment is checked against the product:
 * paid in another currency or below the product's lowest accepted price
 * (min_price_minor, else price_minor), naming a sku that is no product,
 * or paid for a product after it was deactivated, the order is HELD and a
 * case opens (UNDERPAID, CURRENCY_MISMATCH, UNKNOWN_PRODUCT,
 * PRODUCT_INACTIVE); paid more than the price, it is fulfilled and a case
 * OVERPAID opens.  Midtrans and Xendit notifications are acted on only as
 * their provider's status API confirms them (lib/books/confirm.h), asked
 * at the start of each run.  A held order waits for an admin (tallyctl
 * order approve: it is then fulfilled as it is, by the next run) or for
 * its reason to go: each run releases the held orders whose reason is
 * gone (the product added, reactivated, or repriced to accept the
 * payment) and checks them again.
 *
 * Safe to run as several processes at once, with admins acting at the
 * same time: events, queued orders and candidate accounts are claimed with
 * FOR UPDATE SKIP LOCKED; fulfilments.order_id unique and the pool's
 * seats_not_oversubscribed check are the final guards.  Every batch is one
 * transaction, retried on deadlock or serialization failure, so a crash
 * leaves no half-done work and a rerun changes nothing that is done.
 */
#ifndef TALLY_ALLOCATE_H
#define TALLY_ALLOCATE_H

#include <stdbool.h>

#include "base/config.h"
#include "pg/db.h"
#include "pg/jobrun.h"
#include "books/confirm.h"
#include "books/normalize.h"

#define ALLOCATE_BATCH_DEFAULT 2000
#define ALLOCATE_ACTOR "tally-allocate"
/* Workers when not told: one more than the CPUs (the database does the
 * work, one server process per connection; while one waits for a round
 * trip or a commit another computes), at least 2, at most 8. */
int allocate_default_jobs(void);

struct allocate_opts {
	/* The instant taken as "now" for assignment starts and the SLA
	 * (a timestamp text; NULL: the transaction's now()). */
	const char *as_of;
	/* Do everything in one transaction and roll it back. */
	bool dry_run;
	/* Events, and orders, per transaction (0: the default). */
	int batch;
	/* Credits granted on user.registered (config signup_grant). */
	long long signup_grant;
	/* An order paid at most this long before its seat is found starts
	 * at paid_at; one that waited longer (no room) starts when the seat
	 * is given, so the customer gets the whole plan (config
	 * fulfil_sla_minutes). */
	long fulfil_sla_minutes;
	/* Audit actor of revocations and debits (NULL: ALLOCATE_ACTOR). */
	const char *actor;
	/* Workers: the caller's connection plus jobs - 1 more, opened with
	 * conninfo (NULL: as db_connect()) and role; 0 or 1: one.  They
	 * share the work exactly as separate allocator processes do. */
	int jobs;
	const char *conninfo;
	const char *role;
	/* The configuration: its Midtrans and Xendit sources' status_url and
	 * api_key_file (lib/books/confirm.h).  NULL: none, and notifications
	 * of those schemes wait unconfirmed. */
	const struct config *cfg;
};

struct allocate_stats {
	struct normalize_stats ev;
	struct confirm_stats confirm;	/* providers asked about notifications */
	long long requeued;		/* FAILED events queued for another try */
	long long seats;		/* seat orders fulfilled */
	long long credits;		/* credit orders fulfilled */
	long long no_room;		/* seat orders left this run: no free seat */
	long long blocked;		/* orders that cannot be fulfilled as they
					 * are (no product, no customer) */
	long long contended;		/* times every free account was held by
					 * another transaction (retried) */
	long long held;			/* orders held: their payment is wrong for
					 * their product (sql/041_held_orders.sql) */
	long long overpaid;		/* orders fulfilled that paid more than
					 * the price (each a case) */
	long long released;		/* held orders whose sku names a product
					 * now, queued again */
	long long unfulfilled;		/* after the run: paid orders waiting that
					 * an allocator tried and could not fulfil */
	long long waiting;		/* after the run: all queued orders */
	long long held_total;		/* after the run: orders HELD */
};

/*
 * Run until no new event and no fulfillable order is left.  Returns 0,
 * TALLY_EPROBLEMS when paid orders remain unfulfilled or held (exit 1), or
 * the TALLY_E* code of a failure (already logged).  st is filled either
 * way.
 */
int allocate_run(struct db *db, const struct allocate_opts *o,
    struct allocate_stats *st);

/* The figures as job_runs counts. */
void allocate_report(const struct allocate_stats *st, struct jobrun *jr);

#endif
