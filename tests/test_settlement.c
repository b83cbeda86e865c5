/*
 * test_settlement - settlement exports (lib/books/settlement.h): timestamps,
 * exact major-unit amounts per currency, columns by header name, the CSV
 * forms people and providers produce (BOM, CRLF, quoted commas and line
 * breaks), every bad row named by file, physical line and column, config
 * mappings; and, against a database, the COPY load: stored, matched,
 * idempotent on a second load, updated by a corrected export, refused
 * whole on a duplicate id.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "pg/db.h"
#include "base/err.h"
#include "base/log.h"
#include "books/settlement.h"
#include "base/strbuf.h"
#include "support/testdb.h"
#include "support/tfile.h"

/* Rows a read handed on, one line of text each. */
struct seen {
	struct strbuf text;
	unsigned long rows;
};

static int
collect(const struct settlement_row *r, void *arg)
{
	struct seen *s = arg;

	s->rows++;
	strbuf_addf(&s->text, "%lu|%s|%s|%s|%s|%s|%lld|%lld|%lld|%s|%s|%s|%s|"
	    "%s|%s\n", r->line, r->txn_id, r->category, r->created,
	    r->available, r->currency, (long long)r->gross, (long long)r->fee,
	    (long long)r->net, r->payment_ref ? r->payment_ref : "-",
	    r->charge_ref ? r->charge_ref : "-",
	    r->source_ref ? r->source_ref : "-",
	    r->order_ref ? r->order_ref : "-",
	    r->payout_id ? r->payout_id : "-", r->sku ? r->sku : "-");
	return 0;
}

static int
read_stripe(const char *csv, struct seen *s, struct strbuf *err)
{
	struct settlement_format f;
	unsigned long rows = 0;
	int rc;

	assert_int_equal(settlement_format_get(NULL, "stripe", &f, err), 0);
	strbuf_init(&s->text);
	s->rows = 0;
	strbuf_reset(err);
	rc = settlement_read_mem(csv, strlen(csv), "set.csv", &f, collect, s,
	    &rows, err);
	return rc;
}

static void
test_parse_time(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "2026-11-03", "2026-11-03T00:00:00Z" },
		{ "2026-11-03 10:15", "2026-11-03T10:15:00Z" },
		{ "2026-11-03 10:15:07", "2026-11-03T10:15:07Z" },
		{ "2026-11-03T10:15:07Z", "2026-11-03T10:15:07Z" },
		{ "2026-11-03T10:15:07.25Z", "2026-11-03T10:15:07.25Z" },
		{ "2026-11-03 10:15:07.123456", "2026-11-03T10:15:07.123456Z" },
		/* Jakarta local time, as Midtrans writes it */
		{ "2026-11-03 05:00:00 +07:00", "2026-11-02T22:00:00Z" },
		{ "2026-11-03T05:00:00+0700", "2026-11-02T22:00:00Z" },
		{ "2026-01-01T00:30:00+01", "2025-12-31T23:30:00Z" },
		{ "2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00Z" },
		{ "2028-02-29", "2028-02-29T00:00:00Z" },
	};
	static const char *const bad[] = {
		"", "2026-11", "2026-13-01", "2026-02-30", "2027-02-29",
		"2026-11-03 24:00", "2026-11-03 10:60", "2026-11-03 10:15:60",
		"2026-11-03T10:15:07.1234567", "2026-11-03T10:15:07.",
		"2026-11-03 10:15 +25:00", "2026-11-03x", "03/11/2026",
		"1969-12-31", "2026-11-03 10:15:07 UTC",
	};
	char out[40];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(settlement_parse_time(ok[i].in, out), 0);
		assert_string_equal(out, ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (settlement_parse_time(bad[i], out) != TALLY_EDATA)
			fail_msg("accepted bad time '%s' as %s", bad[i], out);
	}
}

/*
 * Columns by name in any order with extra ones ignored, a byte order
 * mark, CRLF, a quoted comma and a quoted line break (the next record's
 * line number counts it), exact amounts in USD, JPY and KWD, negative
 * refunds, optional columns used when present.
 */
