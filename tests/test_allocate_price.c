/*
 * test_allocate_price - every paid order is checked against its product's
 * price before anything is given, and no payment is lost from the books
 * (issue 10, items 1 and 2):
 *   - 0.01 USD for a 20.00 USD seat is held (UNDERPAID), a case opens and
 *     the orders_held alert is raised; reconcile finds the same case, and
 *     closes it once an admin approves the order (ops_order_approve, as
 *     tallyctl order approve does), which the next tally-allocate fulfils;
 *   - EUR for a USD product is held (CURRENCY_MISMATCH);
 *   - held orders paid before reconcile's window have their cases closed
 *     once approved (a hold is state, not an event of the period);
 *   - more than the price is fulfilled, with an OVERPAID warning case;
 *   - a coupon's price at or above the product's min_price passes;
 *   - a payment naming an unknown sku becomes a held order with its money
 *     and customer, shows in the weekly report (Revenue "(unknown)", the
 *     SLA's "Unknown product" row, Paid unfulfilled) and as a case, and is
 *     fulfilled by the first tally-allocate after the product is added
 *     (ops_product_add, as tallyctl product add does);
 *   - a held order refunded in full needs nothing more.
 * Real database; times are the database's own, never a sleep.
 */
#include "support/alloc_test.h"
#include "support/sheet_test.h"

#include "books/alert.h"
#include "ops/order.h"
#include "ops/product.h"

/* An admin's operation context, as tallyctl and tally-admin make it
 * (role tally_admin); ops_release() and db_free(o->db) after. */
static void
admin_ops(struct ops *o)
{
	struct db *db = NULL;

	if (db_connect_url(&db, t_url, "test", "tally_admin") != 0)
		fail_msg("cannot connect as tally_admin");
	ops_init(o, db, "admin", false);
}

static void
admin_done(struct ops *o)
{
	db_free(o->db);
	ops_release(o);
}

static void
refund(const char *order, const char *amount, const char *refunded)
{
	char evt[96], *created;

	snprintf(evt, sizeof(evt), "evt_re_%s_%s", order, refunded);
	created = t_str(t_su, "SELECT extract(epoch FROM now())::bigint::text");
	t_deliver_free(t_su, "stripe", "stripe", evt,
	    t_fixture("stripe_charge_refunded.json", "EVT", evt, "CREATED",
	    created, "ORDER", order, "AMOUNT", amount, "REFUNDED", refunded,
	    "FULL", strcmp(amount, refunded) == 0 ? "true" : "false",
	    "CURRENCY", "usd", "EMAIL", "x@example.com", NULL));
	free(created);
}

static void
seed(void)
{
	t_exec(t_su, "INSERT INTO products (sku, name, kind, duration_days,"
	    " credits, price_minor, min_price_minor, currency) VALUES"
	    " ('seat-20', 'Seat, 30 days', 'SEAT', 30, NULL, 2000, NULL, 'USD'),"
	    " ('seat-coupon', 'Seat, 30 days', 'SEAT', 30, NULL, 2000, 1500,"
	    "  'USD'),"
	    " ('credits-500', '500 credits', 'CREDITS', NULL, 500, 3900, NULL,"
	    "  'USD')");
	t_pool(10);
}

/* category|keys|amount|currency|severity|status|occurrences, per case */
static void
expect_cases(const char *want)
{
	t_expect_str(t_su, "SELECT coalesce(string_agg(concat_ws('|', category,"
	    " keys::text, amount_minor, currency, severity, status, occurrences),"
	    " E'\\n' ORDER BY id), '') FROM reconcile_cases", want);
}

/* Evaluate the alerts (no URL: logged only); the active flag of key. */
static char *
alert_state(const char *key)
{
	struct alert_opts o;
	struct alert_result r;
	struct db *db = t_batch_conn();
	struct strbuf sql = STRBUF_INIT;
	char *v;

	memset(&o, 0, sizeof(o));
	o.seat_threshold = 0;
	o.suspensions = 1000;
	o.program = "test";
	assert_int_equal(alert_run(db, &o, &r), 0);
	db_free(db);
	strbuf_addf(&sql, "SELECT concat_ws(' ', active, summary) FROM alerts"
	    " WHERE key = '%s'", key);
	v = t_str(t_su, sql.buf);
	strbuf_release(&sql);
	return v;
}

static void
expect_alert(const char *key, const char *want)
{
	char *got = alert_state(key);

	assert_string_equal(got, want);
	free(got);
}

