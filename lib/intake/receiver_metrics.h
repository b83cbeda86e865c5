/*
 * receiver_metrics.h - the receiver's counters, rendered as Prometheus text
 * for GET /metrics.
 *
 * One process-wide set, updated with relaxed atomics from any thread.
 * Per-source series use a slot per source name; slot 0 is the empty name,
 * for requests that matched no source (a label from the URL would let any
 * client create series without bound).  Slots outlive reloads, so counters
 * of a source survive a SIGHUP.
 */
#ifndef TALLY_RECEIVER_METRICS_H
#define TALLY_RECEIVER_METRICS_H

#include <stddef.h>

#include "base/strbuf.h"

#define RECEIVER_METRICS_SLOTS 64

enum receiver_gauge {
	RM_QUEUE_DEPTH,		/* requests waiting for a commit */
	RM_COMMITTING,		/* requests in the commits under way */
	RM_CONNECTIONS,		/* open HTTP connections */
	RM_INFLIGHT,		/* requests being handled */
	RM_DB_UP,		/* 1 when the last database round trip worked */
	RM_BODY_BYTES,		/* bytes of request bodies held */
	RM_NGAUGES
};

enum receiver_counter {
	RM_DEADLINE_CUTS,	/* connections cut at the request deadline */
	RM_DEADLINE_503,	/* requests answered 503 at the deadline */
	RM_OVERLOAD,		/* requests refused: queue full or draining */
	RM_DB_ERRORS,		/* failed commit batches */
	RM_DB_RECONNECTS,	/* successful reconnections */
	RM_RELOADS,		/* configuration reloads that took effect */
	RM_RELOAD_FAILURES,	/* reloads refused (old configuration kept) */
	RM_BODY_BUDGET,		/* requests refused: max_inflight_bytes held */
	RM_FRAMING,		/* requests refused for their framing */
	RM_NCOUNTERS
};

/* The slot for a source name (0 for NULL/""); slot 0 again when all are
 * taken, so a metric is never lost, only folded. */
size_t receiver_metrics_slot(const char *source);

void receiver_metrics_request(size_t slot, int status);
void receiver_metrics_events(size_t slot, unsigned long long stored,
    unsigned long long duplicates);
void receiver_metrics_signature_failure(size_t slot);
/* One group commit: how many requests and rows it carried and how long
 * the database took (seconds). */
void receiver_metrics_commit(size_t requests, size_t rows, double seconds);

void receiver_metrics_gauge_add(enum receiver_gauge g, long delta);
void receiver_metrics_gauge_set(enum receiver_gauge g, long value);
long receiver_metrics_gauge(enum receiver_gauge g);
void receiver_metrics_count(enum receiver_counter c);
unsigned long long receiver_metrics_counter(enum receiver_counter c);

/* Append the Prometheus text exposition of everything to out. */
void receiver_metrics_render(struct strbuf *out);

#endif