static void
test_stripe_rows(void **state)
{
	const char *csv =
	    "\xef\xbb\xbf" "description,net,fee,gross,currency,reporting_category,"
	    "created_utc,balance_transaction_id,payment_intent_id,charge_id,"
	    "source_id,automatic_payout_id,payment_metadata[order_id],"
	    "payment_metadata[sku],available_on_utc,extra\r\n"
	    "\"Seat, 30 days\",9.41,0.59,10.00,usd,charge,2026-11-03 10:00:05,"
	    "txn_1,pi_1,ch_1,ch_1,po_1,ord_1,SEAT30,2026-11-05,x\r\n"
	    "\"two\r\nlines\",1450,50,1500,JPY,charge,2026-11-04 00:00:00,"
	    "txn_2,pi_2,,,,,,,\r\n"
	    "k,1.200,0.034,1.234,kwd,charge,2026-11-04,txn_3,,,,,,,,\r\n"
	    "r,-10.00,0.00,-10.00,usd,refund,2026-11-05 12:00,txn_4,pi_1,ch_1,"
	    "re_1,po_1,,,,\r\n";
	struct strbuf err = STRBUF_INIT;
	struct seen s;

	(void)state;
	assert_int_equal(read_stripe(csv, &s, &err), 0);
	assert_int_equal(s.rows, 4);
	assert_string_equal(s.text.buf,
	    "2|txn_1|charge|2026-11-03T10:00:05Z|2026-11-05T00:00:00Z|USD|1000|59|"
	    "941|pi_1|ch_1|ch_1|ord_1|po_1|SEAT30\n"
	    "3|txn_2|charge|2026-11-04T00:00:00Z||JPY|1500|50|1450|pi_2|-|-|-|-|-\n"
	    "5|txn_3|charge|2026-11-04T00:00:00Z||KWD|1234|34|1200|-|-|-|-|-|-\n"
	    "6|txn_4|refund|2026-11-05T12:00:00Z||USD|-1000|0|-1000|pi_1|ch_1|"
	    "re_1|-|po_1|-\n");
	assert_string_equal(strbuf_str(&err), "");
	strbuf_release(&s.text);
	strbuf_release(&err);
}

/* Every bad row is named with its physical line and column; none is
 * handed on after the first; reading goes on to the end. */
static void
test_bad_rows(void **state)
{
	const char *csv =
	    "balance_transaction_id,created_utc,currency,gross,fee,net,"
	    "reporting_category,description\n"
	    "txn_1,2026-11-03 10:00,usd,10.00,0.59,9.41,charge,ok\n"
	    "txn_2,2026-11-03 10:00,usd,10.001,0.59,9.41,charge,\"a\nb\"\n"
	    "txn_3,2026-11-31 10:00,usd,10.00,0.59,9.41,charge,x\n"
	    "txn_4,2026-11-03 10:00,US,10.00,0.59,9.41,charge,x\n"
	    ",2026-11-03 10:00,usd,10.00,0.59,9.41,charge,x\n"
	    "txn_6,2026-11-03 10:00,usd,1e3,,9.41,charge,x\n"
	    "txn_7,2026-11-03 10:00,jpy,10.5,0,10.5,charge,x\n"
	    "txn_8,2026-11-03 10:00,usd,99999999999999999999,0,0,charge,x\n"
	    "txn_9,2026-11-03 10:00,usd,1.00,0.00,1.00,charge,x\n";
	struct strbuf err = STRBUF_INIT;
	struct seen s;

	(void)state;
	assert_int_equal(read_stripe(csv, &s, &err), TALLY_EDATA);
	/* the good row before the first bad one was handed on; after it,
	 * nothing (txn_9 is fine but the file is refused) */
	assert_int_equal(s.rows, 1);
	assert_string_equal(strbuf_str(&err),
	    "set.csv:3: gross: '10.001' is not an amount in USD (a decimal with "
	    "at most 2 decimals)\n"
	    "set.csv:5: created_utc: '2026-11-31 10:00' is not a date and time "
	    "(YYYY-MM-DD HH:MM:SS, UTC unless an offset is given)\n"
	    "set.csv:6: currency: 'US' is not an ISO 4217 currency code\n"
	    "set.csv:7: balance_transaction_id: empty id\n"
	    "set.csv:8: gross: '1e3' is not an amount in USD (a decimal with at "
	    "most 2 decimals)\n"
	    "set.csv:8: fee: empty amount\n"
	    "set.csv:9: gross: '10.5' is not an amount in JPY (a decimal with at "
	    "most 0 decimals)\n"
	    "set.csv:9: net: '10.5' is not an amount in JPY (a decimal with at "
	    "most 0 decimals)\n"
	    "set.csv:10: gross: '99999999999999999999' is out of range\n");
	strbuf_release(&s.text);
	strbuf_release(&err);
}