/* An admin approves held order id (tallyctl order approve): it is PAID. */
static void
approve(long long id)
{
	struct ops_order_approve_req req = { .id = id,
	    .reason = "a test payment" };
	struct ops o;
	json_t *out = NULL;

	admin_ops(&o);
	assert_int_equal(ops_order_approve(&o, &req, &out), 0);
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(out, "item"), "status")), "PAID");
	json_decref(out);
	admin_done(&o);
}

static void
test_underpaid_held_then_approved(void **state)
{
	struct allocate_stats st;
	char sql[200];
	long long id;

	(void)state;
	seed();
	id = t_underpaid_held("U1", &st);
	assert_int_equal(st.held_total, 1);
	assert_int_equal(st.seats, 0);
	t_expect_str(t_su, "SELECT concat_ws(' ', status, hold_reason, amount_minor,"
	    " currency, price_minor, held_at IS NOT NULL) FROM orders",
	    "HELD UNDERPAID 1 USD 2000 t");
	/* nothing given, nothing waiting in the queue, the event done */
	t_expect_ll(t_su, "SELECT count(*) FROM assignments", 0);
	t_expect_ll(t_su, "SELECT count(*) FROM fulfil_queue", 0);
	t_expect_str(t_su, "SELECT status FROM raw_events", "DONE");
	/* a case at once, what is missing as its amount; the alert raised */
	snprintf(sql, sizeof(sql), "UNDERPAID|{\"order_id\": %lld}|1999|USD|"
	    "error|OPEN|1", id);
	expect_cases(sql);
	t_expect_str(t_su, "SELECT concat_ws(' ', details->>'sku',"
	    " details->>'paid', details->>'price', details->>'customer_email')"
	    " FROM reconcile_cases", "seat-20 0.01 20.00 cheap@example.com");
	expect_alert("orders_held", "t 1 paid order(s) held for an admin "
	    "(1 UNDERPAID)");

	/* a rerun changes nothing: still held, no second case */
	t_allocate_holds(&st, 0);
	assert_int_equal(st.held_total, 1);
	/* reconcile finds the very case allocate opened (one more sighting) */
	assert_int_equal(t_reconcile(), TALLY_EPROBLEMS);
	snprintf(sql, sizeof(sql), "UNDERPAID|{\"order_id\": %lld}|1999|USD|"
	    "error|OPEN|2", id);
	expect_cases(sql);

	/* an admin approves it (tallyctl order approve) */
	approve(id);
	t_allocate_expect(&st, 1, 0);
	assert_int_equal(st.held_total, 0);
	t_expect_str(t_su, "SELECT concat_ws(' ', o.status, o.approved_by,"
	    " a.status) FROM orders o JOIN assignments a ON a.order_id = o.id",
	    "PAID admin ACTIVE");
	/* the problem is gone: reconcile closes the case, the alert ends */
	assert_int_equal(t_reconcile(), 0);
	t_expect_str(t_su, "SELECT status FROM reconcile_cases", "CLOSED");
	expect_alert("orders_held", "f 0 paid order(s) held for an admin "
	    "(none)");
}

static void
test_currency_mismatch_held(void **state)
{
	struct allocate_stats st;
	char sql[200];

	(void)state;
	seed();
	t_pay("E1", "seat-20", "2000", "eur", "euro@example.com");
	/* the right figure, the wrong money: a credit package too */
	t_pay("E2", "credits-500", "3900", "eur", "euro@example.com");
	t_allocate_holds(&st, 2);
	t_expect_str(t_su, "SELECT string_agg(concat_ws(' ', provider_ref, status,"
	    " hold_reason, currency), ', ' ORDER BY id) FROM orders",
	    "pi_E1 HELD CURRENCY_MISMATCH EUR, pi_E2 HELD CURRENCY_MISMATCH EUR");
	t_expect_ll(t_su, "SELECT count(*) FROM fulfilments", 0);
	t_expect_ll(t_su, "SELECT count(*) FROM credit_ledger", 0);
	snprintf(sql, sizeof(sql), "CURRENCY_MISMATCH|{\"order_id\": %lld}|2000|"
	    "EUR|error|OPEN|1\nCURRENCY_MISMATCH|{\"order_id\": %lld}|3900|EUR|"
	    "error|OPEN|1", t_order_id("E1"), t_order_id("E2"));
	expect_cases(sql);
	t_expect_str(t_su, "SELECT details->>'price_currency' FROM reconcile_cases"
	    " ORDER BY id LIMIT 1", "USD");
}

/*
 * A hold is state, not an event of a period: orders paid before
 * reconcile's window, held (CURRENCY_MISMATCH, which is also the
 * period-scoped category of a settlement row, and UNDERPAID) and approved
 * since, have their cases closed by the next reconcile, whatever its
 * window.
 */
