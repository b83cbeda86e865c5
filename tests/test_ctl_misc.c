/*
 * test_ctl_misc.c - `tallyctl order | event | product | model | user`
 * against a real database: exact money, refusals, idempotent credit
 * adjustments, audit rows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/misc.h"
#include "support/ctl_support.h"
#include "support/fixture_sql.h"

static void
test_product(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	assert_int_equal(ctl_run(&r, ctl_product, "product", "add", "--sku",
	    "seat-30", "--name", "Seat, 30 days", "--kind", "seat", "--days", "30",
	    "--price", "19.99", "--currency", "usd", "--actor", "erin", NULL), 0);
	assert_int_equal(ctl_run(&r, ctl_product, "product", "add", "--sku",
	    "idr-seat", "--name", "Seat IDR", "--kind", "SEAT", "--days", "30",
	    "--price", "150000.00", "--currency", "IDR", NULL), 0);
	assert_int_equal(ctl_run(&r, ctl_product, "product", "add", "--sku",
	    "cr-100", "--name", "100 credits", "--kind", "credits", "--credits",
	    "100", "--price", "1500", "--currency", "JPY", NULL), 0);
	/* exact minor units, never a float */
	assert_string_equal(q("SELECT string_agg(sku || '=' || price_minor || currency,"
	    " ',' ORDER BY id) FROM products"),
	    "seat-30=1999USD,idr-seat=15000000IDR,cr-100=1500JPY");
	assert_string_equal(q("SELECT actor || '|' || (after->>'price_minor') FROM"
	    " audit_log WHERE action = 'product.add' ORDER BY id LIMIT 1"), "erin|1999");

	/* refusals: a third decimal in USD, a fraction of a yen, both kinds'
	 * options, a duplicate sku, a bad sku, an unknown currency */
	assert_int_equal(ctl_run(&r, ctl_product, "product", "add", "--sku", "x",
	    "--name", "x", "--kind", "seat", "--days", "1", "--price", "1.999",
	    "--currency", "USD", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_product, "product", "add", "--sku", "x",
	    "--name", "x", "--kind", "seat", "--days", "1", "--price", "1.5",
	    "--currency", "JPY", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_product, "product", "add", "--sku", "x",
	    "--name", "x", "--kind", "seat", "--days", "1", "--credits", "5",
	    "--price", "1", "--currency", "USD", NULL), 64);
	ctl_expect(&r, 65, "already exists", ctl_product, "product", "add",
	    "--sku", "seat-30", "--name", "x", "--kind", "seat", "--days", "1",
	    "--price", "1", "--currency", "USD", NULL);
	assert_int_equal(ctl_run(&r, ctl_product, "product", "add", "--sku",
	    "bad sku", "--name", "x", "--kind", "seat", "--days", "1", "--price",
	    "1", "--currency", "USD", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_product, "product", "add", "--sku", "x",
	    "--name", "x", "--kind", "seat", "--days", "1", "--price", "1",
	    "--currency", "US", NULL), 64);
	assert_int_equal(qll("SELECT count(*) FROM products"), 3);

	/* listing shows major units exactly */
	ctl_expect(&r, 0, ",19.99,\"USD\"", ctl_product, "product", "list",
	    "--csv", NULL);
	assert_non_null(strstr(strbuf_str(&r.out), ",150000.00,\"IDR\""));
	assert_non_null(strstr(strbuf_str(&r.out), ",1500,\"JPY\""));
	ctl_run_release(&r);
}

