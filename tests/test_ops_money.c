/*
 * test_ops_money - the admin side of issue 10 (lib/ops), called directly
 * as tally-admin's API calls it, against a real database and the real
 * allocator:
 *   - a 0.01 USD payment for a 20.00 USD seat is held, listed with why and
 *     the price, approved by hand (audited in the same transaction; a dry
 *     run keeps nothing), then given its seat by the next tally-allocate;
 *     approving again, or an order that is not held, is refused;
 *   - an order held for an unknown sku cannot be approved while there is
 *     nothing to give; product add, and the next tally-allocate fulfils it;
 *   - a Midtrans event the provider did not know is FAILED; once the
 *     provider knows it, event retry puts it back and the provider is asked
 *     again, then it succeeds; --failed with a source retries only those;
 *   - product update: exact prices in the currency's minor units, active
 *     ISO 4217 codes only, min price at most the price, a currency never
 *     changed under an amount, audited before and after;
 *   - a deactivated product sells nothing new (held, PRODUCT_INACTIVE)
 *     but fulfils what was paid before; reactivated, the held order goes;
 *   - C's and SQL's currency exponents agree on every three-letter code.
 * Times are the database's own; nothing sleeps.
 */
#include "support/alloc_test.h"

#include "base/money.h"
#include "ops/event.h"
#include "ops/order.h"
#include "ops/product.h"

static struct db *t_admin;	/* as tallyctl and tally-admin connect */

static int
setup(void **state)
{
	t_setup(state);
	if (db_connect_url(&t_admin, t_url, "test_ops_money", "tally_admin") != 0)
		fail_msg("cannot connect as tally_admin");
	return 0;
}

static int
teardown(void **state)
{
	db_free(t_admin);
	t_admin = NULL;
	return t_teardown(state);
}

static const char *
item_str(const json_t *out, const char *key)
{
	return json_string_value(json_object_get(json_object_get(out, "item"),
	    key));
}

static const json_t *
first(const json_t *out)
{
	return json_array_get(json_object_get(out, "items"), 0);
}

static const char *
row_str(const json_t *row, const char *key)
{
	return json_string_value(json_object_get(row, key));
}

static void
seed(void)
{
	t_exec(t_su, "INSERT INTO products (sku, name, kind, duration_days,"
	    " price_minor, currency) VALUES"
	    " ('seat-20', 'Seat, 30 days', 'SEAT', 30, 2000, 'USD')");
	t_pool(10);
}

/* ---- order list --held, order approve ---------------------------- */

