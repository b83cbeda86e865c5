/*
 * receiver_store.h - group commit of received events into raw_events.
 *
 * Requests from every HTTP thread are queued; committer threads (one
 * PostgreSQL connection each, role tally_receiver) take up to commit_batch
 * of them at a time and store all their rows with one multi-row
 * INSERT ... ON CONFLICT (source, event_key) DO NOTHING RETURNING, in one
 * transaction: one WAL flush for the whole batch.  Each request is then
 * told its own outcome (stored / duplicate / failed) through its callback,
 * only after the COMMIT returned, so nothing is acknowledged before it is
 * durable.  If the batch fails, no request in it has been told anything
 * yet: each is answered 503 (database unavailable), or, for an error that
 * one bad row could cause, the requests are stored one by one so only the
 * bad one fails.
 *
 * Database down: requests are refused at once (TALLY_EUNAVAIL from submit)
 * while committers reconnect in the background.
 */
#ifndef TALLY_RECEIVER_STORE_H
#define TALLY_RECEIVER_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "intake/receiver_parse.h"

struct receiver_store;

struct receiver_job {
	/* in: what to store (the caller keeps all of it alive until done) */
	const char *source;
	const char *scheme;
	const char *content_type;
	const char *body;	/* NUL-terminated; rows point into it */
	size_t body_len;
	const struct receiver_row *rows;
	size_t nrows;
	size_t slot;		/* metrics slot of the source */
	bool ping;		/* no rows: only prove the database answers */

	/* out, valid in done() */
	int status;		/* 200, 400 or 503 */
	const char *reason;	/* static text for a failure */
	size_t stored;
	size_t duplicates;

	/*
	 * Called once, from a committer thread (or from submit's caller on
	 * refusal, never: submit returns the error instead).  After done()
	 * returns the store never touches the job again.
	 */
	void (*done)(struct receiver_job *job);

	/* private to the store */
	struct receiver_job *next;
	double queued_at;
};

struct receiver_store_options {
	int committers;		/* threads, each with its own connection */
	long commit_batch;	/* most requests per commit */
	long queue_limit;	/* most requests waiting */
	long statement_timeout_ms;
	const char *conninfo;	/* NULL: TALLY_DATABASE_URL / embedded */
};

/* Start the committers (connecting in the background if the database is
 * down: the store starts anyway and answers 503 until it is up). */
int receiver_store_start(struct receiver_store **out,
    const struct receiver_store_options *opt);

/*
 * Queue a job: 0, TALLY_EREFUSED (queue full) or TALLY_EUNAVAIL (the
 * database is known to be down, or the store is stopping).  On error
 * done() is not called.
 */
int receiver_store_submit(struct receiver_store *st, struct receiver_job *job);

/* New limits after a reload. */
void receiver_store_set_limits(struct receiver_store *st, long commit_batch,
    long queue_limit);

/* True while the last database round trip worked. */
bool receiver_store_db_up(struct receiver_store *st);

/* Monotonic seconds of the oldest committer heartbeat (for the watchdog:
 * a committer updates it every loop and while it waits). */
double receiver_store_heartbeat(struct receiver_store *st);

/* Stop accepting, commit everything queued, join the committers, free. */
void receiver_store_stop(struct receiver_store *st);

#endif
