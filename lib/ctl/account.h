/*
 * ctl_account.h - `tallyctl account add | import | list | show | suspend |
 * reactivate | update`: the pool of shared accounts.
 */
#ifndef TALLY_CTL_ACCOUNT_H
#define TALLY_CTL_ACCOUNT_H

#include <stdbool.h>

#include "ctl/ctlopt.h"

/* tallyctl account ...; argv[0] = "account"; returns an exit status. */
int ctl_account(int argc, char **argv);

/*
 * Find the account named by spec: an id ("17") or an email (any case).
 * When lock is true the row is locked FOR UPDATE (call inside a
 * transaction).  *row (optional; PQclear it) gets id, email, status,
 * max_seats, seats_used, seats_free, note, created_at, updated_at.
 * TALLY_ENOTFOUND is logged as "no account 'spec'".
 */
int ctl_account_find(struct ctl *c, const char *spec, bool lock,
    long long *id, PGresult **row);

/*
 * The rules pool_accounts enforces, checked before the database sees the
 * value so an import can name every bad line: NULL when s is acceptable,
 * else a static reason.
 */
const char *ctl_account_email_problem(const char *s);

#endif