static void
test_underpaid_approved(void **state)
{
	struct ops_order_list_req lr = { .held = true };
	struct ops_order_approve_req ar = { 0 };
	struct allocate_stats st;
	struct ops o;
	json_t *out = NULL;
	char sql[256];
	long long id;

	(void)state;
	seed();
	id = t_underpaid_held("U1", &st);

	ops_init(&o, t_admin, "token:alice", false);
	/* listed with why, what was paid and the price it was checked with */
	assert_int_equal(ops_order_list(&o, &lr, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "total")), 1);
	assert_string_equal(row_str(first(out), "hold_reason"), "UNDERPAID");
	assert_string_equal(row_str(first(out), "paid"), "0.01");
	assert_string_equal(row_str(first(out), "price"), "20.00");
	assert_string_equal(row_str(first(out), "price_currency"), "USD");
	assert_string_equal(row_str(first(out), "customer"), "cheap@example.com");
	assert_true(json_is_string(json_object_get(first(out), "held_at")));
	json_decref(out);
	/* not waiting for the allocator: not in --unfulfilled */
	lr.unfulfilled = true;
	assert_int_equal(ops_order_list(&o, &lr, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "held");
	lr.held = false;
	lr.unfulfilled = true;
	assert_int_equal(ops_order_list(&o, &lr, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "total")), 0);
	json_decref(out);

	/* refusals, each with its field, before anything changes */
	ar.id = id;
	assert_int_equal(ops_order_approve(&o, &ar, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "reason");
	assert_null(out);
	ar.id = 0;
	ar.reason = "goodwill";
	assert_int_equal(ops_order_approve(&o, &ar, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "id");
	ar.id = id + 1000;
	assert_int_equal(ops_order_approve(&o, &ar, &out), TALLY_ENOTFOUND);

	/* a dry run answers what would be and keeps nothing */
	ar.id = id;
	o.dry_run = true;
	assert_int_equal(ops_order_approve(&o, &ar, &out), 0);
	assert_true(json_is_true(json_object_get(out, "dry_run")));
	assert_string_equal(item_str(out, "status"), "PAID");
	assert_string_equal(item_str(out, "was_held_for"), "UNDERPAID");
	assert_true(json_is_true(json_object_get(json_object_get(out, "item"),
	    "queued")));
	json_decref(out);
	t_expect_str(t_su, "SELECT status FROM orders", "HELD");
	t_expect_ll(t_su, "SELECT count(*) FROM audit_log"
	    " WHERE action = 'order.approve'", 0);
	t_expect_ll(t_su, "SELECT count(*) FROM fulfil_queue", 0);

	o.dry_run = false;
	assert_int_equal(ops_order_approve(&o, &ar, &out), 0);
	assert_string_equal(item_str(out, "approved_by"), "token:alice");
	json_decref(out);
	t_expect_str(t_su, "SELECT concat_ws(' ', status, hold_reason IS NULL,"
	    " approved_by) FROM orders", "PAID t token:alice");
	/* audited by the very transaction that released it */
	snprintf(sql, sizeof(sql), "SELECT concat_ws('|', l.actor, l.reason,"
	    " l.before->>'status', l.before->>'hold_reason', l.after->>'status',"
	    " l.xmin = o.xmin) FROM audit_log l, orders o"
	    " WHERE l.action = 'order.approve' AND l.entity = 'order'"
	    " AND l.entity_id = '%lld' AND o.id = %lld", id, id);
	t_expect_str(t_su, sql, "token:alice|goodwill|HELD|UNDERPAID|PAID|t");
	/* approving again: nothing is held */
	assert_int_equal(ops_order_approve(&o, &ar, &out), TALLY_ECONFLICT);
	assert_non_null(strstr(strbuf_str(&o.err), "not held"));

	/* the next tally-allocate gives the seat, without the price check */
	t_allocate_expect(&st, 1, 0);
	t_expect_str(t_su, "SELECT concat_ws(' ', o.status, a.status)"
	    " FROM orders o JOIN assignments a ON a.order_id = o.id",
	    "PAID ACTIVE");
	/* the full list shows who approved it */
	lr.unfulfilled = false;
	assert_int_equal(ops_order_list(&o, &lr, &out), 0);
	assert_string_equal(row_str(first(out), "approved_by"), "token:alice");
	assert_string_equal(row_str(first(out), "fulfilled"), "SEAT");
	json_decref(out);
	ops_release(&o);
}

static void
test_unknown_product_approve(void **state)
{
	struct ops_order_approve_req ar = { .reason = "sold by phone" };
	struct ops_product_req pr = { .sku = "seat-new", .name = "New seat",
	    .kind = "seat", .days = 30, .price = "30.00", .currency = "usd" };
	struct allocate_stats st;
	struct ops o;
	json_t *out = NULL;

	(void)state;
	seed();
	t_pay("N1", "seat-new", "3000", "usd", "early@example.com");
	t_pay("N2", "seat-new", "1000", "usd", "cheap@example.com");
	t_allocate_holds(&st, 2);
	ops_init(&o, t_admin, "token:alice", false);
	/* nothing to give yet: refused, and told what to do */
	ar.id = t_order_id("N1");
	assert_int_equal(ops_order_approve(&o, &ar, &out), TALLY_EREFUSED);
	assert_non_null(strstr(strbuf_str(&o.err), "tallyctl product add"));
	t_expect_str(t_su, "SELECT string_agg(status, ' ') FROM orders",
	    "HELD HELD");
	/* the product, as an admin adds it */
	assert_int_equal(ops_product_add(&o, &pr, &out), 0);
	json_decref(out);
	/* approved now: given as paid (1000 for a 3000 product) */
	ar.id = t_order_id("N2");
	assert_int_equal(ops_order_approve(&o, &ar, &out), 0);
	json_decref(out);
	/* N1 needs no admin: the run releases it and checks its price */
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.released, 1);
	assert_int_equal(st.seats, 2);
	t_expect_str(t_su, "SELECT string_agg(concat_ws(' ', o.provider_ref,"
	    " o.status, p.sku, a.status), ', ' ORDER BY o.id) FROM orders o"
	    " JOIN products p ON p.id = o.product_id"
	    " JOIN assignments a ON a.order_id = o.id",
	    "pi_N1 PAID seat-new ACTIVE, pi_N2 PAID seat-new ACTIVE");
	ops_release(&o);
}

/* ---- event retry ------------------------------------------------- */

