/*
 * reconcile_find.h - one SQL statement per exception category.
 *
 * Each statement is an INSERT ... SELECT into the run's temporary table
 * rc_found(category, keys, severity, occurred_at, currency, amount_minor,
 * details) and reads its parameters from the one-row temporary table
 * rc_params (lib/books/reconcile.c), so none of them takes $n parameters and
 * every one can run in any order.
 *
 *   keys       the stable identity of the problem (ids only: an e-mail
 *              an admin edits must not make a new case); the case
 *              fingerprint is the category and these keys
 *   severity   NULL: the category's default (reconcile_categories)
 *   occurred_at when the thing happened (payment, settlement row, event):
 *              a run closes a case of a scoped category only when this is
 *              in its period
 *   details    everything an admin needs to act, shown in the category's
 *              sheet
 */
#ifndef TALLY_RECONCILE_FIND_H
#define TALLY_RECONCILE_FIND_H

#include <stddef.h>

struct reconcile_finder {
	const char *category;
	const char *sql;
};

/* In reconcile_categories' sort order. */
extern const struct reconcile_finder reconcile_finders[];
extern const size_t reconcile_nfinders;

#endif
