/*
 * settlement.h - a payment provider's settlement export: read, validate,
 * load.
 *
 * The file is CSV (lib/out/csvin.h: header names, BOM, CRLF, quoted commas and
 * line breaks) with its columns found by header name, never by position;
 * columns we do not use are ignored.  The built-in format "stripe" is
 * Stripe's itemized payout reconciliation report; any other name is a
 * [settlement NAME] section of the config file mapping our fields to the
 * export's headers (lib/base/config.h struct config_settlement).
 *
 * Amounts are decimal strings in major units ("19.99", "1500" yen), turned
 * into int64 minor units by the currency's exponent exactly
 * (money_parse_major), or already minor units when the section says
 * amount_units = minor.  Timestamps without an offset are UTC (Stripe's
 * *_utc columns).
 *
 * Every row is checked before anything is kept: a bad row is reported as
 * "FILE:LINE: column: reason" (the physical line where the record starts)
 * and the load fails with TALLY_EDATA, leaving the caller's transaction to
 * be rolled back.  Memory stays flat whatever the file size: rows stream
 * from the reader into COPY.
 */
#ifndef TALLY_SETTLEMENT_H
#define TALLY_SETTLEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "pg/db.h"
#include "base/strbuf.h"

/* Errors listed in full before the rest are only counted. */
#define SETTLEMENT_MAX_ERRORS 50
/* Longest field accepted (ids, categories, descriptions). */
#define SETTLEMENT_MAX_FIELD 4096

/*
 * A resolved format: header names for each field (NULL: the export has no
 * such column).  Strings point into the config or are static; the struct
 * lives no longer than the config it came from.
 */
struct settlement_format {
	const char *name;	/* "stripe" or the section name */
	const char *provider;	/* scheme it settles: stripe, midtrans, xendit */
	const char *col_id;	/* required */
	const char *col_created;	/* required */
	const char *col_gross;	/* required */
	const char *col_currency;	/* required unless default_currency */
	const char *col_fee;
	const char *col_net;
	const char *col_category;
	const char *col_available;
	const char *col_payment;
	const char *col_charge;
	const char *col_source;
	const char *col_order;
	const char *col_payout;
	const char *col_sku;
	bool minor_units;
	const char *default_currency;
};

/*
 * Find the format called name: "stripe" (built in) or a [settlement NAME]
 * section of cfg (which wins over the built-in when both exist).  Unknown
 * name or an unusable section: TALLY_ECONFIG with the reason in err.
 */
int settlement_format_get(const struct config *cfg, const char *name,
    struct settlement_format *f, struct strbuf *err);

/* One validated row; strings valid only during the callback. */
struct settlement_row {
	unsigned long line;	/* physical line where the record starts */
	const char *txn_id;
	const char *category;	/* "" when the format has no category */
	char created[40];	/* UTC, "2026-11-03T10:15:00Z" (fraction kept) */
	char available[40];	/* "" when absent */
	char currency[4];
	int64_t gross, fee, net;
	const char *payment_ref;	/* NULL when absent or empty */
	const char *charge_ref;
	const char *source_ref;
	const char *order_ref;
	const char *payout_id;
	const char *sku;
};

typedef int (*settlement_row_fn)(const struct settlement_row *row, void *arg);

/*
 * Read and check a whole file (path; "-" is stdin) or memory, calling fn
 * for every good row, in order.  Bad rows do not stop the reading: each
 * is appended to err (up to SETTLEMENT_MAX_ERRORS, then a count) and fn is
 * no longer called.  *rows (optional) gets the number of data rows.
 * Returns 0, TALLY_EDATA (bad rows or malformed CSV), TALLY_EMISSING (no
 * such file), TALLY_EIO, or fn's non-zero return.
 */
int settlement_read_file(const char *path, const struct settlement_format *f,
    settlement_row_fn fn, void *arg, unsigned long *rows, struct strbuf *err);
int settlement_read_mem(const void *data, size_t len, const char *name,
    const struct settlement_format *f, settlement_row_fn fn, void *arg,
    unsigned long *rows, struct strbuf *err);

/*
 * A timestamp as exports write it: "2026-11-03", "2026-11-03 10:15",
 * "2026-11-03T10:15:00.123Z", "... +07:00" / "+0700" / "+07".  No offset:
 * UTC.  Writes the instant in UTC as "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" into
 * out.  TALLY_EDATA when malformed or not a real date or time.
 */
int settlement_parse_time(const char *s, char out[40]);

struct settlement_stats {
	unsigned long rows;	/* data rows in the file */
	long long inserted;	/* new in settlement_rows */
	long long updated;	/* already there (same provider and id), changed */
	long long matched;	/* of the inserted and updated rows, those
				 * matched by their payment reference */
};

/*
 * Inside a transaction: the temporary table rc_src(source, scheme) that
 * tells which of our order sources each provider settles (config sources,
 * else the scheme their raw events were stored with).  Dropped at commit.
 * Call before settlement_load() and settlement_rematch().
 */
int settlement_prepare(struct db *db, const struct config *cfg);

/*
 * Load a file into settlement_rows inside the caller's transaction (after
 * settlement_prepare(), and with the reconcile_runs row run_id existing).  Rows stream into a temporary table with
 * COPY; duplicate ids within the file are refused like any bad row; then
 * rows are inserted, or updated when their content changed (a file loaded
 * twice is the same rows, written once), and matched with our payments
 * and orders (settlement_rematch() for those the payment reference does
 * not match).  On TALLY_EDATA the messages are
 * in err and the caller must roll back: nothing is recorded.
 */
int settlement_load(struct db *db, const char *path,
    const struct settlement_format *f, long long run_id,
    struct settlement_stats *st, struct strbuf *err);

/*
 * Match rows loaded earlier that have no payment yet (a webhook that came
 * after the file), inside the caller's transaction; *matched (optional)
 * gets how many found one now.
 */
int settlement_rematch(struct db *db, long long *matched);

#endif