static void
test_event_retry(void **state)
{
	struct ops_event_retry_req rr = { 0 };
	struct allocate_stats st;
	struct ops o;
	json_t *out = NULL;
	char *answer, sql[256];
	long long mt, bad;

	(void)state;
	t_seed_products(t_su);
	t_pool(10);
	/* Midtrans does not know the transaction yet (its default answer) */
	t_deliver_free(t_su, "midtrans", "midtrans", "mt-R1:settlement",
	    t_mt_body("R1", "200", "settlement", "150000.00", NULL));
	/* and a Stripe delivery with no customer: fails for good */
	t_deliver(t_su, "stripe", "stripe", "evt_broken", "{\"id\":\"evt_broken\","
	    "\"type\":\"checkout.session.completed\",\"created\":1,"
	    "\"data\":{\"object\":{\"id\":\"cs_b\",\"payment_status\":\"paid\"}}}");
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.ev.failed, 2);
	mt = t_ll(t_su, "SELECT id FROM raw_events WHERE source = 'midtrans'");
	bad = t_ll(t_su, "SELECT id FROM raw_events WHERE source = 'stripe'");
	t_expect_ll(t_su, "SELECT count(*) FROM raw_events WHERE status = 'FAILED'"
	    " AND attempts = 1", 2);
	assert_int_equal(fake_provider_hits(t_provider, "/v2/R1/status"), 1);

	ops_init(&o, t_admin, "token:bob", false);
	/* requests that make no sense are told before the database */
	assert_int_equal(ops_event_retry(&o, &rr, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "id");
	rr.id = mt;
	rr.failed = true;
	assert_int_equal(ops_event_retry(&o, &rr, &out), TALLY_EUSAGE);
	rr.failed = false;
	rr.source = "midtrans";
	assert_int_equal(ops_event_retry(&o, &rr, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "source");
	rr.source = NULL;
	rr.id = bad + mt + 100;
	assert_int_equal(ops_event_retry(&o, &rr, &out), TALLY_ENOTFOUND);

	/* the provider knows it now; a dry run keeps nothing */
	answer = t_mt_body("R1", "200", "settlement", "150000.00", NULL);
	t_provider_says("/v2/R1/status", answer);
	free(answer);
	rr.id = mt;
	rr.reason = "Midtrans had not indexed it yet";
	o.dry_run = true;
	assert_int_equal(ops_event_retry(&o, &rr, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "total")), 1);
	assert_string_equal(row_str(first(out), "status"), "NEW");
	json_decref(out);
	t_expect_ll(t_su, "SELECT count(*) FROM raw_events WHERE status = 'FAILED'",
	    2);
	t_expect_ll(t_su, "SELECT count(*) FROM audit_log", 0);
	o.dry_run = false;
	assert_int_equal(ops_event_retry(&o, &rr, &out), 0);
	json_decref(out);
	snprintf(sql, sizeof(sql), "SELECT concat_ws(' ', status, attempts,"
	    " processed_at IS NOT NULL) FROM raw_events WHERE id = %lld", mt);
	t_expect_str(t_su, sql, "NEW 0 t");
	snprintf(sql, sizeof(sql), "SELECT concat_ws('|', actor, entity_id,"
	    " before->>'status', before->>'attempts', after->>'status',"
	    " after->>'attempts', reason) FROM audit_log"
	    " WHERE action = 'event.retry'");
	{
		char want[160];

		snprintf(want, sizeof(want), "token:bob|%lld|FAILED|1|NEW|0|"
		    "Midtrans had not indexed it yet", mt);
		t_expect_str(t_su, sql, want);
	}
	/* only FAILED ones: it waits already */
	assert_int_equal(ops_event_retry(&o, &rr, &out), TALLY_ECONFLICT);
	assert_non_null(strstr(strbuf_str(&o.err), "waits for tally-allocate"));

	/* the provider is asked again, the payment is acted on */
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(fake_provider_hits(t_provider, "/v2/R1/status"), 2);
	assert_int_equal(st.seats, 1);
	snprintf(sql, sizeof(sql), "SELECT concat_ws(' ', status, attempts)"
	    " FROM raw_events WHERE id = %lld", mt);
	t_expect_str(t_su, sql, "DONE 1");
	/* done: nothing to retry */
	assert_int_equal(ops_event_retry(&o, &rr, &out), TALLY_ECONFLICT);

	/* --failed --source: only that source's */
	rr.id = 0;
	rr.failed = true;
	rr.source = "midtrans";
	rr.reason = NULL;
	assert_int_equal(ops_event_retry(&o, &rr, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "total")), 0);
	json_decref(out);
	rr.source = NULL;
	assert_int_equal(ops_event_retry(&o, &rr, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "total")), 1);
	assert_string_equal(row_str(first(out), "source"), "stripe");
	json_decref(out);
	t_expect_ll(t_su, "SELECT count(*) FROM audit_log"
	    " WHERE action = 'event.retry'", 2);
	/* what was received is what it was: it fails again, once more */
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.ev.failed, 1);
	ops_release(&o);
}

