/*
 * settlement.c - settlement exports: formats, row checks, COPY load and
 * matching with our payments.
 *
 * The C side reads and checks; the database does everything that is about
 * many rows at once (duplicates within the file, insert-or-update, the
 * match with payments and orders), so a million-row file costs one COPY
 * and a few set-based statements, and the client's memory is one row plus
 * a COPY buffer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "out/csvin.h"
#include "base/err.h"
#include "base/log.h"
#include "base/money.h"
#include "base/period.h"
#include "books/settlement.h"
#include "pg/dbarray.h"

/* COPY data is handed to libpq in pieces of about this size. */
#define COPY_CHUNK (256 * 1024)

/*
 * Stripe's itemized payout reconciliation report.  The first block of
 * columns is always in it; the rest depend on the columns an admin picked
 * when exporting, so they are used when present.
 */
static const struct settlement_format stripe_format = {
	.name = "stripe",
	.provider = "stripe",
	.col_id = "balance_transaction_id",
	.col_created = "created_utc",
	.col_gross = "gross",
	.col_currency = "currency",
	.col_fee = "fee",
	.col_net = "net",
	.col_category = "reporting_category",
	.col_available = "available_on_utc",
	.col_payment = "payment_intent_id",
	.col_charge = "charge_id",
	.col_source = "source_id",
	.col_order = "payment_metadata[order_id]",
	.col_payout = "automatic_payout_id",
	.col_sku = "payment_metadata[sku]",
	.minor_units = false,
	.default_currency = NULL,
};

static bool
is_stripe_builtin(const struct settlement_format *f)
{
	return f->col_id == stripe_format.col_id;
}

static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

int
settlement_format_get(const struct config *cfg, const char *name,
    struct settlement_format *f, struct strbuf *err)
{
	const struct config_settlement *s;
	char cur[4];

	s = cfg != NULL ? config_find_settlement(cfg, name) : NULL;
	if (s == NULL) {
		if (strcmp(name, "stripe") != 0) {
			strbuf_addf(err, "unknown settlement format '%s': neither "
			    "'stripe' nor a [settlement %s] section in the config",
			    name, name);
			return TALLY_ECONFIG;
		}
		*f = stripe_format;
		return 0;
	}
	memset(f, 0, sizeof(*f));
	f->name = s->name;
	f->provider = nonempty(s->provider);
	f->col_id = nonempty(s->col_id);
	f->col_created = nonempty(s->col_created);
	f->col_gross = nonempty(s->col_gross);
	f->col_currency = nonempty(s->col_currency);
	f->col_fee = nonempty(s->col_fee);
	f->col_net = nonempty(s->col_net);
	f->col_category = nonempty(s->col_category);
	f->col_payment = nonempty(s->col_payment);
	f->col_order = nonempty(s->col_order);
	f->col_payout = nonempty(s->col_payout);
	f->minor_units = s->amount_units != NULL &&
	    strcmp(s->amount_units, "minor") == 0;
	f->default_currency = nonempty(s->default_currency);

	if (f->provider == NULL || (strcmp(f->provider, "stripe") != 0 &&
	    strcmp(f->provider, "midtrans") != 0 &&
	    strcmp(f->provider, "xendit") != 0)) {
		strbuf_addf(err, "[settlement %s]: provider must be stripe, "
		    "midtrans or xendit", s->name);
		return TALLY_ECONFIG;
	}
	if (f->col_id == NULL || f->col_created == NULL || f->col_gross == NULL) {
		strbuf_addf(err, "[settlement %s]: col_id, col_created and "
		    "col_gross are required", s->name);
		return TALLY_ECONFIG;
	}
	if (f->col_currency == NULL && f->default_currency == NULL) {
		strbuf_addf(err, "[settlement %s]: set col_currency or "
		    "default_currency", s->name);
		return TALLY_ECONFIG;
	}
	if (f->default_currency != NULL &&
	    (money_currency_normalize(f->default_currency, cur) != 0 ||
	    !money_currency_valid(cur))) {
		strbuf_addf(err, "[settlement %s]: default_currency '%s' is not "
		    "an ISO 4217 code", s->name, f->default_currency);
		return TALLY_ECONFIG;
	}
	/* payments are matched by one of these; without any, every row
	 * would be a missing webhook */
	if (f->col_payment == NULL && f->col_order == NULL) {
		strbuf_addf(err, "[settlement %s]: set col_payment or col_order "
		    "(how a row names the payment)", s->name);
		return TALLY_ECONFIG;
	}
	return 0;
}

