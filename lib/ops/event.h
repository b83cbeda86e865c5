/*
 * ops/event.h - raw webhook and usage deliveries as stored (the contract
 * is ops/ops.h).
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

#endif