static void
test_held_before_window_closes(void **state)
{
	struct allocate_stats st;
	int rc;
	const char *ten_days_ago = "SELECT (extract(epoch FROM now())::bigint"
	    " - 10 * 86400)::text";

	(void)state;
	seed();
	t_pay_at("E3", "seat-20", "2000", "eur", "euro@example.com",
	    ten_days_ago);
	t_pay_at("U3", "seat-20", "1", "usd", "cheap@example.com",
	    ten_days_ago);
	t_allocate_holds(&st, 2);
	t_expect_str(t_su, "SELECT string_agg(category || ' ' || status, ', '"
	    " ORDER BY category) FROM reconcile_cases",
	    "CURRENCY_MISMATCH OPEN, UNDERPAID OPEN");
	approve(t_order_id("E3"));
	approve(t_order_id("U3"));
	t_allocate_expect(&st, 2, 0);
	/* t_reconcile's window opens three days ago, after both payments */
	t_expect_ll(t_su, "SELECT count(*) FROM orders"
	    " WHERE paid_at >= now() - interval '4 days'", 0);
	rc = t_reconcile();
	t_expect_str(t_su, "SELECT string_agg(concat_ws(' ', category, status,"
	    " closed_run_id IS NOT NULL), ', ' ORDER BY category)"
	    " FROM reconcile_cases",
	    "CURRENCY_MISMATCH CLOSED t, UNDERPAID CLOSED t");
	assert_int_equal(rc, 0);
}

static void
test_overpaid_fulfilled_with_case(void **state)
{
	struct allocate_stats st;
	char sql[200];

	(void)state;
	seed();
	t_pay("O1", "seat-20", "2500", "usd", "generous@example.com");
	t_allocate_expect(&st, 1, 0);
	assert_int_equal(st.overpaid, 1);
	t_expect_str(t_su, "SELECT concat_ws(' ', status, price_minor) FROM orders",
	    "PAID 2000");
	snprintf(sql, sizeof(sql), "OVERPAID|{\"order_id\": %lld}|500|USD|"
	    "warning|OPEN|1", t_order_id("O1"));
	expect_cases(sql);
	/* reconcile agrees (same case); a warning is still a problem (the
	 * default reconcile_severity) */
	assert_int_equal(t_reconcile(), TALLY_EPROBLEMS);
	snprintf(sql, sizeof(sql), "OVERPAID|{\"order_id\": %lld}|500|USD|"
	    "warning|OPEN|2", t_order_id("O1"));
	expect_cases(sql);
	/* the difference refunded: the seat stays, the case closes */
	refund("O1", "2500", "500");
	assert_int_equal(t_allocate_checked(&st), 0);
	t_expect_str(t_su, "SELECT status FROM assignments", "ACTIVE");
	assert_int_equal(t_reconcile(), 0);
	t_expect_str(t_su, "SELECT status FROM reconcile_cases", "CLOSED");
}

static void
test_min_price_coupon(void **state)
{
	struct allocate_stats st;

	(void)state;
	seed();
	t_pay("C1", "seat-coupon", "1500", "usd", "coupon@example.com");
	t_pay("C2", "seat-coupon", "1499", "usd", "greedy@example.com");
	t_allocate_expect(&st, 1, 1);
	t_expect_orders("pi_C1 PAID, pi_C2 HELD UNDERPAID");
	/* what is missing is measured from the lowest accepted price */
	t_expect_str(t_su, "SELECT concat_ws(' ', category, amount_minor)"
	    " FROM reconcile_cases", "UNDERPAID 1");
}