static void
test_missing_column(void **state)
{
	struct strbuf err = STRBUF_INIT;
	struct seen s;

	(void)state;
	assert_int_equal(read_stripe("balance_transaction_id,created_utc,"
	    "currency,gross,net,reporting_category\n"
	    "txn_1,2026-11-03,usd,1.00,1.00,charge\n", &s, &err), TALLY_EDATA);
	assert_string_equal(strbuf_str(&err),
	    "set.csv:1: missing column \"fee\" in the header\n");
	strbuf_release(&s.text);
	/* malformed CSV is the reader's to name */
	assert_int_equal(read_stripe("balance_transaction_id,created_utc,"
	    "currency,gross,fee,net,reporting_category\n"
	    "txn_1,2026-11-03,usd,1.00,0,1.00,charge\n"
	    "txn_2,2026-11-03,usd,1.00,0,1.00,ch\"arge\n", &s, &err), TALLY_EDATA);
	assert_non_null(strstr(strbuf_str(&err), "set.csv:3: "));
	strbuf_release(&s.text);
	strbuf_release(&err);
}

/* More than SETTLEMENT_MAX_ERRORS bad rows: the first are listed, the
 * rest counted. */
static void
test_error_cap(void **state)
{
	struct strbuf csv = STRBUF_INIT, err = STRBUF_INIT;
	struct seen s;
	const char *tail;

	(void)state;
	strbuf_addstr(&csv, "balance_transaction_id,created_utc,currency,gross,"
	    "fee,net,reporting_category\n");
	for (int i = 0; i < SETTLEMENT_MAX_ERRORS + 7; i++)
		strbuf_addf(&csv, "t%d,2026-11-03,usd,x,0,1.00,charge\n", i);
	assert_int_equal(read_stripe(csv.buf, &s, &err), TALLY_EDATA);
	tail = strstr(strbuf_str(&err), "set.csv: 7 more bad rows not shown\n");
	assert_non_null(tail);
	assert_string_equal(tail, "set.csv: 7 more bad rows not shown\n");
	strbuf_release(&s.text);
	strbuf_release(&csv);
	strbuf_release(&err);
}

static char *tmpdir;

/* A [settlement NAME] mapping: minor units, a default currency, every
 * mapped column required, and the checks of the section itself. */
