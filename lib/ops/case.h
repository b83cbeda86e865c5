/*
 * ops/case.h - reconcile's exception cases (sql/030_reconcile.sql): list,
 * show, accept.  The contract is ops/ops.h.
 *
 * Accepting is the admin's "this is fine" (a test payment, a known
 * provider adjustment): the case stops counting as open until the end of
 * the date given in the report time zone (then tally-reconcile reopens it,
 * and audits that) or for good.  A case reconcile no longer finds is
 * closed either way.  Every item: id, category, status, severity, keys,
 * amount (exact decimal; credits for the CREDIT categories), currency,
 * occurred_at, first_seen, last_seen, occurrences, age_days,
 * accepted_until, accepted_by, accepted_note, closed_at (show: details).
 */
#ifndef TALLY_OPS_CASE_H
#define TALLY_OPS_CASE_H

#include <stdbool.h>

#include "ops/ops.h"

#define OPS_CASE_NOTE_MAX 2000	/* bytes: a sentence or two, not a file */

struct ops_case_list_req {
	bool open;		/* only OPEN ones (not closed, not accepted) */
	const char *category;	/* PAID_NOT_FULFILLED, ... (any case) */
	const char *status;	/* OPEN|ACCEPTED|CLOSED (any case); NULL: all */
	const char *severity;	/* info|warning|error; NULL: all */
	struct ops_page page;
};

/* Not closed first, then by category and severity. */
int ops_case_list(struct ops *o, const struct ops_case_list_req *req,
    json_t **out);

struct ops_case_req {
	long long id;
	const char *note;	/* accept: required, why the case is fine */
	const char *until;	/* accept: YYYY-MM-DD, not past; NULL: for good */
};

/* One case, with every detail reconcile recorded about it. */
int ops_case_show(struct ops *o, const struct ops_case_req *req,
    json_t **out);
/* Accept it (again: the note and date are replaced); EREFUSED when
 * closed.  Today is taken in o->cfg's tz (UTC without a config). */
int ops_case_accept(struct ops *o, const struct ops_case_req *req,
    json_t **out);

#endif