/* ---- timestamps ---- */

int
settlement_parse_time(const char *s, char out[40])
{
	struct period_instant t;
	char buf[PERIOD_ISO_MAX];

	/* the one grammar (lib/base/period.h), no offset meaning UTC; no
	 * settlement predates 1970, and a year before it is a typo */
	if (s == NULL || strncmp(s, "1970", 4) < 0 ||
	    period_parse_instant_us(s, "UTC", &t) != 0)
		return TALLY_EDATA;
	period_format_utc_us(t, buf);
	snprintf(out, 40, "%.39s", buf);
	return 0;
}

/* ---- reading ---- */

enum col {
	C_ID, C_CREATED, C_GROSS, C_CURRENCY, C_FEE, C_NET, C_CATEGORY,
	C_AVAILABLE, C_PAYMENT, C_CHARGE, C_SOURCE, C_ORDER, C_PAYOUT, C_SKU,
	C_COUNT
};

struct reader {
	const struct settlement_format *f;
	const char *names[C_COUNT];	/* header name per field, NULL: none */
	long idx[C_COUNT];		/* column index, -1: not in the file */
	bool resolved;
	settlement_row_fn fn;
	void *arg;
	struct strbuf *err;
	unsigned long rows;
	unsigned long nerrors;
	int fn_rc;
};

static void
reader_init(struct reader *r, const struct settlement_format *f,
    settlement_row_fn fn, void *arg, struct strbuf *err)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->fn = fn;
	r->arg = arg;
	r->err = err;
	r->names[C_ID] = f->col_id;
	r->names[C_CREATED] = f->col_created;
	r->names[C_GROSS] = f->col_gross;
	r->names[C_CURRENCY] = f->col_currency;
	r->names[C_FEE] = f->col_fee;
	r->names[C_NET] = f->col_net;
	r->names[C_CATEGORY] = f->col_category;
	r->names[C_AVAILABLE] = f->col_available;
	r->names[C_PAYMENT] = f->col_payment;
	r->names[C_CHARGE] = f->col_charge;
	r->names[C_SOURCE] = f->col_source;
	r->names[C_ORDER] = f->col_order;
	r->names[C_PAYOUT] = f->col_payout;
	r->names[C_SKU] = f->col_sku;
}

/*
 * The headers the file must have: the built-in Stripe format requires its
 * core columns only (the others are optional in Stripe's export); a
 * configured mapping requires every column it names (the admin said they
 * are there, and a typo must not silently read as "no such column").
 */
static void
required_headers(const struct reader *r, const char *req[C_COUNT + 1])
{
	size_t n = 0;
	int last = is_stripe_builtin(r->f) ? C_CATEGORY : C_COUNT - 1;

	for (int i = 0; i <= last; i++)
		if (r->names[i] != NULL)
			req[n++] = r->names[i];
	req[n] = NULL;
}

/* Header positions, once: every record has the same header. */
static void
resolve(struct reader *r, const struct csvin_record *rec)
{
	const char *h;

	for (int c = 0; c < C_COUNT; c++) {
		r->idx[c] = -1;
		if (r->names[c] == NULL)
			continue;
		for (size_t i = 0; (h = csvin_header(rec, i)) != NULL; i++)
			if (strcasecmp(h, r->names[c]) == 0) {
				r->idx[c] = (long)i;
				break;
			}
	}
	r->resolved = true;
}

static const char *
field(const struct reader *r, const struct csvin_record *rec, enum col c)
{
	return r->idx[c] < 0 ? NULL : csvin_field(rec, (size_t)r->idx[c]);
}