static void
test_config_format(void **state)
{
	struct config cfg;
	struct settlement_format f;
	struct strbuf err = STRBUF_INIT;
	struct seen s;
	const char *path;

	(void)state;
	path = tfile_write(tmpdir, "tally.conf",
	    "[settlement xendit]\n"
	    "provider = xendit\n"
	    "col_id = Reference\n"
	    "col_order = Invoice ID\n"
	    "col_created = Date\n"
	    "col_gross = Amount\n"
	    "col_fee = Fee\n"
	    "amount_units = minor\n"
	    "default_currency = idr\n"
	    "[settlement broken]\n"
	    "provider = paypal\n"
	    "col_id = id\n");
	assert_int_equal(config_load(&cfg, path, &err), 0);
	assert_int_equal(settlement_format_get(&cfg, "xendit", &f, &err), 0);
	assert_string_equal(f.provider, "xendit");
	assert_true(f.minor_units);
	s.rows = 0;
	strbuf_init(&s.text);
	assert_int_equal(settlement_read_mem(
	    "Reference,Invoice ID,Date,Amount,Fee\n"
	    "x-1,inv_1,2026-11-03T05:00:00+07:00,15000000,450000\n",
	    strlen("Reference,Invoice ID,Date,Amount,Fee\n"
	    "x-1,inv_1,2026-11-03T05:00:00+07:00,15000000,450000\n"), "x.csv", &f,
	    collect, &s, NULL, &err), 0);
	/* no net column: net is gross - fee */
	assert_string_equal(s.text.buf, "2|x-1||2026-11-02T22:00:00Z||IDR|"
	    "15000000|450000|14550000|-|-|-|inv_1|-|-\n");
	strbuf_release(&s.text);

	strbuf_init(&s.text);
	assert_int_equal(settlement_read_mem("Reference,Date,Amount,Fee\n"
	    "x-1,2026-11-03,1.5,0\n", strlen("Reference,Date,Amount,Fee\n"
	    "x-1,2026-11-03,1.5,0\n"), "x.csv", &f, collect, &s, NULL, &err),
	    TALLY_EDATA);
	assert_string_equal(strbuf_str(&err),
	    "x.csv:1: missing column \"Invoice ID\" in the header\n");
	strbuf_reset(&err);
	assert_int_equal(settlement_read_mem("Reference,Invoice ID,Date,Amount,"
	    "Fee\nx-1,i,2026-11-03,1.5,0\n", strlen("Reference,Invoice ID,Date,"
	    "Amount,Fee\nx-1,i,2026-11-03,1.5,0\n"), "x.csv", &f, collect, &s,
	    NULL, &err), TALLY_EDATA);
	assert_string_equal(strbuf_str(&err),
	    "x.csv:2: Amount: '1.5' is not a whole number of minor units\n");
	strbuf_release(&s.text);

	strbuf_reset(&err);
	assert_int_equal(settlement_format_get(&cfg, "broken", &f, &err),
	    TALLY_ECONFIG);
	assert_string_equal(strbuf_str(&err),
	    "[settlement broken]: provider must be stripe, midtrans or xendit");
	strbuf_reset(&err);
	assert_int_equal(settlement_format_get(&cfg, "nosuch", &f, &err),
	    TALLY_ECONFIG);
	config_free(&cfg);
	strbuf_release(&err);
}

/* ---- against the database ---- */

static long long
count(struct db *db, const char *sql)
{
	char *v = NULL;
	long long n;

	assert_int_equal(db_query_value(db, &v, sql, 0, NULL), 0);
	n = strtoll(v, NULL, 10);
	free(v);
	return n;
}

struct loaded {
	int rc;
	struct settlement_stats st;
	struct strbuf err;
};

/* One load in its own transaction, committed when it worked. */
static void
load(struct db *db, const char *path, struct loaded *l)
{
	struct settlement_format f;
	char *run = NULL;

	strbuf_init(&l->err);
	assert_int_equal(settlement_format_get(NULL, "stripe", &f, &l->err), 0);
	assert_int_equal(db_begin(db, DB_REPEATABLE_READ), 0);
	assert_int_equal(settlement_prepare(db, NULL), 0);
	assert_int_equal(db_query_value(db, &run,
	    "INSERT INTO reconcile_runs (as_of, period_from, period_to, tz,"
	    " status) VALUES (now(), now() - interval '1 day', now(), 'UTC',"
	    " 'OK') RETURNING id", 0, NULL), 0);
	l->rc = settlement_load(db, path, &f, strtoll(run, NULL, 10), &l->st,
	    &l->err);
	free(run);
	if (l->rc == 0)
		assert_int_equal(db_commit(db), 0);
	else
		db_rollback(db);
}