/* ---- product add / update ---------------------------------------- */

static void
test_product_update(void **state)
{
	struct ops_product_req pr = { .sku = "seat-c", .name = "Seat",
	    .kind = "seat", .days = 30, .price = "20.00", .currency = "USD",
	    .min_price = "25.00" };
	struct ops_product_update_req ur = { .sku = "seat-c" };
	struct ops o;
	json_t *out = NULL;

	(void)state;
	ops_init(&o, t_admin, "token:carol", false);
	/* add: a min price above the price, a currency that is no currency */
	assert_int_equal(ops_product_add(&o, &pr, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "min_price");
	assert_non_null(strstr(strbuf_str(&o.err), "above the price 20.00 USD"));
	pr.min_price = "15.00";
	pr.currency = "XAU";
	assert_int_equal(ops_product_add(&o, &pr, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "currency");
	pr.currency = "usd";
	pr.min_price = "15.001";
	assert_int_equal(ops_product_add(&o, &pr, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "min_price");
	pr.min_price = "15.00";
	assert_int_equal(ops_product_add(&o, &pr, &out), 0);
	assert_string_equal(item_str(out, "min_price"), "15.00");
	json_decref(out);
	t_expect_str(t_su, "SELECT concat_ws(' ', price_minor, min_price_minor,"
	    " currency) FROM products", "2000 1500 USD");

	/* update refusals */
	assert_int_equal(ops_product_update(&o, &ur, &out), TALLY_EUSAGE);
	assert_non_null(strstr(strbuf_str(&o.err), "nothing to change"));
	ur.price = "14.99";
	assert_int_equal(ops_product_update(&o, &ur, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "price");
	assert_non_null(strstr(strbuf_str(&o.err), "below the min price 15.00"));
	ur.price = NULL;
	ur.currency = "jpy";
	assert_int_equal(ops_product_update(&o, &ur, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "price");
	ur.price = "3000";
	assert_int_equal(ops_product_update(&o, &ur, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "min_price");
	ur.price = "3000.5";
	ur.no_min_price = true;
	assert_int_equal(ops_product_update(&o, &ur, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "price");
	ur.currency = "ABC";
	assert_int_equal(ops_product_update(&o, &ur, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "currency");
	ur.currency = "jpy";
	ur.price = "3000";
	ur.min_price = "2500";
	assert_int_equal(ops_product_update(&o, &ur, &out), TALLY_EUSAGE);
	ur.sku = "nope";
	ur.no_min_price = false;
	assert_int_equal(ops_product_update(&o, &ur, &out), TALLY_ENOTFOUND);
	t_expect_ll(t_su, "SELECT count(*) FROM audit_log"
	    " WHERE action = 'product.update'", 0);

	/* to yen, exactly; dry run first */
	ur.sku = "seat-c";
	ur.name = "Seat (JP)";
	ur.reason = "Japan launch";
	o.dry_run = true;
	assert_int_equal(ops_product_update(&o, &ur, &out), 0);
	assert_string_equal(item_str(out, "price"), "3000");
	json_decref(out);
	t_expect_str(t_su, "SELECT currency FROM products", "USD");
	o.dry_run = false;
	assert_int_equal(ops_product_update(&o, &ur, &out), 0);
	assert_string_equal(item_str(out, "currency"), "JPY");
	assert_string_equal(item_str(out, "min_price"), "2500");
	json_decref(out);
	t_expect_str(t_su, "SELECT concat_ws(' ', name, price_minor,"
	    " min_price_minor, currency) FROM products",
	    "Seat (JP) 3000 2500 JPY");
	t_expect_str(t_su, "SELECT concat_ws('|', actor, reason,"
	    " before->>'currency', before->>'price_minor', after->>'currency',"
	    " after->>'price_minor') FROM audit_log"
	    " WHERE action = 'product.update'",
	    "token:carol|Japan launch|USD|2000|JPY|3000");
	/* drop the min price; min and price checked after the change */
	memset(&ur, 0, sizeof(ur));
	ur.sku = "seat-c";
	ur.no_min_price = true;
	ur.price = "2000";
	assert_int_equal(ops_product_update(&o, &ur, &out), 0);
	assert_true(json_is_null(json_object_get(json_object_get(out, "item"),
	    "min_price")));
	json_decref(out);
	ops_release(&o);
}

/* A deactivated product sells nothing new; what was paid before is
 * still given; reactivated, its held order goes. */
static void
test_product_inactive(void **state)
{
	struct ops_product_update_req ur = { .sku = "seat-20" };
	struct allocate_stats st;
	struct ops o;
	json_t *out = NULL;

	(void)state;
	seed();
	/* paid a day ago, not yet allocated when the product is retired */
	t_pay("B1", "seat-20", "2000", "usd", "before@example.com");
	ops_init(&o, t_admin, "token:dave", false);
	ur.active = OPS_NO;
	assert_int_equal(ops_product_update(&o, &ur, &out), 0);
	assert_true(json_is_false(json_object_get(json_object_get(out, "item"),
	    "active")));
	json_decref(out);
	t_expect_str(t_su, "SELECT deactivated_at IS NOT NULL FROM products", "t");
	/* paid a second after it was deactivated */
	t_pay_at("A1", "seat-20", "2000", "usd", "after@example.com",
	    "SELECT (ceil(extract(epoch FROM deactivated_at)) + 1)::bigint::text"
	    " FROM products");
	t_allocate_expect(&st, 1, 1);
	t_expect_orders("pi_B1 PAID, pi_A1 HELD PRODUCT_INACTIVE");
	t_expect_str(t_su, "SELECT concat_ws(' ', category, severity, amount_minor)"
	    " FROM reconcile_cases", "PRODUCT_INACTIVE error 2000");
	/* sold again: the change says what it lets through */
	ur.active = OPS_YES;
	assert_int_equal(ops_product_update(&o, &ur, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(out,
	    "held_released")), 1);
	json_decref(out);
	t_expect_str(t_su, "SELECT deactivated_at IS NULL FROM products", "t");
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.released, 1);
	assert_int_equal(st.seats, 1);
	t_expect_ll(t_su, "SELECT count(*) FROM assignments WHERE status = 'ACTIVE'",
	    2);
	assert_int_equal(t_reconcile(), 0);
	t_expect_str(t_su, "SELECT status FROM reconcile_cases", "CLOSED");
	ops_release(&o);
}

/* A lower min price lets a held underpaid order through (the case's
 * advice); the next run releases and fulfils it. */
static void
test_min_price_releases(void **state)
{
	struct ops_product_update_req ur = { .sku = "seat-20",
	    .min_price = "15.00" };
	struct allocate_stats st;
	struct ops o;
	json_t *out = NULL;

	(void)state;
	seed();
	t_pay("C1", "seat-20", "1500", "usd", "coupon@example.com");
	t_pay("C2", "seat-20", "100", "usd", "cheeky@example.com");
	t_allocate_holds(&st, 2);
	ops_init(&o, t_admin, "token:erin", false);
	assert_int_equal(ops_product_update(&o, &ur, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(out,
	    "held_released")), 1);
	json_decref(out);
	assert_int_equal(t_allocate_checked(&st), TALLY_EPROBLEMS);
	assert_int_equal(st.released, 1);
	assert_int_equal(st.seats, 1);
	assert_int_equal(st.held_total, 1);
	t_expect_str(t_su, "SELECT string_agg(concat_ws(' ', provider_ref, status),"
	    " ', ' ORDER BY id) FROM orders", "pi_C1 PAID, pi_C2 HELD");
	ops_release(&o);
}

/* ---- one table of currencies ------------------------------------- */

static void
test_exponents_agree(void **state)
{
	PGresult *res = NULL;
	int n;

	(void)state;
	if (db_query(t_su, &res, "SELECT c, tally_currency_exponent(c)"
	    " FROM (SELECT chr(65 + a) || chr(65 + b) || chr(65 + d) AS c"
	    "  FROM generate_series(0, 25) a, generate_series(0, 25) b,"
	    "       generate_series(0, 25) d) x", 0, NULL) != 0)
		fail_msg("%s", db_errmsg(t_su));
	n = PQntuples(res);
	assert_int_equal(n, 26 * 26 * 26);
	for (int i = 0; i < n; i++) {
		const char *c = PQgetvalue(res, i, 0);
		int sql = (int)strtol(PQgetvalue(res, i, 1), NULL, 10);

		if (money_exponent(c) != sql)
			fail_msg("%s: C says %d, SQL %d", c, money_exponent(c), sql);
	}
	PQclear(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_underpaid_approved),
		T(test_unknown_product_approve),
		T(test_event_retry),
		T(test_product_update),
		T(test_product_inactive),
		T(test_min_price_releases),
		T(test_exponents_agree),
#undef T
	};

	testdb_require();
	return cmocka_run_group_tests(tests, t_providers_start, t_providers_stop);
}