static void
test_model(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	/* registered automatically from usage: inactive and flagged */
	x("INSERT INTO models (name, active, flagged) VALUES ('mystery-model', false, true)");
	assert_int_equal(ctl_run(&r, ctl_model, "model", "set", "mystery-model",
	    "--active", "--credit-cost", "5", "--provider-cost", "0.02", NULL), 0);
	assert_string_equal(q("SELECT active || '|' || flagged || '|' || credit_cost"
	    " || '|' || provider_cost_minor || provider_currency FROM models"
	    " WHERE name = 'mystery-model'"), "true|false|5|2USD");
	assert_string_equal(q("SELECT (before->>'flagged') || '>' || (after->>'flagged')"
	    " || '|' || (before->>'credit_cost') || '>' || (after->>'credit_cost')"
	    " FROM audit_log WHERE action = 'model.set'"), "true>false|0>5");
	/* a new model; cost in another currency */
	assert_int_equal(ctl_run(&r, ctl_model, "model", "set", "qwen-image-edit",
	    "--credit-cost", "3", "--provider-cost", "0.125", "--currency", "kwd",
	    NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.err), "new"));
	assert_string_equal(q("SELECT active || '|' || provider_cost_minor ||"
	    " provider_currency FROM models WHERE name = 'qwen-image-edit'"),
	    "true|125KWD");
	/* options not given keep their value */
	assert_int_equal(ctl_run(&r, ctl_model, "model", "set", "qwen-image-edit",
	    "--inactive", NULL), 0);
	assert_string_equal(q("SELECT active || '|' || credit_cost || '|' ||"
	    " provider_cost_minor FROM models WHERE name = 'qwen-image-edit'"),
	    "false|3|125");
	/* refusals */
	assert_int_equal(ctl_run(&r, ctl_model, "model", "set", "m", "--active",
	    "--inactive", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_model, "model", "set", "m",
	    "--provider-cost", "0.001", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_model, "model", "set", "m", "--currency",
	    "EUR", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_model, "model", "set", "m", "--credit-cost",
	    "-1", NULL), 64);
	assert_int_equal(qll("SELECT count(*) FROM models WHERE name = 'm'"), 0);
	ctl_expect(&r, 0, "\"name\":\"qwen-image-edit\","
	    "\"active\":false,\"flagged\":false,\"credit_cost\":3,"
	    "\"provider_cost\":0.125,\"currency\":\"KWD\"", ctl_model, "model",
	    "list", "--json", NULL);
	ctl_run_release(&r);
}

static void
test_user(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	x("INSERT INTO app_users (external_id, email, registered_at, last_login_at)"
	    " VALUES ('u_1', 'one@x.io', now() - interval '3 days', now()),"
	    "        ('u_2', 'two@x.io', now() - interval '1 day', now() - interval '2 days'),"
	    "        ('u_3', 'shared@x.io', now(), NULL),"
	    "        ('u_4', 'SHARED@x.io', now(), NULL);"
	    "INSERT INTO credit_ledger (user_id, delta, kind, ref)"
	    " VALUES (1, 50, 'PURCHASE', 'o1'), (2, 200, 'PURCHASE', 'o2')");
	/* by external id */
	assert_int_equal(ctl_run(&r, ctl_user, "user", "credit", "u_1", "--delta",
	    "25", "--reason", "support ticket 12", "--actor", "fay", NULL), 0);
	assert_string_equal(q("SELECT delta || kind || '|' || reason || '|' ||"
	    " (ref LIKE 'tallyctl:%')::text FROM credit_ledger WHERE user_id = 1"
	    " AND kind = 'ADJUSTMENT'"), "25ADJUSTMENT|support ticket 12|true");
	assert_string_equal(q("SELECT actor || '|' || entity_id || '|' ||"
	    " (before->>'balance') || '>' || (after->>'balance') FROM audit_log"
	    " WHERE action = 'user.credit'"), "fay|1|50>75");
	/* by email, negative, idempotent with a request id */
	assert_int_equal(ctl_run(&r, ctl_user, "user", "credit", "TWO@x.io",
	    "--delta", "-20", "--reason", "abuse", "--request-id", "req-9", NULL), 0);
	assert_int_equal(ctl_run(&r, ctl_user, "user", "credit", "two@x.io",
	    "--delta", "-20", "--reason", "abuse", "--request-id", "req-9", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.err), "applied before"));
	assert_int_equal(qll("SELECT sum(delta) FROM credit_ledger WHERE user_id = 2"),
	    180);
	assert_int_equal(qll("SELECT count(*) FROM audit_log WHERE action ="
	    " 'user.credit'"), 2);
	/* the same request id for something else is refused */
	assert_int_equal(ctl_run(&r, ctl_user, "user", "credit", "two@x.io",
	    "--delta", "-30", "--reason", "abuse", "--request-id", "req-9", NULL), 65);
	/* refusals */
	ctl_expect(&r, 65, "2 users have email", ctl_user, "user", "credit",
	    "shared@x.io", "--delta", "5", "--reason", "x", NULL);
	assert_int_equal(ctl_run(&r, ctl_user, "user", "credit", "nobody",
	    "--delta", "5", "--reason", "x", NULL), 65);
	assert_int_equal(ctl_run(&r, ctl_user, "user", "credit", "u_1", "--delta",
	    "0", "--reason", "x", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_user, "user", "credit", "u_1", "--delta",
	    "5", NULL), 64);
	/* a negative balance is allowed, with a warning */
	assert_int_equal(ctl_run(&r, ctl_user, "user", "credit", "u_3", "--delta",
	    "-5", "--reason", "test", "--dry-run", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.err), "negative balance"));
	assert_int_equal(qll("SELECT count(*) FROM credit_ledger WHERE user_id = 3"), 0);

	/* list: sorted by balance, highest first */
	assert_int_equal(ctl_run(&r, ctl_user, "user", "list", "--sort", "balance",
	    "--csv", NULL), 0);
	{
		const char *o = strbuf_str(&r.out);
		const char *p2 = strstr(o, "\"u_2\""), *p1 = strstr(o, "\"u_1\"");

		assert_non_null(p1);
		assert_non_null(p2);
		assert_true(p2 < p1);
		assert_non_null(strstr(o, "\"u_2\",\"two@x.io\",180,"));
	}
	assert_int_equal(ctl_run(&r, ctl_user, "user", "list", "--sort", "last-login",
	    "--search", "x.io", "--json", NULL), 0);
	assert_true(strstr(strbuf_str(&r.out), "\"u_1\"") <
	    strstr(strbuf_str(&r.out), "\"u_2\""));
	assert_int_equal(ctl_run(&r, ctl_user, "user", "list", "--sort", "name", NULL),
	    64);
	ctl_run_release(&r);
}