/* load() that works: inserted new rows and updated changed ones. */
static void
load_ok(struct db *db, const char *path, long long inserted,
    long long updated)
{
	struct loaded l;

	load(db, path, &l);
	if (l.rc != 0)
		fail_msg("%s: %s", path, strbuf_str(&l.err));
	assert_int_equal(l.st.inserted, inserted);
	assert_int_equal(l.st.updated, updated);
	strbuf_release(&l.err);
}

/* load() refused with code, the message saying needle (NULL: any). */
static void
load_refused(struct db *db, const char *path, int code, const char *needle)
{
	struct loaded l;

	load(db, path, &l);
	assert_int_equal(l.rc, code);
	if (needle != NULL && strstr(strbuf_str(&l.err), needle) == NULL)
		fail_msg("%s: \"%s\" does not say \"%s\"", path,
		    strbuf_str(&l.err), needle);
	strbuf_release(&l.err);
}

static void
test_load(void **state)
{
	struct db *su = NULL, *db = NULL;
	struct loaded l;
	char *url = NULL, *v = NULL;
	const char *csv, *bad;

	(void)state;
	testdb_create(&url, &su);
	assert_int_equal(db_connect_url(&db, url, "test", "tally_batch"), 0);
	assert_int_equal(db_simple(su,
	    "INSERT INTO orders (source, provider_ref, amount_minor, currency,"
	    " status, paid_at) VALUES ('stripe', 'pi_1', 1000, 'USD', 'PAID',"
	    " now()), ('stripe', 'pi_2', 500, 'USD', 'PAID', now());"
	    "INSERT INTO payments (order_id, source, provider_payment_id,"
	    " amount_minor, currency, status, paid_at)"
	    " SELECT id, 'stripe', provider_ref, amount_minor, 'USD',"
	    " 'SUCCEEDED', now() FROM orders WHERE provider_ref = 'pi_1'"), 0);
	csv = tfile_write(tmpdir, "s1.csv",
	    "balance_transaction_id,created_utc,currency,gross,fee,net,"
	    "reporting_category,payment_intent_id,charge_id,"
	    "payment_metadata[order_id],automatic_payout_id\n"
	    /* matched by payment intent */
	    "txn_1,2026-11-03 10:00,usd,10.00,0.59,9.41,charge,pi_1,ch_1,,po_1\n"
	    /* by the order only (its payment is not recorded) */
	    "txn_2,2026-11-03 11:00,usd,5.00,0.45,4.55,charge,,ch_2,pi_2,po_1\n"
	    /* nothing of ours; a backslash and a tab survive COPY */
	    "txn_3,2026-11-03 12:00,usd,1.00,0.00,1.00,charge,\"pi\\x\ty\",,,\n"
	    "txn_po,2026-11-04,usd,-14.96,0.00,-14.96,payout,,,,po_1\n");
	load(db, csv, &l);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.st.rows, 4);
	assert_int_equal(l.st.inserted, 4);
	assert_int_equal(l.st.updated, 0);
	assert_int_equal(l.st.matched, 1);
	assert_int_equal(db_query_value(su, &v,
	    "SELECT string_agg(txn_id || ':' || kind || ':' || gross_minor || ':'"
	    " || fee_minor || ':' || net_minor || ':' || coalesce(payment_ref, '-')"
	    " || ':' || (payment_id IS NOT NULL) || ':' || (order_id IS NOT NULL)"
	    " || ':' || file_line, ' ' ORDER BY txn_id) FROM settlement_rows",
	    0, NULL), 0);
	assert_string_equal(v, "txn_1:charge:1000:59:941:pi_1:true:true:2 "
	    "txn_2:charge:500:45:455:-:false:true:3 "
	    "txn_3:charge:100:0:100:pi\\x\ty:false:false:4 "
	    "txn_po:payout:-1496:0:-1496:-:false:false:5");
	free(v);
	strbuf_release(&l.err);

	/* the same file again: nothing new, nothing changed */
	load_ok(db, csv, 0, 0);
	assert_int_equal(count(su, "SELECT count(*) FROM settlement_rows"), 4);

	/* the payment for pi_2 arrives: a rematch finds it */
	assert_int_equal(db_simple(su,
	    "INSERT INTO payments (order_id, source, provider_payment_id,"
	    " amount_minor, currency, status, paid_at)"
	    " SELECT id, 'stripe', provider_ref, amount_minor, 'USD',"
	    " 'SUCCEEDED', now() FROM orders WHERE provider_ref = 'pi_2'"), 0);
	{
		long long m = -1;

		assert_int_equal(db_begin(db, DB_READ_COMMITTED), 0);
		assert_int_equal(settlement_prepare(db, NULL), 0);
		assert_int_equal(settlement_rematch(db, &m), 0);
		assert_int_equal(db_commit(db), 0);
		assert_int_equal(m, 1);
	}
	assert_int_equal(count(su, "SELECT count(*) FROM settlement_rows"
	    " WHERE txn_id = 'txn_2' AND payment_id IS NOT NULL"), 1);

	/* a corrected export of one row: updated in place */
	csv = tfile_write(tmpdir, "s2.csv",
	    "balance_transaction_id,created_utc,currency,gross,fee,net,"
	    "reporting_category,payment_intent_id\n"
	    "txn_1,2026-11-03 10:00,usd,10.00,0.59,9.41,charge,pi_1\n");
	/* the row lost its payout and charge ids: that is a change */
	load_ok(db, csv, 0, 1);

	/* a duplicate id and a bad row: refused, nothing recorded */
	bad = tfile_write(tmpdir, "bad.csv",
	    "balance_transaction_id,created_utc,currency,gross,fee,net,"
	    "reporting_category\n"
	    "txn_9,2026-11-03,usd,1.00,0,1.00,charge\n"
	    "txn_10,2026-11-03,usd,1.00,0,1.00,charge\n"
	    "txn_9,2026-11-03,usd,2.00,0,2.00,charge\n");
	load_refused(db, bad, TALLY_EDATA,
	    "bad.csv:4: balance_transaction_id: 'txn_9' is already on line 2\n");
	bad = tfile_write(tmpdir, "bad2.csv",
	    "balance_transaction_id,created_utc,currency,gross,fee,net,"
	    "reporting_category\n"
	    "txn_11,2026-11-03,usd,1.00,0,1.00,charge\n"
	    "txn_12,2026-11-03,usd,1.0.0,0,1.00,charge\n");
	load_refused(db, bad, TALLY_EDATA, "bad2.csv:3: gross: ");
	assert_int_equal(count(su, "SELECT count(*) FROM settlement_rows"), 4);
	assert_int_equal(count(su, "SELECT count(*) FROM settlement_rows"
	    " WHERE txn_id IN ('txn_9', 'txn_10', 'txn_11')"), 0);

	/* a file that is not there */
	load_refused(db, "/nonexistent/settlement.csv", TALLY_EMISSING, NULL);

	db_free(db);
	db_free(su);
	free(url);
}

int
main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_stripe_rows),
		cmocka_unit_test(test_bad_rows),
		cmocka_unit_test(test_missing_column),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_config_format),
	};
	const struct CMUnitTest withdb[] = {
		cmocka_unit_test(test_load),
	};
	int failed;

	log_init("test_settlement");
	tmpdir = tfile_tempdir("tally-settlement-");
	failed = cmocka_run_group_tests_name("settlement", unit, NULL, NULL);
	if (getenv("TALLY_DATABASE_URL") != NULL &&
	    getenv("TALLY_TEST_ADMIN_URL") != NULL)
		failed += cmocka_run_group_tests_name("settlement_db", withdb,
		    NULL, NULL);
	else
		fprintf(stderr, "settlement_db: skipped: needs a database "
		    "(run under tests/run.sh)\n");
	tfile_remove_tree(tmpdir);
	free(tmpdir);
	return failed != 0;
}
