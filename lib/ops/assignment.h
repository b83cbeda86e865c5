/*
 * ops/assignment.h - seats by hand: assign, extend, revoke, release, and
 * the list (ending soon among them).  The contract is ops/ops.h.
 *
 * Seats are counted by the assignments trigger (sql/001_core.sql): ending
 * an ACTIVE assignment frees its seat in the same statement.  A new seat
 * goes through seats_assign() (lib/books/seats.h), the policy
 * tally-allocate uses.  Only an ACTIVE assignment whose end is still ahead
 * can be extended, revoked or released; anything else is EREFUSED, so the
 * outcome never depends on whether tally-expire has run yet.  The row
 * is locked first, so an extend and a revoke of one assignment at once
 * happen one after the other: the second sees what the first did.
 *
 * Every item is the assignment's row: id, account (email), customer
 * (email), order_id, status, starts_at, ends_at, ended_at, reason.
 */
#ifndef TALLY_OPS_ASSIGNMENT_H
#define TALLY_OPS_ASSIGNMENT_H

#include <stdbool.h>

#include "ops/ops.h"

#define OPS_ASSIGNMENT_MAX_DAYS 36500	/* seats_assign()'s limit */

struct ops_assignment_req {
	long long id;		/* extend, revoke, release */
	/* assign: 0 takes the order's plan; extend: required.  1..36500 */
	long long days;
	/* revoke: required; release: NULL is "released early by an admin" */
	const char *reason;
	/* assign: */
	const char *account;	/* id or email; NULL or "auto": by the policy */
	const char *customer;	/* email (a new one becomes a customer);
				 * NULL: the order's customer */
	long long order_id;	/* the paid order this seat fulfils; 0: none */
	const char *starts;	/* a timestamp; NULL: now */
};

/*
 * Give a customer a seat for days days from starts.  With order_id the
 * seat fulfils that order (tally-allocate then leaves it), and it goes to
 * the order's customer: naming another one is EREFUSED, so a paid seat
 * cannot be handed to someone who did not pay for it by mistake.
 * ECONFLICT when the account is full or nothing has room; EREFUSED when
 * the account is suspended, the order is for credits or already
 * fulfilled.  *out has "new_customer": true when the email was not a
 * customer yet.
 */
int ops_assignment_assign(struct ops *o, const struct ops_assignment_req *req,
    json_t **out);
/* Move an ACTIVE assignment's end days later. */
int ops_assignment_extend(struct ops *o, const struct ops_assignment_req *req,
    json_t **out);
/* End it now as REVOKED (the customer loses the seat); reason required. */
int ops_assignment_revoke(struct ops *o, const struct ops_assignment_req *req,
    json_t **out);
/* End it now as EXPIRED: the customer is done early. */
int ops_assignment_release(struct ops *o, const struct ops_assignment_req *req,
    json_t **out);

struct ops_assignment_list_req {
	const char *status;	/* ACTIVE|EXPIRED|REVOKED (any case); NULL: all */
	/* only ACTIVE ones ending within days of as_of (0: already past
	 * their end), soonest first */
	bool ending_soon;
	long long days;		/* with ending_soon: 0..36500 */
	/* an instant in the one grammar of lib/base/period.h, local in
	 * o->cfg's tz without an offset; NULL: now */
	const char *as_of;
	const char *customer;	/* email, any case */
	const char *account;	/* id or email */
	struct ops_page page;
};

/* Oldest first, or soonest ending first with ending_soon. */
int ops_assignment_list(struct ops *o, const struct ops_assignment_list_req *req,
    json_t **out);

#endif
