/*
 * expire.h - tally-expire's work: ACTIVE assignments whose ends_at is at
 * or before as-of become EXPIRED (ended_at = the time of the change, reason
 * "plan ended"); the seat trigger in sql/001_core.sql releases each seat,
 * so an account with room is AVAILABLE again, and a SUSPENDED one stays
 * SUSPENDED.  Then the assignments ending within N days are listed.
 *
 * No audit row per expiry: the audit log records acts of will (an admin,
 * or a refund taking a seat back); an expiry is the scheduled consequence
 * of an ends_at that was itself set by an audited act or by a payment.
 * The assignment row keeps status, ended_at and reason, and the run's
 * job_runs row counts what it expired.
 *
 * Batches of assignments are claimed with FOR UPDATE SKIP LOCKED (one an
 * admin is extending right now is left for the next run), each batch in its
 * own transaction, retried on deadlock.  Idempotent: a second run at the
 * same as-of finds nothing to do.
 */
#ifndef TALLY_EXPIRE_H
#define TALLY_EXPIRE_H

#include <stdbool.h>
#include <stdio.h>

#include "pg/db.h"
#include "pg/jobrun.h"

#define EXPIRE_BATCH_DEFAULT 5000

struct expire_opts {
	const char *as_of;	/* timestamp text; NULL: now() */
	bool dry_run;		/* count and list, change nothing */
	int batch;		/* assignments per transaction (0: default) */
	int ending_soon_days;	/* list assignments ending in (as-of, +N days] */
	FILE *list;		/* where the lists go (NULL: none) */
	int format;		/* enum table_format for the lists */
};

struct expire_stats {
	long long expired;	/* (dry run: would expire) */
	long long ending_soon;
};

/* Returns 0 or a TALLY_E* code (already logged); st is filled either way. */
int expire_run(struct db *db, const struct expire_opts *o,
    struct expire_stats *st);

/* The figures as job_runs counts. */
void expire_report(const struct expire_stats *st, struct jobrun *jr);

#endif