static void
test_unknown_product(void **state)
{
	struct allocate_stats st;
	char *from, *to, *as_of, sql[200];
	long long id;

	(void)state;
	seed();
	t_pay("N1", "seat-new", "3000", "usd", "early@example.com");
	assert_int_equal(t_allocate_checked(&st), TALLY_EPROBLEMS);
	assert_int_equal(st.ev.done, 1);
	assert_int_equal(st.ev.failed, 0);
	assert_int_equal(st.held, 1);
	id = t_order_id("N1");
	/* an order all the same: its money and its customer, no product */
	t_expect_str(t_su, "SELECT concat_ws(' ', o.status, o.hold_reason, o.sku,"
	    " o.product_id IS NULL, o.amount_minor, o.currency, c.email)"
	    " FROM orders o JOIN customers c ON c.id = o.customer_id",
	    "HELD UNKNOWN_PRODUCT seat-new t 3000 USD early@example.com");
	t_expect_str(t_su, "SELECT concat_ws(' ', status, amount_minor)"
	    " FROM payments", "SUCCEEDED 3000");
	snprintf(sql, sizeof(sql), "UNKNOWN_PRODUCT|{\"order_id\": %lld}|3000|"
	    "USD|error|OPEN|1", id);
	expect_cases(sql);

	/* the weekly report shows the money and the wait */
	from = t_str(t_su, "SELECT to_char((now() - interval '3 days')"
	    " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
	to = t_str(t_su, "SELECT to_char((now() + interval '1 day')"
	    " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
	as_of = t_later();
	rs_expect(t_su, "reports/weekly/07_revenue.sql", from, to, as_of, "UTC",
	    "currency|sku|product|payments|gross|refunds|refunded|chargebacks|"
	    "charged_back|net\n"
	    "USD|(unknown)|NULL|1|30.00|0|0.00|0|0.00|30.00\n"
	    "USD|All products|NULL|1|30.00|0|0.00|0|0.00|30.00\n");
	rs_expect(t_su, "reports/weekly/04_fulfilment_sla.sql", from, to, as_of,
	    "UTC", "orders|paid|fulfilled|within_sla|unfulfilled|success_rate|"
	    "median_seconds|p95_seconds\n"
	    "Unknown product|1|0|0|1|0.0000|NULL|NULL\n"
	    "All paid orders|1|0|0|1|0.0000|NULL|NULL\n");
	{
		char *text = rs_sheet_text(t_su, "reports/weekly/05_unfulfilled.sql",
		    from, to, as_of, "UTC");

		/* one row, the order with its customer and amount */
		if (strstr(text, "|stripe|pi_N1|early@example.com|NULL|NULL|30.00|"
		    "USD\n") == NULL)
			fail_msg("Paid unfulfilled lacks the order:\n%s", text);
		free(text);
	}

	/* the admin adds the product (tallyctl product add); the next run
	 * fulfils the order */
	{
		struct ops_product_req req = { .sku = "seat-new",
		    .name = "New seat", .kind = "seat", .days = 30,
		    .price = "30.00", .currency = "USD" };
		struct ops o;
		json_t *out = NULL;

		admin_ops(&o);
		assert_int_equal(ops_product_add(&o, &req, &out), 0);
		json_decref(out);
		admin_done(&o);
	}
	t_allocate_expect(&st, 1, 0);
	assert_int_equal(st.released, 1);
	t_expect_str(t_su, "SELECT concat_ws(' ', o.status, o.hold_reason IS NULL,"
	    " p.sku, a.status) FROM orders o JOIN products p ON p.id = o.product_id"
	    " JOIN assignments a ON a.order_id = o.id", "PAID t seat-new ACTIVE");
	/* now a product's revenue, no longer unknown */
	rs_expect(t_su, "reports/weekly/07_revenue.sql", from, to, as_of, "UTC",
	    "currency|sku|product|payments|gross|refunds|refunded|chargebacks|"
	    "charged_back|net\n"
	    "USD|seat-new|New seat|1|30.00|0|0.00|0|0.00|30.00\n"
	    "USD|All products|NULL|1|30.00|0|0.00|0|0.00|30.00\n");
	assert_int_equal(t_reconcile(), 0);
	t_expect_str(t_su, "SELECT status FROM reconcile_cases", "CLOSED");
	free(from);
	free(to);
	free(as_of);
}

/* A held order refunded in full: REFUNDED, nothing to give, case closed. */
static void
test_held_then_refunded(void **state)
{
	struct allocate_stats st;

	(void)state;
	seed();
	t_pay("R1", "seat-20", "1000", "usd", "half@example.com");
	assert_int_equal(t_allocate_checked(&st), TALLY_EPROBLEMS);
	refund("R1", "1000", "1000");
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.held_total, 0);
	t_expect_str(t_su, "SELECT concat_ws(' ', status, hold_reason) FROM orders",
	    "REFUNDED UNDERPAID");
	t_expect_ll(t_su, "SELECT count(*) FROM assignments", 0);
	t_expect_ll(t_su, "SELECT count(*) FROM fulfil_queue", 0);
	assert_int_equal(t_reconcile(), 0);
	t_expect_str(t_su, "SELECT status FROM reconcile_cases", "CLOSED");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
		T(test_underpaid_held_then_approved),
		T(test_currency_mismatch_held),
		T(test_held_before_window_closes),
		T(test_overpaid_fulfilled_with_case),
		T(test_min_price_coupon),
		T(test_unknown_product),
		T(test_held_then_refunded),
#undef T
	};

	testdb_require();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