static void
test_orders_events(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	x("INSERT INTO customers (email) VALUES ('buyer@x.io');"
	    "INSERT INTO products (sku, name, kind, duration_days, price_minor, currency)"
	    " VALUES ('s30', 'Seat', 'SEAT', 30, 1999, 'USD');"
	    "INSERT INTO pool_accounts (email) VALUES ('acc@x.io');"
	    "INSERT INTO orders (source, provider_ref, customer_id, product_id,"
	    " amount_minor, currency, status, paid_at)"
	    " VALUES ('stripe', 'pi_done', 1, 1, 1999, 'USD', 'PAID', now()),"
	    "        ('stripe', 'pi_wait', 1, 1, 1999, 'USD', 'PAID', now()),"
	    "        ('stripe', 'pi_pend', 1, 1, 1999, 'USD', 'PENDING', NULL);"
	    "INSERT INTO assignments (account_id, customer_id, order_id, starts_at, ends_at)"
	    " VALUES (1, 1, 1, now(), now() + interval '30 days');"
	    "INSERT INTO fulfilments (order_id, kind, assignment_id) VALUES (1, 'SEAT', 1);"
	    "INSERT INTO fulfil_queue (order_id, attempts, last_error)"
	    " VALUES (2, 3, 'no account with a free seat');"
	    "INSERT INTO raw_events (source, scheme, event_key, body, payload, status, error)"
	    " VALUES ('stripe', 'stripe', 'evt_1', '\\x7b7d', '{\"type\":\"charge.succeeded\"}',"
	    "         'DONE', NULL),"
	    "        ('stripe', 'stripe', 'evt_2', '\\x7b7d', '{\"type\":\"checkout.session.completed\"}',"
	    "         'FAILED', 'unknown sku \"zzz\"')");
	ctl_expect(&r, 0, "\"pi_pend\"", ctl_order, "order", "list", "--csv",
	    NULL);
	assert_non_null(strstr(strbuf_str(&r.out), ",19.99,\"USD\""));
	ctl_expect(&r, 0, "\"pi_wait\"", ctl_order, "order", "list",
	    "--unfulfilled", "--csv", NULL);
	assert_non_null(strstr(strbuf_str(&r.out), "\"no account with a free seat\""));
	assert_null(strstr(strbuf_str(&r.out), "pi_done"));
	assert_null(strstr(strbuf_str(&r.out), "pi_pend"));
	ctl_expect(&r, 0, "\"provider_ref\":\"pi_pend\"", ctl_order, "order",
	    "list", "--status", "pending", "--json", NULL);
	assert_null(strstr(strbuf_str(&r.out), "pi_wait"));

	ctl_expect(&r, 0, "(2 rows)", ctl_event, "event", "list", NULL);
	ctl_expect(&r, 0, "\"event_key\":\"evt_2\","
	    "\"type\":\"checkout.session.completed\"", ctl_event, "event",
	    "list", "--failed", "--json", NULL);
	assert_non_null(strstr(strbuf_str(&r.out), "unknown sku \\\"zzz\\\""));
	assert_null(strstr(strbuf_str(&r.out), "evt_1"));
	ctl_expect(&r, 0, "evt_2", ctl_event, "event", "list", "--limit", "1",
	    "--csv", NULL);
	assert_null(strstr(strbuf_str(&r.out), "evt_1"));
	assert_int_equal(ctl_run(&r, ctl_event, "event", "list", "--limit", "x", NULL),
	    64);
	ctl_run_release(&r);
}

