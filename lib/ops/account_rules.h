/*
 * account_rules.h - private to lib/ops/account*.c: the columns an
 * account is shown with, and the value rules add, update and import
 * share.
 */
#ifndef TALLY_OPS_ACCOUNT_RULES_H
#define TALLY_OPS_ACCOUNT_RULES_H

#include "ops/ops.h"

#define ACCOUNT_MAX_SEATS 10000	/* pool_accounts.max_seats check */

/* The columns every account answer has, in this order. */
#define ACCOUNT_COLS \
	"a.id, a.email, a.status, a.max_seats, a.current_seats_used AS seats_used," \
	" coalesce(a.max_seats, 1) - a.current_seats_used AS seats_free, a.note," \
	" a.created_at, a.updated_at"
#define ACCOUNT_NCOLS 9

/* NULL or "": *out NULL (single-user); "1".."10000": *out s.  Returns
 * NULL, or why s is neither. */
const char *ops_account_max_seats(const char *s, const char **out);
/* NULL or "": AVAILABLE; AVAILABLE or SUSPENDED in any case.  Returns
 * NULL, or why s is not one of them. */
const char *ops_account_status(const char *s, const char **out);
/* What the pool_accounts constraints said, in the admin's terms. */
int ops_account_write_error(struct ops *o, int rc, const char *email);

#endif