static void
bad(struct reader *r, const struct csvin_record *rec, enum col c,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
bad(struct reader *r, const struct csvin_record *rec, enum col c,
    const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	if (++r->nerrors > SETTLEMENT_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	csvin_errf(r->err, rec, r->names[c], "%s", msg);
}

/* A value for a message: cut, so one huge field cannot flood the log. */
static const char *
shown(const char *s, char *buf, size_t bufsz)
{
	size_t keep = bufsz - 4;

	snprintf(buf, bufsz, "%.*s%s", (int)keep, s, strlen(s) > keep ? "..." : "");
	return buf;
}

static bool
amount(struct reader *r, const struct csvin_record *rec, enum col c,
    int exponent, const char *cur, int64_t *out)
{
	const char *s = field(r, rec, c);
	char show[64];
	int rc;

	if (s == NULL || s[0] == '\0') {
		bad(r, rec, c, "empty amount");
		return false;
	}
	rc = r->f->minor_units ? money_parse_minor(s, out) :
	    money_parse_major(s, exponent, out);
	if (rc == TALLY_ERANGE) {
		bad(r, rec, c, "'%s' is out of range", shown(s, show, sizeof(show)));
		return false;
	}
	if (rc != 0) {
		if (r->f->minor_units)
			bad(r, rec, c, "'%s' is not a whole number of minor units",
			    shown(s, show, sizeof(show)));
		else
			bad(r, rec, c, "'%s' is not an amount in %s (a decimal "
			    "with at most %d decimals)", shown(s, show, sizeof(show)),
			    cur, exponent);
		return false;
	}
	return true;
}

static bool
text_ok(struct reader *r, const struct csvin_record *rec, enum col c,
    size_t max)
{
	const char *s = field(r, rec, c);

	if (s != NULL && strlen(s) > max) {
		bad(r, rec, c, "longer than %zu bytes", max);
		return false;
	}
	return true;
}

static int
on_record(const struct csvin_record *rec, void *arg)
{
	struct reader *r = arg;
	struct settlement_row row;
	const char *s;
	char show[64];
	int exponent = -1;
	bool ok = true;
	int64_t sum;

	if (!r->resolved)
		resolve(r, rec);
	r->rows++;
	memset(&row, 0, sizeof(row));
	row.line = csvin_line(rec);

	s = field(r, rec, C_ID);
	if (s == NULL || s[0] == '\0') {
		bad(r, rec, C_ID, "empty id");
		ok = false;
	} else if (strlen(s) > 255) {
		bad(r, rec, C_ID, "id longer than 255 bytes");
		ok = false;
	}
	row.txn_id = s;

	s = field(r, rec, C_CREATED);
	if (s == NULL || settlement_parse_time(s, row.created) != 0) {
		bad(r, rec, C_CREATED, "'%s' is not a date and time "
		    "(YYYY-MM-DD HH:MM:SS, UTC unless an offset is given)",
		    shown(s != NULL ? s : "", show, sizeof(show)));
		ok = false;
	}
	s = field(r, rec, C_AVAILABLE);
	if (s != NULL && s[0] != '\0' &&
	    settlement_parse_time(s, row.available) != 0) {
		bad(r, rec, C_AVAILABLE, "'%s' is not a date and time",
		    shown(s, show, sizeof(show)));
		ok = false;
	}

	s = r->idx[C_CURRENCY] >= 0 ? field(r, rec, C_CURRENCY) : NULL;
	if (s == NULL || s[0] == '\0')
		s = r->f->default_currency;
	if (s == NULL || money_currency_normalize(s, row.currency) != 0 ||
	    (exponent = money_exponent(row.currency)) < 0) {
		bad(r, rec, C_CURRENCY, "'%s' is not an ISO 4217 currency code",
		    shown(s != NULL ? s : "", show, sizeof(show)));
		ok = false;
		exponent = -1;
	}
	if (exponent >= 0) {
		ok &= amount(r, rec, C_GROSS, exponent, row.currency, &row.gross);
		if (r->idx[C_FEE] >= 0)
			ok &= amount(r, rec, C_FEE, exponent, row.currency,
			    &row.fee);
		if (r->idx[C_NET] >= 0) {
			ok &= amount(r, rec, C_NET, exponent, row.currency,
			    &row.net);
		} else if (ok) {
			/* no net column: nothing to contradict */
			if (money_sub(row.gross, row.fee, &sum) != 0) {
				bad(r, rec, C_GROSS, "gross - fee is out of range");
				ok = false;
			}
			row.net = sum;
		}
	}
	s = field(r, rec, C_CATEGORY);
	row.category = s != NULL ? s : "";
	ok &= text_ok(r, rec, C_CATEGORY, 64);
	ok &= text_ok(r, rec, C_PAYMENT, 255) & text_ok(r, rec, C_CHARGE, 255) &
	    text_ok(r, rec, C_SOURCE, 255) & text_ok(r, rec, C_ORDER, 255) &
	    text_ok(r, rec, C_PAYOUT, 255) & text_ok(r, rec, C_SKU, 64);
	row.payment_ref = nonempty(field(r, rec, C_PAYMENT));
	row.charge_ref = nonempty(field(r, rec, C_CHARGE));
	row.source_ref = nonempty(field(r, rec, C_SOURCE));
	row.order_ref = nonempty(field(r, rec, C_ORDER));
	row.payout_id = nonempty(field(r, rec, C_PAYOUT));
	row.sku = nonempty(field(r, rec, C_SKU));

	/* after the first bad row nothing more is handed on, but reading
	 * goes on so the admin sees every problem in one pass */
	if (!ok || r->nerrors > 0 || r->fn_rc != 0)
		return 0;
	r->fn_rc = r->fn(&row, r->arg);
	return r->fn_rc;
}

static int
finish(struct reader *r, int rc, const char *name, unsigned long *rows)
{
	if (rows != NULL)
		*rows = r->rows;
	if (r->nerrors > SETTLEMENT_MAX_ERRORS)
		strbuf_addf(r->err, "%s: %lu more bad rows not shown\n", name,
		    r->nerrors - SETTLEMENT_MAX_ERRORS);
	if (rc != 0)
		return rc;
	if (r->nerrors > 0)
		return TALLY_EDATA;
	return r->fn_rc;
}

/* The file path (data NULL), or len bytes at data called name. */
static int
read_csv(const char *name, const void *data, size_t len,
    const struct settlement_format *f, settlement_row_fn fn, void *arg,
    unsigned long *rows, struct strbuf *err)
{
	struct reader r;
	struct csvin_options opt;
	const char *req[C_COUNT + 1];
	int rc;

	reader_init(&r, f, fn, arg, err);
	required_headers(&r, req);
	memset(&opt, 0, sizeof(opt));
	opt.max_field = SETTLEMENT_MAX_FIELD;
	opt.required = req;
	if (data == NULL)
		rc = csvin_read_file(name, &opt, on_record, &r, err);
	else
		rc = csvin_read_mem(data, len, name, &opt, on_record, &r, err);
	return finish(&r, rc, name, rows);
}

int
settlement_read_file(const char *path, const struct settlement_format *f,
    settlement_row_fn fn, void *arg, unsigned long *rows, struct strbuf *err)
{
	return read_csv(path, NULL, 0, f, fn, arg, rows, err);
}

int
settlement_read_mem(const void *data, size_t len, const char *name,
    const struct settlement_format *f, settlement_row_fn fn, void *arg,
    unsigned long *rows, struct strbuf *err)
{
	/* "" for no bytes at all: NULL would mean a file */
	return read_csv(name, data != NULL ? data : "", len, f, fn, arg, rows,
	    err);
}

/* ---- loading ---- */

struct loader {
	struct db *db;
	PGconn *conn;
	struct strbuf buf;
	struct strbuf *err;
};

/* One value in COPY text format (NULL: \N). */
static void
copy_value(struct strbuf *sb, const char *s)
{
	db_copy_text(sb, s, s != NULL ? strlen(s) : 0);
}

static int
copy_flush(struct loader *l)
{
	if (l->buf.len == 0)
		return 0;
	if (PQputCopyData(l->conn, l->buf.buf, (int)l->buf.len) != 1) {
		strbuf_addf(l->err, "sending rows to the database: %s",
		    PQerrorMessage(l->conn));
		return TALLY_EUNAVAIL;
	}
	strbuf_reset(&l->buf);
	return 0;
}

static int
copy_row(const struct settlement_row *row, void *arg)
{
	struct loader *l = arg;
	struct strbuf *b = &l->buf;
	/* the last columns of settlement_load, each NULL when absent */
	const char *const refs[] = { row->payment_ref, row->charge_ref,
		row->source_ref, row->order_ref, row->payout_id, row->sku };

	strbuf_addf(b, "%lu\t", row->line);
	copy_value(b, row->txn_id);
	strbuf_addch(b, '\t');
	copy_value(b, row->category);
	strbuf_addf(b, "\t%s\t", row->created);
	copy_value(b, row->available[0] != '\0' ? row->available : NULL);
	strbuf_addf(b, "\t%s\t%lld\t%lld\t%lld", row->currency,
	    (long long)row->gross, (long long)row->fee, (long long)row->net);
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		strbuf_addch(b, '\t');
		copy_value(b, refs[i]);
	}
	strbuf_addch(b, '\n');
	if (b->len >= COPY_CHUNK)
		return copy_flush(l);
	return 0;
}

/* End the COPY (aborting it when abort_msg is set) and collect its result. */
static int
copy_end(struct loader *l, const char *abort_msg)
{
	PGresult *res;
	int rc = 0;

	if (abort_msg == NULL && copy_flush(l) != 0)
		abort_msg = "client failed";
	if (PQputCopyEnd(l->conn, abort_msg) != 1) {
		strbuf_addf(l->err, "ending COPY: %s", PQerrorMessage(l->conn));
		rc = TALLY_EUNAVAIL;
	}
	while ((res = PQgetResult(l->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0 &&
		    abort_msg == NULL) {
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			strbuf_addf(l->err, "loading rows: %s",
			    PQresultErrorMessage(res));
			rc = db_classify(state);
			/* a value we checked was refused: our bug, not the file's */
			if (rc == TALLY_EDATA)
				rc = TALLY_EINTERNAL;
		}
		PQclear(res);
	}
	return rc;
}

static const char load_table_sql[] =
    "CREATE TEMP TABLE settlement_load ("
    " line integer NOT NULL, txn_id text NOT NULL, category text NOT NULL,"
    " created_at timestamptz NOT NULL, available_on timestamptz,"
    " currency text NOT NULL, gross bigint NOT NULL, fee bigint NOT NULL,"
    " net bigint NOT NULL, payment_ref text, charge_ref text,"
    " source_ref text, order_ref text, payout_id text, sku text"
    ") ON COMMIT DROP";

/* Same id twice in one file: the second is refused with both lines. */
static const char dup_sql[] =
    "SELECT l.line, l.txn_id, d.first_line"
    "  FROM settlement_load l"
    "  JOIN (SELECT txn_id, min(line) AS first_line FROM settlement_load"
    "         GROUP BY txn_id HAVING count(*) > 1) d ON d.txn_id = l.txn_id"
    " WHERE l.line <> d.first_line"
    " ORDER BY l.line LIMIT " "51";

/*
 * Loading is an UPDATE of rows already stored whose content changed (a
 * later export of the same transactions), then an INSERT of the new ones
 * (known_sql below takes the others out of the load first);
 * rows loaded before and unchanged are left alone, so a file loaded twice
 * writes nothing the second time.  Both match a row to our payment the
 * common way, by the payment reference (Stripe's payment intent) in the
 * first source that speaks the file's provider: one hash join of the
 * file against payments.  Rows this leaves unmatched (another reference,
 * another source, only an order) are few, and settlement_rematch() tries
 * every way for them.  (source, provider_payment_id) is unique, so the
 * join never doubles a row.  One result row each, so nothing per row
 * comes back to the client.
 */
#define PRIMARY_MATCH \
	" LEFT JOIN payments y" \
	"        ON y.source = (SELECT min(c.source) FROM rc_src c" \
	"                        WHERE c.scheme = $1)" \
	"       AND y.provider_payment_id = l.payment_ref"

static const char update_sql[] =
    "WITH up AS ("
    " UPDATE settlement_rows s SET format = $2, category = l.category,"
    "   kind = tally_settlement_kind(l.category), created_at = l.created_at,"
    "   available_on = l.available_on, currency = l.currency,"
    "   gross_minor = l.gross, fee_minor = l.fee, net_minor = l.net,"
    "   payment_ref = l.payment_ref, charge_ref = l.charge_ref,"
    "   source_ref = l.source_ref, order_ref = l.order_ref,"
    "   payout_id = l.payout_id, sku = l.sku, payment_id = y.id,"
    "   order_id = y.order_id, file_name = $3, file_line = l.line,"
    "   run_id = $4::bigint, loaded_at = now()"
    "  FROM settlement_load l" PRIMARY_MATCH
    " WHERE s.provider = $1 AND s.txn_id = l.txn_id"
    "   AND (s.category, s.created_at, s.available_on, s.currency::text,"
    "        s.gross_minor, s.fee_minor, s.net_minor, s.payment_ref,"
    "        s.charge_ref, s.source_ref, s.order_ref, s.payout_id, s.sku)"
    "       IS DISTINCT FROM"
    "       (l.category, l.created_at, l.available_on, l.currency, l.gross,"
    "        l.fee, l.net, l.payment_ref, l.charge_ref, l.source_ref,"
    "        l.order_ref, l.payout_id, l.sku)"
    " RETURNING s.payment_id)"
    " SELECT count(*), count(payment_id) FROM up";

static const char insert_sql[] =
    "WITH ins AS ("
    " INSERT INTO settlement_rows (provider, txn_id, format, category, kind,"
    "   created_at, available_on, currency, gross_minor, fee_minor,"
    "   net_minor, payment_ref, charge_ref, source_ref, order_ref,"
    "   payout_id, sku, payment_id, order_id, file_name, file_line, run_id)"
    " SELECT $1, l.txn_id, $2, l.category, tally_settlement_kind(l.category),"
    "   l.created_at, l.available_on, l.currency, l.gross, l.fee, l.net,"
    "   l.payment_ref, l.charge_ref, l.source_ref, l.order_ref, l.payout_id,"
    "   l.sku, y.id, y.order_id, $3, l.line, $4::bigint"
    "   FROM settlement_load l" PRIMARY_MATCH
    " RETURNING payment_id)"
    " SELECT count(*), count(payment_id) FROM ins";

/*
 * Rows already stored leave the load before the INSERT.  Not an
 * anti-join inside the INSERT: its target is the table the anti-join
 * reads, and a plan made when the table looked empty (a first load after
 * statistics said 0 rows) rescans the growing table for every row.
 */
static const char known_sql[] =
    "DELETE FROM settlement_load l USING settlement_rows s"
    " WHERE s.provider = $1 AND s.txn_id = l.txn_id";

/* Fewer changed rows than this leave the statistics as they were. */
#define ANALYZE_AFTER 10000

static int
sql_fail(struct db *db, struct strbuf *err, int rc, const char *what)
{
	strbuf_addf(err, "%s: %s", what, db_errmsg(db));
	return rc;
}

static int
check_duplicates(struct db *db, const char *path,
    const struct settlement_format *f, struct strbuf *err)
{
	PGresult *res = NULL;
	int rc, n;

	rc = db_query(db, &res, dup_sql, 0, NULL);
	if (rc != 0)
		return sql_fail(db, err, rc, "checking for duplicate ids");
	n = PQntuples(res);
	for (int i = 0; i < n && i < SETTLEMENT_MAX_ERRORS; i++)
		strbuf_addf(err, "%s:%s: %s: '%s' is already on line %s\n", path,
		    PQgetvalue(res, i, 0), f->col_id, PQgetvalue(res, i, 1),
		    PQgetvalue(res, i, 2));
	if (n > SETTLEMENT_MAX_ERRORS)
		strbuf_addf(err, "%s: more duplicate ids not shown\n", path);
	PQclear(res);
	return n > 0 ? TALLY_EDATA : 0;
}

int
settlement_load(struct db *db, const char *path,
    const struct settlement_format *f, long long run_id,
    struct settlement_stats *st, struct strbuf *err)
{
	struct loader l;
	PGresult *res = NULL;
	char runbuf[32];
	const char *params[4];
	double t0 = log_clock();
	int rc, end_rc;

	memset(st, 0, sizeof(*st));
	memset(&l, 0, sizeof(l));
	l.db = db;
	l.conn = db_conn(db);
	l.err = err;
	strbuf_init(&l.buf);

	rc = db_simple(db, load_table_sql);
	if (rc != 0)
		return sql_fail(db, err, rc, "creating the load table");
	rc = db_exec(db, NULL, PGRES_COPY_IN,
	    "COPY settlement_load (line, txn_id, category, created_at,"
	    " available_on, currency, gross, fee, net, payment_ref, charge_ref,"
	    " source_ref, order_ref, payout_id, sku) FROM STDIN", 0, NULL);
	if (rc != 0)
		return sql_fail(db, err, rc, "starting COPY");
	rc = settlement_read_file(path, f, copy_row, &l, &st->rows, err);
	end_rc = copy_end(&l, rc != 0 ? "settlement file refused" : NULL);
	strbuf_release(&l.buf);
	if (rc != 0)
		return rc;
	if (end_rc != 0)
		return end_rc;

	/* TALLY_DEBUG=1 shows where a slow load spends its time */
	log_debug("settlement: %lu rows read and sent in %.3f s", st->rows,
	    log_clock() - t0);
	/* temp tables are never analysed automatically; the joins below
	 * need to know there may be a million rows */
	rc = db_simple(db, "ANALYZE settlement_load");
	if (rc == 0)
		rc = check_duplicates(db, path, f, err);
	if (rc != 0)
		return rc == TALLY_EDATA ? rc : sql_fail(db, err, rc, "analyze");

	log_debug("settlement: checked in %.3f s", log_clock() - t0);
	snprintf(runbuf, sizeof(runbuf), "%lld", run_id);
	params[0] = f->provider;
	params[1] = f->name;
	params[2] = path;
	params[3] = runbuf;
	rc = db_query(db, &res, update_sql, 4, params);
	if (rc != 0)
		return sql_fail(db, err, rc, "updating settlement rows");
	st->updated = db_value_ll(res, 0, 0, 0);
	st->matched = db_value_ll(res, 0, 1, 0);
	PQclear(res);
	rc = db_command(db, NULL, known_sql, 1, params);
	if (rc != 0)
		return sql_fail(db, err, rc, "sorting out known rows");
	rc = db_query(db, &res, insert_sql, 4, params);
	if (rc != 0)
		return sql_fail(db, err, rc, "storing settlement rows");
	st->inserted = db_value_ll(res, 0, 0, 0);
	st->matched += db_value_ll(res, 0, 1, 0);
	PQclear(res);
	log_debug("settlement: stored in %.3f s", log_clock() - t0);
	if (st->inserted + st->updated >= ANALYZE_AFTER) {
		rc = db_simple(db, "SELECT tally_settlement_analyze()");
		if (rc != 0)
			return sql_fail(db, err, rc, "analyzing settlement rows");
		log_debug("settlement: analyzed in %.3f s", log_clock() - t0);
	}
	/* the rows the payment reference did not match: every other way */
	if ((rc = settlement_rematch(db, NULL)) != 0)
		return sql_fail(db, err, rc, "matching settlement rows");
	log_debug("settlement: rematched in %.3f s", log_clock() - t0);
	return db_simple(db, "DROP TABLE settlement_load");
}

/*
 * Every way a stored row without a payment can match one of ours, best
 * first: a payment whose provider id is the row's payment, charge or
 * source reference; else an order whose provider reference is the row's
 * order or payment reference (then that order's first succeeded
 * payment).  Only rows still unmatched, through the partial index
 * settlement_rows_unmatched, so it stays cheap when the webhooks have come.
 */
static const char rematch_sql[] =
    "WITH m AS ("
    " SELECT DISTINCT ON (x.provider, x.txn_id) x.provider, x.txn_id,"
    "        x.payment_id, x.order_id"
    "   FROM (SELECT s.provider, s.txn_id, y.id AS payment_id, y.order_id,"
    "                v.pri"
    "           FROM settlement_rows s"
    "          CROSS JOIN LATERAL (VALUES (1, s.payment_ref),"
    "                (2, s.charge_ref), (3, s.source_ref)) v(pri, ref)"
    "           JOIN rc_src c ON c.scheme = s.provider"
    "           JOIN payments y ON y.source = c.source"
    "                AND y.provider_payment_id = v.ref"
    "          WHERE s.payment_id IS NULL"
    "            AND s.kind IN ('charge', 'refund', 'dispute')"
    "         UNION ALL"
    "         SELECT s.provider, s.txn_id,"
    "                (SELECT min(y.id) FROM payments y"
    "                  WHERE y.order_id = o.id"
    "                    AND y.status = 'SUCCEEDED'),"
    "                o.id, v.pri"
    "           FROM settlement_rows s"
    "          CROSS JOIN LATERAL (VALUES (4, s.order_ref),"
    "                (5, s.payment_ref)) v(pri, ref)"
    "           JOIN rc_src c ON c.scheme = s.provider"
    "           JOIN orders o ON o.source = c.source"
    "                AND o.provider_ref = v.ref"
    "          WHERE s.payment_id IS NULL"
    "            AND s.kind IN ('charge', 'refund', 'dispute')) x"
    "  ORDER BY x.provider, x.txn_id, x.payment_id IS NULL, x.pri)"
    " UPDATE settlement_rows s SET payment_id = m.payment_id,"
    "        order_id = m.order_id"
    "   FROM m"
    "  WHERE s.provider = m.provider AND s.txn_id = m.txn_id"
    "    AND (m.payment_id IS NOT NULL OR m.order_id IS DISTINCT FROM s.order_id)";

/*
 * Sources and the scheme each speaks: the config's [source NAME] sections
 * first, else the scheme its deliveries were stored with, else the source
 * named like a scheme (tests and imports that have no raw events).  The
 * distinct sources come from a loose scan of orders' (source,
 * provider_ref) index: a handful of index probes, not a scan of orders.
 */
static const char sources_sql[] =
    "CREATE TEMP TABLE rc_src ON COMMIT DROP AS"
    " WITH RECURSIVE s(source) AS ("
    "   (SELECT source FROM orders ORDER BY source LIMIT 1)"
    "   UNION ALL"
    "   SELECT (SELECT o.source FROM orders o WHERE o.source > s.source"
    "            ORDER BY o.source LIMIT 1)"
    "     FROM s WHERE s.source IS NOT NULL),"
    " cfg AS (SELECT * FROM unnest($1::text[], $2::text[]) AS t(source, scheme))"
    " SELECT s.source, coalesce(cfg.scheme,"
    "        (SELECT r.scheme FROM raw_events r WHERE r.source = s.source"
    "          LIMIT 1),"
    "        CASE WHEN s.source IN ('stripe', 'midtrans', 'xendit')"
    "             THEN s.source END) AS scheme"
    "   FROM s LEFT JOIN cfg ON cfg.source = s.source"
    "  WHERE s.source IS NOT NULL";

int
settlement_prepare(struct db *db, const struct config *cfg)
{
	struct strbuf names = STRBUF_INIT, schemes = STRBUF_INIT;
	const char **n = NULL, **k = NULL;
	const char *params[2];
	size_t count = cfg != NULL ? cfg->nsources : 0;
	int rc;

	if (count > 0) {
		n = xcalloc(count, sizeof(*n));
		k = xcalloc(count, sizeof(*k));
		for (size_t i = 0; i < count; i++) {
			n[i] = cfg->sources[i].name;
			k[i] = config_scheme_name(cfg->sources[i].scheme);
		}
	}
	db_array_literal(&names, n, count);
	db_array_literal(&schemes, k, count);
	params[0] = names.buf;
	params[1] = schemes.buf;
	rc = db_command(db, NULL, sources_sql, 2, params);
	free(n);
	free(k);
	strbuf_release(&names);
	strbuf_release(&schemes);
	return rc;
}

int
settlement_rematch(struct db *db, long long *matched)
{
	long long n = 0;
	int rc;

	rc = db_command(db, &n, rematch_sql, 0, NULL);
	if (matched != NULL)
		*matched = n;
	return rc;
}
