/*
 * reconcile_find.h - one SQL statement per exception category, each in
 * queries/reconcile/find_NAME.sql.
 *
 * Each statement is a SELECT of the columns RECONCILE_FOUND_COLUMNS (in
 * that order) of the problems it finds.  It reads its parameters from
 * the one-row relation rc_params (RECONCILE_PARAMS_SQL), the sources'
 * schemes from rc_src(source, scheme) and a balances file from
 * rc_balances(ext, balance), and takes no $n parameters itself.  On the
 * primary these are the run's temporary tables and the rows go into its
 * temporary table rc_found; on a hot standby, which has no temporary
 * tables, they are CTEs of the same names and the rows are streamed to
 * the primary's rc_found (lib/books/reconcile.c).
 *
 *   keys       the stable identity of the problem (ids only: an e-mail
 *              an admin edits must not make a new case); the case
 *              fingerprint is the category and these keys
 *   severity   NULL: the category's default (reconcile_categories)
 *   occurred_at when the thing happened (payment, settlement row, event):
 *              a run closes a case of a scoped category only when this is
 *              in its period (a held order's case, keyed by the order
 *              alone, is closed wherever it is: queries/reconcile/
 *              cases_closed.sql)
 *   details    everything an admin needs to act, shown in the category's
 *              sheet
 */
#ifndef TALLY_RECONCILE_FIND_H
#define TALLY_RECONCILE_FIND_H

#include <stddef.h>

#include "pg/db.h"

#define RECONCILE_FOUND_COLUMNS \
	"category, keys, severity, occurred_at, currency, amount_minor, details"

/* rc_params from $1 from, $2 to, $3 as-of (timestamptz), $4 tolerance,
 * $5 grace days, $6 SLA minutes, $7 stuck minutes, $8 tz, $9 run id */
#define RECONCILE_PARAMS_SQL \
	"SELECT $1::timestamptz AS p_from, $2::timestamptz AS p_to," \
	"  $3::timestamptz AS as_of, $4::bigint AS tolerance," \
	"  $5::integer AS grace_days, $6::integer AS sla_minutes," \
	"  $7::integer AS stuck_minutes, $8::text AS tz," \
	"  ($3::timestamptz AT TIME ZONE $8::text)::date AS as_of_date," \
	"  $9::bigint AS run_id"
#define RECONCILE_NPARAMS 9

struct reconcile_finder {
	const char *category;
	const char *query;	/* its name for query_sql() */
};

/* In reconcile_categories' sort order. */
extern const struct reconcile_finder reconcile_finders[];
extern const size_t reconcile_nfinders;

/*
 * Every finder on db, into its rc_found, inside the run's transaction
 * (which has made the temporary tables).  0 or the failure, logged.
 */
int reconcile_find_here(struct db *db);

/*
 * Every finder on read (a hot standby of db, or another connection to
 * it) in one read-only snapshot, its rows streamed into db's rc_found:
 * rc_params from params, rc_src and rc_balances as db's temporary tables
 * hold them.  0 or the failure, logged.
 */
int reconcile_find_there(struct db *db, struct db *read,
    const char *const params[RECONCILE_NPARAMS]);

#endif