/* order list --held, order approve, event retry, product update: the
 * verbs over lib/ops (tests/test_ops_money.c tests the operations). */
static void
test_money_verbs(void **state)
{
	struct ctl_run r = { 0 };
	char id[8192], ev[8192], ghost[8192];

	(void)state;
	x(T_SQL_HELD_ORDER
	    "INSERT INTO orders (source, provider_ref, customer_id, sku,"
	    " amount_minor, currency, status, paid_at, hold_reason, held_at)"
	    " SELECT 'stripe', 'pi_ghost', c.id, 'ghost', 500, 'USD', 'HELD',"
	    "  now(), 'UNKNOWN_PRODUCT', now() FROM customers c"
	    "  WHERE c.email = 'held@x.io';"
	    "INSERT INTO raw_events (source, scheme, event_key, body, payload,"
	    " status, error, attempts, processed_at) VALUES"
	    " ('stripe', 'stripe', 'evt_retry', '\\x7b7d', '{}', 'FAILED',"
	    "  'the provider does not know this transaction', 5, now())");
	snprintf(id, sizeof(id), "%s", q("SELECT id FROM orders"
	    " WHERE provider_ref = 'pi_held'"));
	snprintf(ghost, sizeof(ghost), "%s", q("SELECT id FROM orders"
	    " WHERE provider_ref = 'pi_ghost'"));
	snprintf(ev, sizeof(ev), "%s", q("SELECT id FROM raw_events"
	    " WHERE event_key = 'evt_retry'"));

	ctl_expect(&r, 0, "\"pi_held\",\"held@x.io\","
	    "\"seat-20\",0.01,\"USD\",20.00,,\"USD\",\"UNDERPAID\"", ctl_order,
	    "order", "list", "--held", "--csv", NULL);
	assert_non_null(strstr(strbuf_str(&r.out), "\"ghost\",5.00,\"USD\",,,,"
	    "\"UNKNOWN_PRODUCT\""));
	/* held ones do not wait for the allocator */
	assert_int_equal(ctl_run(&r, ctl_order, "order", "list", "--unfulfilled",
	    "--csv", NULL), 0);
	assert_null(strstr(strbuf_str(&r.out), "pi_held"));

	ctl_expect(&r, 64, "--reason is required", ctl_order, "order",
	    "approve", id, NULL);
	assert_int_equal(ctl_run(&r, ctl_order, "order", "approve", "x",
	    "--reason", "r", NULL), 64);
	ctl_expect(&r, 65, "refused: order", ctl_order, "order", "approve",
	    ghost, "--reason", "r", NULL);
	assert_non_null(strstr(strbuf_str(&r.err), "tallyctl product add --sku "
	    "ghost"));
	assert_int_equal(ctl_run(&r, ctl_order, "order", "approve", id,
	    "--reason", "goodwill", "--dry-run", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.err), "dry run: nothing was changed"));
	assert_string_equal(q("SELECT status FROM orders WHERE provider_ref ="
	    " 'pi_held'"), "HELD");
	assert_int_equal(ctl_run(&r, ctl_order, "order", "approve", id,
	    "--reason", "goodwill", "--actor", "erin", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.err), "the next tally-allocate "
	    "gives it"));
	assert_string_equal(q("SELECT concat_ws(' ', o.status, o.approved_by,"
	    " q.order_id IS NOT NULL) FROM orders o LEFT JOIN fulfil_queue q"
	    " ON q.order_id = o.id WHERE o.provider_ref = 'pi_held'"),
	    "PAID erin t");
	assert_string_equal(q("SELECT actor || '|' || reason FROM audit_log"
	    " WHERE action = 'order.approve'"), "erin|goodwill");
	ctl_expect(&r, 65, "is PAID, not held", ctl_order, "order", "approve",
	    id, "--reason", "again", NULL);

	assert_int_equal(ctl_run(&r, ctl_event, "event", "retry", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_event, "event", "retry", ev, "--failed",
	    NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_event, "event", "retry", ev, "--source",
	    "stripe", NULL), 64);
	/* --dry-run shows what would go back, changes nothing, says so */
	assert_int_equal(ctl_run(&r, ctl_event, "event", "retry", ev,
	    "--dry-run", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.err), "dry run: nothing was changed"));
	assert_non_null(strstr(strbuf_str(&r.err), "1 event would be back to NEW"));
	assert_non_null(strstr(strbuf_str(&r.out), "(1 row)"));
	assert_int_equal(ctl_run(&r, ctl_event, "event", "retry", "--failed",
	    "--dry-run", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.err), "dry run: nothing was changed"));
	assert_non_null(strstr(strbuf_str(&r.err), "2 events would be back"));
	assert_string_equal(q("SELECT string_agg(concat_ws(' ', event_key,"
	    " status, attempts), ', ' ORDER BY event_key) FROM raw_events"
	    " WHERE event_key IN ('evt_2', 'evt_retry')"),
	    "evt_2 FAILED 0, evt_retry FAILED 5");
	assert_string_equal(q("SELECT count(*) FROM audit_log"
	    " WHERE action = 'event.retry'"), "0");
	assert_int_equal(ctl_run(&r, ctl_event, "event", "retry", ev, "--actor",
	    "erin", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.err), "1 event is back to NEW"));
	assert_non_null(strstr(strbuf_str(&r.out), "(1 row)"));
	assert_string_equal(q("SELECT concat_ws(' ', status, attempts) FROM"
	    " raw_events WHERE event_key = 'evt_retry'"), "NEW 0");
	ctl_expect(&r, 65, "not FAILED", ctl_event, "event", "retry", ev, NULL);
	assert_int_equal(ctl_run(&r, ctl_event, "event", "retry", "--failed",
	    "--source", "stripe", "--json", NULL), 0);
	/* test_orders_events' failed delivery, only */
	assert_non_null(strstr(strbuf_str(&r.out), "\"event_key\":\"evt_2\""));
	assert_null(strstr(strbuf_str(&r.out), "evt_retry"));

	/* product update: option names in the messages, exact amounts */
	ctl_expect(&r, 64, "nothing to change", ctl_product, "product",
	    "update", "seat-20", NULL);
	ctl_expect(&r, 64, "--min-price: 25.00 USD is "
	    "above the price 20.00 USD", ctl_product, "product", "update",
	    "seat-20", "--min-price", "25", NULL);
	ctl_expect(&r, 64, "--currency: not an active ISO 4217 code",
	    ctl_product, "product", "update", "seat-20", "--currency", "ABC",
	    "--price", "1", NULL);
	assert_int_equal(ctl_run(&r, ctl_product, "product", "update", "seat-20",
	    "--active", "maybe", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_product, "product", "update", "nope",
	    "--name", "x", NULL), 65);
	assert_int_equal(ctl_run(&r, ctl_product, "product", "update", "seat-20",
	    "--min-price", "15", "--active", "no", "--reason", "retired",
	    "--actor", "erin", NULL), 0);
	assert_string_equal(q("SELECT concat_ws(' ', min_price_minor, active,"
	    " deactivated_at IS NOT NULL) FROM products WHERE sku = 'seat-20'"),
	    "1500 f t");
	assert_string_equal(q("SELECT concat_ws('|', actor, reason,"
	    " before->>'active', after->>'active') FROM audit_log"
	    " WHERE action = 'product.update'"), "erin|retired|true|false");
	assert_int_equal(ctl_run(&r, ctl_product, "product", "add", "--sku",
	    "cr-idr", "--name", "Credits", "--kind", "credits", "--credits", "50",
	    "--price", "150000", "--min-price", "120000.00", "--currency", "idr",
	    NULL), 0);
	ctl_expect(&r, 0, ",150000.00,\"IDR\",120000.00,true,", ctl_product,
	    "product", "list", "--csv", NULL);
	assert_non_null(strstr(strbuf_str(&r.out), ",20.00,\"USD\",15.00,false,"));
	assert_int_equal(ctl_run(&r, ctl_product, "product", "add", "--sku",
	    "x-abc", "--name", "x", "--kind", "seat", "--days", "1", "--price",
	    "1", "--currency", "ABC", NULL), 64);
	ctl_run_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_product),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_orders_events),
		cmocka_unit_test(test_money_verbs),
	};

	testdb_require();
	return cmocka_run_group_tests(tests, ctl_test_setup, NULL);
}
