/*
 * test_allocate - tally-allocate against a real database: every scheme's
 * paid, pending, refund and dispute paths; credits and usage events;
 * events that cannot be understood (marked FAILED with a reason, retried
 * with back-off, not forever); the seat policy; running out of room;
 * idempotent reruns; arrival order, batching and duplicates not changing
 * the outcome; dry runs; the program's exit codes and job_runs rows.
 * (The concurrency proof is test_allocate_concurrency.)
 */
#include "support/alloc_test.h"

#include <sysexits.h>
#include <unistd.h>

#include "base/money.h"

#define NOW_EPOCH "1795000000"	/* 2026-11-18, a fixed Stripe `created` */

/* ---- payload helpers --------------------------------------------- */

static void
stripe_completed(const char *order, const char *email, const char *sku,
    const char *amount, const char *payment_status)
{
	char evt[128];

	snprintf(evt, sizeof(evt), "evt_cs_%s_%s", order, payment_status);
	t_deliver_free(t_su, "stripe", "stripe", evt,
	    t_fixture("stripe_checkout_completed.json", "EVT", evt, "CREATED",
	    NOW_EPOCH, "ORDER", order, "AMOUNT", amount, "CURRENCY", "usd",
	    "EMAIL", email, "SKU", sku, "PAYMENT_STATUS", payment_status, NULL));
}

static void
stripe_pi_succeeded(const char *order, const char *email, const char *amount)
{
	char evt[128];

	snprintf(evt, sizeof(evt), "evt_pi_%s", order);
	t_deliver_free(t_su, "stripe", "stripe", evt,
	    t_fixture("stripe_payment_intent_succeeded.json", "EVT", evt,
	    "CREATED", NOW_EPOCH, "ORDER", order, "AMOUNT", amount, "CURRENCY",
	    "usd", "EMAIL", email, NULL));
}

static void
stripe_refunded(const char *order, const char *amount, const char *refunded)
{
	char evt[128];

	snprintf(evt, sizeof(evt), "evt_re_%s_%s", order, refunded);
	t_deliver_free(t_su, "stripe", "stripe", evt,
	    t_fixture("stripe_charge_refunded.json", "EVT", evt, "CREATED",
	    NOW_EPOCH, "ORDER", order, "AMOUNT", amount, "REFUNDED", refunded,
	    "FULL", strcmp(amount, refunded) == 0 ? "true" : "false",
	    "CURRENCY", "usd", "EMAIL", "x@example.com", NULL));
}

static void
stripe_dispute(const char *order, const char *type, const char *status,
    const char *amount)
{
	char evt[160];

	snprintf(evt, sizeof(evt), "evt_dp_%s_%s_%s", order, type, status);
	t_deliver_free(t_su, "stripe", "stripe", evt,
	    t_fixture("stripe_charge_dispute.json", "EVT", evt, "CREATED",
	    NOW_EPOCH, "ORDER", order, "TYPE", type, "DISPUTE_STATUS", status,
	    "AMOUNT", amount, "CURRENCY", "usd", NULL));
}

/*
 * Midtrans and Xendit notifications are acted on as their provider
 * confirms them (test_allocate_confirm): here the fake provider confirms
 * each notification as sent, its answer being the transaction's latest
 * state the test delivered.
 */
static void
midtrans(const char *order, const char *status, const char *fraud,
    const char *gross, const char *sku, const char *email)
{
	char key[160];

	snprintf(key, sizeof(key), "mt-%s-%s-%s", order, status, fraud);
	t_notify_confirmed("midtrans", order, key,
	    t_fixture("midtrans_notification.json", "ORDER", order, "STATUS",
	    status, "FRAUD", fraud, "GROSS", gross, "SKU", sku, "EMAIL", email,
	    NULL));
}

static void
midtrans_refund(const char *order, const char *status, const char *gross,
    const char *refund)
{
	char key[160];

	snprintf(key, sizeof(key), "mt-%s-%s-%s", order, status, refund);
	t_notify_confirmed("midtrans", order, key,
	    t_fixture("midtrans_refund.json", "ORDER", order, "STATUS", status,
	    "GROSS", gross, "REFUND", refund, NULL));
}

static void
xendit(const char *order, const char *status, const char *amount,
    const char *sku, const char *email)
{
	char key[160];

	snprintf(key, sizeof(key), "xe-%s-%s", order, status);
	t_notify_confirmed("xendit", order, key,
	    t_fixture("xendit_invoice.json", "ORDER", order, "STATUS", status,
	    "AMOUNT", amount, "SKU", sku, "EMAIL", email, NULL));
}

static void
usage_event(const char *id, const char *user, const char *email,
    const char *model, const char *credits, const char *at)
{
	t_deliver_free(t_su, "imagesvc", "standard-webhooks", id,
	    t_fixture("usage_recorded.json", "EVT", id, "AT", at, "USER", user,
	    "EMAIL", email, "MODEL", model, "KIND", "edit", "DURATION", "8123",
	    "CREDITS", credits, "USTATUS", "ok", NULL));
}

static void
user_event(const char *file, const char *id, const char *user,
    const char *email, const char *at)
{
	t_deliver_free(t_su, "imagesvc", "standard-webhooks", id,
	    t_fixture(file, "EVT", id, "AT", at, "USER", user, "EMAIL", email,
	    "CREDITS", "0", NULL));
}

static void
accounts(const char *values)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "INSERT INTO pool_accounts (email, max_seats) VALUES %s",
	    values);
	t_exec(t_su, sb.buf);
	strbuf_release(&sb);
}

static void
run_ok(void)
{
	int rc = t_allocate(NULL);

	if (rc != 0)
		fail_msg("allocate: %s", tally_strerror(rc));
	t_check_invariants(t_su);
}

/* ---- Stripe ------------------------------------------------------ */

static void
test_stripe_paid_seat(void **state)
{
	struct allocate_stats st;
	char *before, *after;

	(void)state;
	t_seed_products(t_su);
	accounts("('pool1@acc.io', 3)");
	stripe_completed("A1", "Bob@Example.COM", "seat-30", "1999", "paid");
	/* the same purchase's payment intent: no sku, the session had it */
	stripe_pi_succeeded("A1", "bob@example.com", "1999");
	assert_int_equal(t_allocate(&st), 0);
	t_check_invariants(t_su);
	assert_int_equal(st.ev.events, 2);
	assert_int_equal(st.ev.done, 2);
	assert_int_equal(st.seats, 1);
	t_expect_str(t_su, "SELECT concat_ws(' ', provider_ref, status, amount_minor,"
	    " currency) FROM orders", "pi_A1 PAID 1999 USD");
	t_expect_ll(t_su, "SELECT count(*) FROM payments WHERE status = 'SUCCEEDED'"
	    " AND provider_payment_id = 'pi_A1'", 1);
	t_expect_str(t_su, "SELECT email FROM customers", "bob@example.com");
	t_expect_str(t_su, "SELECT concat_ws(' ', a.status, acc.email,"
	    " a.ends_at - a.starts_at, a.starts_at = o.paid_at)"
	    " FROM assignments a JOIN pool_accounts acc ON acc.id = a.account_id"
	    " JOIN orders o ON o.id = a.order_id",
	    "ACTIVE pool1@acc.io 30 days f");
	t_expect_ll(t_su, "SELECT current_seats_used FROM pool_accounts", 1);
	t_expect_ll(t_su, "SELECT count(*) FROM fulfilments WHERE kind = 'SEAT'", 1);
	t_expect_ll(t_su, "SELECT count(*) FROM fulfil_queue", 0);
	t_expect_ll(t_su, "SELECT count(*) FROM raw_events WHERE status = 'DONE'"
	    " AND attempts = 1 AND error IS NULL", 2);

	/* a rerun finds nothing to do and changes nothing */
	before = t_state(t_su);
	assert_int_equal(t_allocate(&st), 0);
	assert_int_equal(st.ev.events, 0);
	assert_int_equal(st.seats, 0);
	after = t_state(t_su);
	assert_string_equal(before, after);
	t_expect_ll(t_su, "SELECT max(attempts) FROM raw_events", 1);
	free(before);
	free(after);
}

/* A plan that starts when the payment was made, if that was recent. */
static void
test_starts_at_paid_at(void **state)
{
	struct allocate_opts o;

	(void)state;
	t_seed_products(t_su);
	accounts("('pool1@acc.io', 3)");
	t_deliver_free(t_su, "stripe", "stripe", "evt_recent",
	    t_fixture("stripe_checkout_completed.json", "EVT", "evt_recent",
	    "CREATED", "1795000000", "ORDER", "R1", "AMOUNT", "599", "CURRENCY",
	    "usd", "EMAIL", "r@example.com", "SKU", "seat-7", "PAYMENT_STATUS",
	    "paid", NULL));
	memset(&o, 0, sizeof(o));
	o.jobs = 1;
	o.fulfil_sla_minutes = 5;
	/* as of two minutes after the payment: within the SLA */
	o.as_of = "2026-11-18 11:08:40+00";
	assert_int_equal(t_allocate_opts(&o, NULL), 0);
	t_expect_str(t_su, "SELECT concat_ws(' ', a.starts_at = o.paid_at,"
	    " a.ends_at - a.starts_at) FROM assignments a JOIN orders o"
	    " ON o.id = a.order_id", "t 7 days");
	t_expect_str(t_su, "SELECT paid_at::text FROM orders",
	    "2026-11-18 11:06:40+00");
}

static void
test_stripe_unpaid_then_async(void **state)
{
	(void)state;
	t_seed_products(t_su);
	accounts("('pool1@acc.io', 3)");
	stripe_completed("B1", "b1@example.com", "seat-30", "1999", "unpaid");
	run_ok();
	t_expect_str(t_su, "SELECT status FROM orders", "PENDING");
	t_expect_ll(t_su, "SELECT count(*) FROM assignments", 0);
	t_expect_str(t_su, "SELECT status FROM payments", "PENDING");

	t_deliver_free(t_su, "stripe", "stripe", "evt_async_B1",
	    t_fixture("stripe_async_payment_succeeded.json", "EVT", "evt_async_B1",
	    "CREATED", NOW_EPOCH, "ORDER", "B1", "AMOUNT", "1999", "CURRENCY",
	    "usd", "EMAIL", "b1@example.com", "SKU", "seat-30", NULL));
	run_ok();
	t_expect_str(t_su, "SELECT status FROM orders", "PAID");
	t_expect_str(t_su, "SELECT status FROM payments", "SUCCEEDED");
	t_expect_ll(t_su, "SELECT count(*) FROM assignments WHERE status = 'ACTIVE'", 1);
}

static void
test_stripe_refunds(void **state)
{
	(void)state;
	t_seed_products(t_su);
	accounts("('pool1@acc.io', 3)");
	stripe_completed("C1", "c1@example.com", "seat-30", "1999", "paid");
	stripe_completed("C2", "c2@example.com", "seat-30", "1999", "paid");
	run_ok();
	t_expect_ll(t_su, "SELECT current_seats_used FROM pool_accounts", 2);

	/* a partial refund keeps the seat; a full one takes it back */
	stripe_refunded("C1", "1999", "500");
	stripe_refunded("C2", "1999", "1999");
	run_ok();
	t_expect_str(t_su, "SELECT string_agg(provider_ref || ' ' || status, ', '"
	    " ORDER BY provider_ref) FROM orders",
	    "pi_C1 PARTIALLY_REFUNDED, pi_C2 REFUNDED");
	t_expect_str(t_su, "SELECT string_agg(o.provider_ref || ' ' || a.status,"
	    " ', ' ORDER BY o.provider_ref) FROM assignments a JOIN orders o"
	    " ON o.id = a.order_id", "pi_C1 ACTIVE, pi_C2 REVOKED");
	t_expect_ll(t_su, "SELECT current_seats_used FROM pool_accounts", 1);
	t_expect_str(t_su, "SELECT reason = 'refund of order ' || order_id"
	    " || ' (charge:ch_C2)' FROM assignments WHERE status = 'REVOKED'", "t");
	/* audited, in the same transaction, by the program */
	t_expect_str(t_su, "SELECT concat_ws(' ', actor, action, entity,"
	    " before->>'status', after->>'status') FROM audit_log",
	    "tally-allocate order.refund_revoke assignment ACTIVE REVOKED");
	/* the rest of C1 refunded later (a larger running total) */
	stripe_refunded("C1", "1999", "1999");
	run_ok();
	t_expect_ll(t_su, "SELECT count(*) FROM refunds", 2);
	t_expect_str(t_su, "SELECT amount_minor::text FROM refunds"
	    " WHERE provider_refund_id = 'charge:ch_C1'", "1999");
	t_expect_ll(t_su, "SELECT current_seats_used FROM pool_accounts", 0);
	t_expect_ll(t_su, "SELECT count(*) FROM audit_log"
	    " WHERE action = 'order.refund_revoke'", 2);
	/* nothing more on a rerun */
	run_ok();
	t_expect_ll(t_su, "SELECT count(*) FROM audit_log", 2);
}

static void
test_stripe_disputes(void **state)
{
	(void)state;
	t_seed_products(t_su);
	accounts("('pool1@acc.io', 5)");
	stripe_completed("D1", "d1@example.com", "seat-30", "1999", "paid");
	stripe_completed("D2", "d2@example.com", "seat-30", "1999", "paid");
	run_ok();
	stripe_dispute("D1", "charge.dispute.created", "needs_response", "1999");
	stripe_dispute("D2", "charge.dispute.created", "needs_response", "1999");
	run_ok();
	/* open: DISPUTED, the seat stays until the dispute is decided */
	t_expect_ll(t_su, "SELECT count(*) FROM orders WHERE status = 'DISPUTED'", 2);
	t_expect_ll(t_su, "SELECT current_seats_used FROM pool_accounts", 2);
	stripe_dispute("D1", "charge.dispute.closed", "lost", "1999");
	stripe_dispute("D2", "charge.dispute.closed", "won", "1999");
	/* a late "updated" with an open status does not reopen them */
	stripe_dispute("D1", "charge.dispute.updated", "under_review", "1999");
	run_ok();
	t_expect_str(t_su, "SELECT string_agg(provider_dispute_id || ' ' || status,"
	    " ', ' ORDER BY 1) FROM disputes", "dp_D1 LOST, dp_D2 WON");
	t_expect_str(t_su, "SELECT string_agg(provider_ref || ' ' || status, ', '"
	    " ORDER BY provider_ref) FROM orders", "pi_D1 DISPUTED, pi_D2 PAID");
	t_expect_str(t_su, "SELECT concat_ws(' ', kind, provider_refund_id,"
	    " amount_minor) FROM refunds", "CHARGEBACK dispute:dp_D1 1999");
	t_expect_str(t_su, "SELECT reason = 'chargeback of order ' || order_id"
	    " || ' (dispute:dp_D1)' FROM assignments WHERE status = 'REVOKED'", "t");
	t_expect_ll(t_su, "SELECT current_seats_used FROM pool_accounts", 1);
}

static void
test_ignored_and_duplicates(void **state)
{
	(void)state;
	t_seed_products(t_su);
	accounts("('pool1@acc.io', 3)");
	t_deliver_free(t_su, "stripe", "stripe", "evt_cust",
	    t_fixture("stripe_customer_created.json", "EVT", "evt_cust",
	    "CREATED", NOW_EPOCH, "EMAIL", "z@example.com", NULL));
	/* the same event twice under two delivery keys (a provider retry
	 * with a new id, or two endpoints): one order, one seat */
	stripe_completed("E1", "e1@example.com", "seat-30", "1999", "paid");
	t_deliver_free(t_su, "stripe", "stripe", "evt_cs_E1_again",
	    t_fixture("stripe_checkout_completed.json", "EVT", "evt_cs_E1_again",
	    "CREATED", NOW_EPOCH, "ORDER", "E1", "AMOUNT", "1999", "CURRENCY",
	    "usd", "EMAIL", "e1@example.com", "SKU", "seat-30", "PAYMENT_STATUS",
	    "paid", NULL));
	run_ok();
	t_expect_str(t_su, "SELECT status FROM raw_events WHERE event_key = 'evt_cust'",
	    "IGNORED");
	t_expect_ll(t_su, "SELECT count(*) FROM raw_events WHERE status = 'DONE'", 2);
	t_expect_ll(t_su, "SELECT count(*) FROM orders", 1);
	t_expect_ll(t_su, "SELECT count(*) FROM payments", 1);
	t_expect_ll(t_su, "SELECT count(*) FROM assignments", 1);
	t_expect_ll(t_su, "SELECT count(*) FROM customers", 1);
}

/* ---- Midtrans and Xendit ----------------------------------------- */

static void
test_midtrans_paths(void **state)
{
	(void)state;
	t_seed_products(t_su);
	accounts("('pool1@acc.io', 10)");
	midtrans("M1", "settlement", "accept", "150000.00", "seat-30-idr",
	    "m1@example.com");
	midtrans("M2", "capture", "accept", "150000.00", "seat-30-idr",
	    "m2@example.com");
	midtrans("M3", "capture", "challenge", "150000.00", "seat-30-idr",
	    "m3@example.com");
	midtrans("M4", "expire", "accept", "150000.00", "seat-30-idr",
	    "m4@example.com");
	midtrans("M5", "deny", "deny", "150000.00", "seat-30-idr",
	    "m5@example.com");
	/* settlement first, then a stale "pending": stays paid */
	midtrans("M6", "settlement", "accept", "150000.00", "seat-30-idr",
	    "m6@example.com");
	run_ok();
	midtrans("M6", "pending", "accept", "150000.00", "seat-30-idr",
	    "m6@example.com");
	/* a late pending after an expiry does not reopen the order */
	midtrans("M4", "pending", "accept", "150000.00", "seat-30-idr",
	    "m4@example.com");
	run_ok();
	t_expect_str(t_su, "SELECT string_agg(provider_ref || ' ' || status"
	    " || ' ' || amount_minor || ' ' || currency, ', ' ORDER BY provider_ref)"
	    " FROM orders",
	    "M1 PAID 15000000 IDR, M2 PAID 15000000 IDR, M3 PENDING 15000000 IDR,"
	    " M4 EXPIRED 15000000 IDR, M5 DENIED 15000000 IDR,"
	    " M6 PAID 15000000 IDR");
	t_expect_ll(t_su, "SELECT count(*) FROM assignments WHERE status = 'ACTIVE'", 3);
	/* Jakarta time (GMT+7) of settlement_time, in UTC */
	t_expect_str(t_su, "SELECT paid_at::text FROM orders WHERE provider_ref = 'M1'",
	    "2026-11-20 03:16:00+00");

	/* a credit package refunded in part, then a chargeback for the rest */
	midtrans("M7", "settlement", "accept", "150000.00", "credits-100-idr",
	    "m7@example.com");
	run_ok();
	midtrans_refund("M7", "partial_refund", "150000.00", "30000.00");
	run_ok();
	t_expect_str(t_su, "SELECT status FROM orders WHERE provider_ref = 'M7'",
	    "PARTIALLY_REFUNDED");
	t_expect_ll(t_su, "SELECT balance FROM credit_balances"
	    " WHERE email = 'm7@example.com'", 80);
	midtrans_refund("M7", "chargeback", "150000.00", "120000.00");
	run_ok();
	t_expect_str(t_su, "SELECT status FROM orders WHERE provider_ref = 'M7'",
	    "DISPUTED");
	t_expect_ll(t_su, "SELECT balance FROM credit_balances"
	    " WHERE email = 'm7@example.com'", 0);
	t_expect_str(t_su, "SELECT string_agg(kind || ' ' || delta, ', ' ORDER BY id)"
	    " FROM credit_ledger", "PURCHASE 100, REFUND -20, CHARGEBACK -80");
	t_expect_ll(t_su, "SELECT count(*) FROM audit_log"
	    " WHERE action = 'order.refund_debit' AND actor = 'tally-allocate'", 2);
}

static void
test_xendit_paths(void **state)
{
	(void)state;
	t_seed_products(t_su);
	accounts("('pool1@acc.io', 10)");
	xendit("X1", "PAID", "150000", "seat-30-idr", "x1@example.com");
	xendit("X2", "EXPIRED", "150000", "seat-30-idr", "x2@example.com");
	xendit("X3", "PENDING", "150000", "seat-30-idr", "x3@example.com");
	run_ok();
	/* SETTLED after PAID, and a stale PENDING: one order, one seat */
	xendit("X1", "SETTLED", "150000", "seat-30-idr", "x1@example.com");
	xendit("X1", "PENDING", "150000", "seat-30-idr", "x1@example.com");
	xendit("X3", "PAID", "150000.00", "seat-30-idr", "x3@example.com");
	run_ok();
	t_expect_str(t_su, "SELECT string_agg(provider_ref || ' ' || status"
	    " || ' ' || amount_minor, ', ' ORDER BY provider_ref) FROM orders",
	    "inv_X1 PAID 15000000, inv_X2 EXPIRED 15000000, inv_X3 PAID 15000000");
	t_expect_ll(t_su, "SELECT count(*) FROM assignments WHERE status = 'ACTIVE'", 2);
	t_expect_str(t_su, "SELECT paid_at::text FROM orders"
	    " WHERE provider_ref = 'inv_X1'", "2026-11-20 03:16:00+00");
}

/* ---- what cannot be understood ----------------------------------- */

static void
test_failed_events(void **state)
{
	struct allocate_stats st;
	char *p;

	(void)state;
	t_seed_products(t_su);
	accounts("('pool1@acc.io', 10)");
	stripe_completed("F2", "", "seat-30", "1999", "paid");
	midtrans("F3", "settlement", "accept", "150000.005", "seat-30-idr",
	    "f3@example.com");
	midtrans("F4", "weird_status", "accept", "150000.00", "seat-30-idr",
	    "f4@example.com");
	t_deliver(t_su, "stripe", "stripe", "evt_array", "[1, 2, 3]");
	/* Midtrans sends amounts as strings; a float would be refused too */
	p = t_fixture("xendit_invoice.json", "ORDER", "F5", "STATUS", "PAID",
	    "AMOUNT", "\"lots\"", "SKU", "seat-30-idr", "EMAIL", "f5@example.com",
	    NULL);
	t_provider_says("/v2/invoices/inv_F5", p);
	t_deliver_free(t_su, "xendit", "xendit", "xe-F5", p);
	stripe_completed("F6", "not-an-email", "seat-30", "1999", "paid");
	assert_int_equal(t_allocate(&st), 0);
	t_check_invariants(t_su);
	assert_int_equal(st.ev.failed, 6);
	t_expect_str(t_su, "SELECT string_agg(event_key || ': ' || error, E'\\n'"
	    " ORDER BY id) FROM raw_events WHERE status = 'FAILED'",
	    "evt_cs_F2_paid: paid, but the order has no customer e-mail\n"
	    "mt-F3-settlement-accept: missing or malformed amount\n"
	    "mt-F4-weird_status-accept: unknown transaction_status: weird_status\n"
	    "evt_array: payload is not a JSON object\n"
	    "xe-F5: missing or malformed amount\n"
	    "evt_cs_F6_paid: malformed email: not-an-email");
	/* no effects from a failed event */
	t_expect_ll(t_su, "SELECT count(*) FROM orders", 0);

	/* not again at once: the back-off has not passed */
	assert_int_equal(t_allocate(&st), 0);
	assert_int_equal(st.requeued, 0);
	t_expect_ll(t_su, "SELECT max(attempts) FROM raw_events", 1);
	/* after the back-off they are tried again (and fail again) */
	t_exec(t_su, "UPDATE raw_events SET processed_at = now() - interval '2 minutes'");
	assert_int_equal(t_allocate(&st), 0);
	assert_int_equal(st.requeued, 6);
	assert_int_equal(st.ev.failed, 6);
	t_expect_ll(t_su, "SELECT count(*) FROM raw_events WHERE status = 'FAILED'"
	    " AND attempts = 2", 6);
	/* the back-off doubles: 2 minutes is not enough after attempt 2 */
	t_exec(t_su, "UPDATE raw_events SET processed_at = now() - interval '90 seconds'");
	assert_int_equal(t_allocate(&st), 0);
	assert_int_equal(st.requeued, 0);
	/* and it stops at the cap */
	t_exec(t_su, "UPDATE raw_events SET attempts = 6,"
	    " processed_at = now() - interval '1 day' WHERE status = 'FAILED'");
	assert_int_equal(t_allocate(&st), 0);
	assert_int_equal(st.requeued, 0);
	t_expect_ll(t_su, "SELECT count(*) FROM raw_events WHERE status = 'FAILED'", 6);
}

/* ---- credits and usage ------------------------------------------- */

static void
test_credits_and_usage(void **state)
{
	struct allocate_opts o;
	struct allocate_stats st;

	(void)state;
	t_seed_products(t_su);
	/* bought before the image service told us about the user: the
	 * credits wait on a placeholder user named by the e-mail */
	stripe_completed("G1", "Gina@Example.com", "credits-100", "999", "paid");
	run_ok();
	t_expect_str(t_su, "SELECT concat_ws(' ', external_id, balance)"
	    " FROM credit_balances", "email:gina@example.com 100");
	t_expect_str(t_su, "SELECT concat_ws(' ', kind, ref = 'order:' || order_id,"
	    " delta) FROM credit_ledger", "PURCHASE t 100");

	memset(&o, 0, sizeof(o));
	o.jobs = 1;
	o.fulfil_sla_minutes = 5;
	o.signup_grant = 25;
	/* registration adopts the placeholder, and grants the signup credits */
	user_event("user_registered.json", "evt_reg_1", "u_1", "gina@example.com",
	    "2026-11-19T08:00:00Z");
	usage_event("evt_use_1", "u_1", "gina@example.com", "qwen-image-edit", "5",
	    "2026-11-19T09:00:00Z");
	/* the same usage event delivered twice (two delivery ids) */
	t_deliver_free(t_su, "imagesvc", "standard-webhooks", "evt_use_1_dup",
	    t_fixture("usage_recorded.json", "EVT", "evt_use_1", "AT",
	    "2026-11-19T09:00:00Z", "USER", "u_1", "EMAIL", "gina@example.com",
	    "MODEL", "qwen-image-edit", "KIND", "edit", "DURATION", "8123",
	    "CREDITS", "5", "USTATUS", "ok", NULL));
	/* logins out of order: the latest wins */
	user_event("user_login.json", "evt_login_2", "u_1", "gina@example.com",
	    "2026-11-19T12:00:00Z");
	user_event("user_login.json", "evt_login_1", "u_1", "gina@example.com",
	    "2026-11-19T10:00:00Z");
	user_event("credits_balance.json", "evt_bal_1", "u_1", "gina@example.com",
	    "2026-11-19T12:00:00Z");
	assert_int_equal(t_allocate_opts(&o, &st), 0);
	assert_int_equal(st.ev.done, 6);
	t_expect_str(t_su, "SELECT concat_ws(' ', external_id, email, registered_at,"
	    " last_login_at) FROM app_users",
	    "u_1 gina@example.com 2026-11-19 08:00:00+00 2026-11-19 12:00:00+00");
	t_expect_ll(t_su, "SELECT balance FROM credit_balances", 100 + 25 - 5);
	t_expect_ll(t_su, "SELECT count(*) FROM usage_events", 1);
	t_expect_str(t_su, "SELECT concat_ws(' ', u.event_id, m.name, u.kind,"
	    " u.duration_ms, u.credits, u.status) FROM usage_events u"
	    " JOIN models m ON m.id = u.model_id",
	    "evt_use_1 qwen-image-edit edit 8123 5 ok");
	/* an unknown model: registered inactive and flagged */
	t_expect_str(t_su, "SELECT concat_ws(' ', name, active, flagged) FROM models",
	    "qwen-image-edit f t");
	/* credits.balance stores nothing beyond the raw event */
	t_expect_str(t_su, "SELECT status FROM raw_events WHERE event_key = 'evt_bal_1'",
	    "DONE");
	/* a usage event for a month without a partition creates one */
	usage_event("evt_use_old", "u_1", "gina@example.com", "qwen-image-edit",
	    "1", "2024-03-05T00:00:00Z");
	usage_event("evt_use_bad", "u_1", "gina@example.com", "qwen-image-edit",
	    "1", "2026-02-30T00:00:00Z");
	assert_int_equal(t_allocate_opts(&o, &st), 0);
	t_expect_ll(t_su, "SELECT count(*) FROM usage_events_202403", 1);
	t_expect_str(t_su, "SELECT error FROM raw_events WHERE event_key = 'evt_use_bad'",
	    "missing or malformed occurred_at");
	/* a signup grant is given once, even if the event comes again */
	user_event("user_registered.json", "evt_reg_1_again", "u_1",
	    "gina@example.com", "2026-11-19T08:00:00Z");
	assert_int_equal(t_allocate_opts(&o, &st), 0);
	t_expect_ll(t_su, "SELECT count(*) FROM credit_ledger WHERE kind = 'SIGNUP'", 1);
}

static void
test_credit_refund_negative_balance(void **state)
{
	struct allocate_stats st;

	(void)state;
	t_seed_products(t_su);
	user_event("user_registered.json", "evt_reg_h", "u_h", "h@example.com",
	    "2026-11-19T08:00:00Z");
	stripe_completed("H1", "h@example.com", "credits-100", "999", "paid");
	run_ok();
	t_expect_str(t_su, "SELECT concat_ws(' ', external_id, balance)"
	    " FROM credit_balances", "u_h 100");
	usage_event("evt_use_h", "u_h", "h@example.com", "gemini-flash-image", "80",
	    "2026-11-19T09:00:00Z");
	stripe_refunded("H1", "999", "999");
	assert_int_equal(t_allocate(&st), 0);
	t_check_invariants(t_su);
	/* allowed, but flagged */
	t_expect_ll(t_su, "SELECT balance FROM credit_balances", -80);
	assert_int_equal(st.ev.debited, 1);
	assert_int_equal(st.ev.negative_balances, 1);
	t_expect_str(t_su, "SELECT concat_ws(' ', action, after->>'delta',"
	    " after->>'negative_balance') FROM audit_log",
	    "order.refund_debit -100 true");
}

/* ---- arrival order, batching, duplicates ------------------------- */

struct ev {
	const char *source, *scheme, *key, *file;
	const char *const *subs;	/* key, value, ..., NULL */
};

static void
deliver_ev(const struct ev *e)
{
	const char *const *s = e->subs;

	/* at most eight placeholders in these fixtures */
	t_deliver_free(t_su, e->source, e->scheme, e->key,
	    t_fixture(e->file, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7],
	    s[8], s[9], s[10], s[11], s[12], s[13], s[14], s[15], s[16], s[17],
	    NULL));
}

static const char *const cs_paid[] = { "EVT", "e1", "CREATED", NOW_EPOCH,
	"ORDER", "O1", "AMOUNT", "1999", "CURRENCY", "usd", "EMAIL",
	"o1@example.com", "SKU", "seat-30", "PAYMENT_STATUS", "paid", NULL, NULL };
static const char *const cs_paid_credits[] = { "EVT", "e4", "CREATED",
	NOW_EPOCH, "ORDER", "O2", "AMOUNT", "999", "CURRENCY", "usd", "EMAIL",
	"o2@example.com", "SKU", "credits-100", "PAYMENT_STATUS", "paid", NULL,
	NULL };
static const char *const pi_ok[] = { "EVT", "e2", "CREATED", NOW_EPOCH,
	"ORDER", "O1", "AMOUNT", "1999", "CURRENCY", "usd", "EMAIL",
	"o1@example.com", NULL, NULL, NULL, NULL, NULL, NULL };
static const char *const refund_full[] = { "EVT", "e3", "CREATED", NOW_EPOCH,
	"ORDER", "O1", "AMOUNT", "1999", "REFUNDED", "1999", "FULL", "true",
	"CURRENCY", "usd", "EMAIL", "o1@example.com", NULL, NULL };
static const char *const refund_part[] = { "EVT", "e5", "CREATED", NOW_EPOCH,
	"ORDER", "O2", "AMOUNT", "999", "REFUNDED", "400", "FULL", "false",
	"CURRENCY", "usd", "EMAIL", "o2@example.com", NULL, NULL };
static const char *const mt_pending[] = { "ORDER", "O3", "STATUS", "pending",
	"FRAUD", "accept", "GROSS", "150000.00", "SKU", "seat-30-idr", "EMAIL",
	"o3@example.com", NULL, NULL, NULL, NULL, NULL, NULL };
static const char *const mt_settled[] = { "ORDER", "O3", "STATUS",
	"settlement", "FRAUD", "accept", "GROSS", "150000.00", "SKU",
	"seat-30-idr", "EMAIL", "o3@example.com", NULL, NULL, NULL, NULL, NULL,
	NULL };
static const char *const xe_paid[] = { "ORDER", "O4", "STATUS", "PAID",
	"AMOUNT", "150000", "SKU", "credits-100-idr", "EMAIL", "o4@example.com",
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
static const char *const xe_pending[] = { "ORDER", "O4", "STATUS", "PENDING",
	"AMOUNT", "150000", "SKU", "credits-100-idr", "EMAIL", "o4@example.com",
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };

/* In the order a provider would send them. */
static const struct ev story[] = {
	{ "stripe", "stripe", "e1", "stripe_checkout_completed.json", cs_paid },
	{ "stripe", "stripe", "e2", "stripe_payment_intent_succeeded.json", pi_ok },
	{ "stripe", "stripe", "e4", "stripe_checkout_completed.json", cs_paid_credits },
	{ "midtrans", "midtrans", "m1", "midtrans_notification.json", mt_pending },
	{ "midtrans", "midtrans", "m2", "midtrans_notification.json", mt_settled },
	{ "xendit", "xendit", "x1", "xendit_invoice.json", xe_pending },
	{ "xendit", "xendit", "x2", "xendit_invoice.json", xe_paid },
	{ "stripe", "stripe", "e3", "stripe_charge_refunded.json", refund_full },
	{ "stripe", "stripe", "e5", "stripe_charge_refunded.json", refund_part },
};
#define NSTORY (sizeof(story) / sizeof(story[0]))

enum arrival { IN_ORDER, REVERSED, ALL_AT_ONCE, ONE_PER_BATCH, TWICE };

static char *
play(enum arrival how)
{
	struct allocate_opts o;
	size_t i;
	int rc;

	t_setup(NULL);
	t_seed_products(t_su);
	accounts("('pool1@acc.io', 10)");
	/* the providers' answers: where O3 and O4 ended up */
	t_midtrans_says("O3",
	    t_fixture("midtrans_notification.json", mt_settled[0], mt_settled[1],
	    mt_settled[2], mt_settled[3], mt_settled[4], mt_settled[5],
	    mt_settled[6], mt_settled[7], mt_settled[8], mt_settled[9],
	    mt_settled[10], mt_settled[11], NULL));
	t_xendit_says("O4",
	    t_fixture("xendit_invoice.json", xe_paid[0], xe_paid[1], xe_paid[2],
	    xe_paid[3], xe_paid[4], xe_paid[5], xe_paid[6], xe_paid[7],
	    xe_paid[8], xe_paid[9], NULL));
	memset(&o, 0, sizeof(o));
	o.jobs = 1;
	o.fulfil_sla_minutes = 5;
	for (i = 0; i < NSTORY; i++) {
		deliver_ev(&story[how == REVERSED ? NSTORY - 1 - i : i]);
		if (how == IN_ORDER || how == REVERSED) {
			/* an order known only from its refund waits for its
			 * product: "problems" until the payment arrives */
			rc = t_allocate_opts(&o, NULL);
			if (rc != 0 && rc != TALLY_EPROBLEMS)
				fail_msg("allocate: %s", tally_strerror(rc));
		}
	}
	if (how == ONE_PER_BATCH)
		o.batch = 1;
	if (how == TWICE) {
		/* every delivery duplicated under a second key */
		t_exec(t_su, "INSERT INTO raw_events (source, scheme, event_key,"
		    " body, payload) SELECT source, scheme, event_key || '-dup',"
		    " body, payload FROM raw_events");
	}
	rc = t_allocate_opts(&o, NULL);
	if (rc != 0)
		fail_msg("allocate: %s", tally_strerror(rc));
	t_check_invariants(t_su);
	t_expect_ll(t_su, "SELECT count(*) FROM raw_events WHERE status <> 'DONE'", 0);
	return t_state(t_su);
}

/*
 * A refund before its payment, a pending after a settlement, a payment
 * intent before its session, duplicates, one event per batch or all in
 * one: the same final state.
 */
static void
test_order_independence(void **state)
{
	char *want, *got;
	enum arrival how;

	(void)state;
	want = play(IN_ORDER);
	/* the expected outcome, spelled out once */
	t_expect_ll(t_su, "SELECT count(*) FROM orders", 4);
	t_expect_str(t_su, "SELECT string_agg(provider_ref || ' ' || status, ', '"
	    " ORDER BY provider_ref) FROM orders",
	    "O3 PAID, inv_O4 PAID, pi_O1 REFUNDED, pi_O2 PARTIALLY_REFUNDED");
	t_expect_ll(t_su, "SELECT sum(current_seats_used) FROM pool_accounts", 1);
	t_expect_str(t_su, "SELECT string_agg(external_id || ' ' || balance, ', '"
	    " ORDER BY external_id) FROM credit_balances",
	    "email:o2@example.com 60, email:o4@example.com 100");
	for (how = REVERSED; how <= TWICE; how++) {
		got = play(how);
		if (strcmp(want, got) != 0)
			fail_msg("arrival %d differs:\n--- in order\n%s\n--- got\n%s",
			    (int)how, want, got);
		free(got);
	}
	free(want);
}

/* ---- the seat policy and running out of room --------------------- */

static void
paid_seats(int from, int n, const char *sku)
{
	char order[32], email[64];
	int i;

	for (i = from; i < from + n; i++) {
		snprintf(order, sizeof(order), "P%04d", i);
		snprintf(email, sizeof(email), "p%d@example.com", i);
		stripe_completed(order, email, sku, "1999", "paid");
	}
}

static void
test_policy(void **state)
{
	(void)state;
	t_seed_products(t_su);
	t_exec(t_su, "INSERT INTO customers (email) VALUES ('old@example.com')");
	accounts("('single1@acc.io', NULL), ('empty10@acc.io', 10),"
	    " ('part5of3@acc.io', 5), ('part5of1@acc.io', 5), ('empty4@acc.io', 4),"
	    " ('single2@acc.io', NULL)");
	/* seats already in use: 3 of 5, 1 of 5 */
	t_exec(t_su, "INSERT INTO assignments (account_id, customer_id, starts_at,"
	    " ends_at) SELECT a.id, c.id, now(), now() + interval '1 day'"
	    " FROM pool_accounts a, customers c, generate_series(1, 3) g"
	    " WHERE a.email = 'part5of3@acc.io' OR (a.email = 'part5of1@acc.io'"
	    " AND g = 1)");
	/* the fullest partly used first (2 free), then the other (4 free) */
	paid_seats(1, 3, "seat-30");
	run_ok();
	t_expect_str(t_su, "SELECT string_agg(email || '=' || current_seats_used,"
	    " ', ' ORDER BY id) FROM pool_accounts",
	    "single1@acc.io=0, empty10@acc.io=0, part5of3@acc.io=5,"
	    " part5of1@acc.io=2, empty4@acc.io=0, single2@acc.io=0");
	/* the partly used one is filled, then empty multi-seat, smallest
	 * first, then single-user accounts, ties by id */
	paid_seats(4, 3 + 4 + 10 + 1, "seat-30");
	run_ok();
	t_expect_str(t_su, "SELECT string_agg(email || '=' || current_seats_used"
	    " || '/' || status, ', ' ORDER BY id) FROM pool_accounts",
	    "single1@acc.io=1/ASSIGNED, empty10@acc.io=10/ASSIGNED,"
	    " part5of3@acc.io=5/ASSIGNED, part5of1@acc.io=5/ASSIGNED,"
	    " empty4@acc.io=4/ASSIGNED, single2@acc.io=0/AVAILABLE");
	/* oldest order first: the last order took the last seat given */
	t_expect_str(t_su, "SELECT acc.email FROM assignments a JOIN pool_accounts acc"
	    " ON acc.id = a.account_id WHERE a.order_id = (SELECT max(id) FROM orders)",
	    "single1@acc.io");
}

static void
test_no_room(void **state)
{
	struct allocate_stats st;

	(void)state;
	t_seed_products(t_su);
	accounts("('only@acc.io', 1), ('sus@acc.io', 5)");
	t_exec(t_su, "UPDATE pool_accounts SET status = 'SUSPENDED'"
	    " WHERE email = 'sus@acc.io'");
	paid_seats(1, 3, "seat-30");
	assert_int_equal(t_allocate(&st), TALLY_EPROBLEMS);
	t_check_invariants(t_su);
	assert_int_equal(st.seats, 1);
	assert_int_equal(st.no_room, 2);
	assert_int_equal(st.unfulfilled, 2);
	t_expect_ll(t_su, "SELECT count(*) FROM fulfil_queue"
	    " WHERE last_error = 'no account with a free seat' AND attempts = 1", 2);
	/* still no room on the next run: tried again, still waiting */
	assert_int_equal(t_allocate(&st), TALLY_EPROBLEMS);
	t_expect_ll(t_su, "SELECT count(*) FROM fulfil_queue WHERE attempts = 2", 2);
	/* room appears (an account is reactivated): the next run fulfils */
	t_exec(t_su, "UPDATE pool_accounts SET status = 'AVAILABLE'"
	    " WHERE email = 'sus@acc.io'");
	assert_int_equal(t_allocate(&st), 0);
	assert_int_equal(st.seats, 2);
	t_check_invariants(t_su);
	t_expect_ll(t_su, "SELECT count(*) FROM fulfil_queue", 0);
	/* waited longer than the SLA: the plan starts when the seat is given */
	t_expect_ll(t_su, "SELECT count(*) FROM assignments a JOIN orders o"
	    " ON o.id = a.order_id WHERE a.starts_at > o.paid_at", 3);
}

/* An order that cannot be fulfilled as stored (no product). */
static void
test_blocked_order(void **state)
{
	struct allocate_stats st;

	(void)state;
	t_seed_products(t_su);
	accounts("('pool1@acc.io', 3)");
	t_exec(t_su, "INSERT INTO orders (source, provider_ref, amount_minor,"
	    " currency, status, paid_at) VALUES ('stripe', 'pi_odd', 1999, 'USD',"
	    " 'PAID', now())");
	t_exec(t_su, "INSERT INTO fulfil_queue (order_id) SELECT id FROM orders");
	assert_int_equal(t_allocate(&st), TALLY_EPROBLEMS);
	assert_int_equal(st.blocked, 1);
	t_expect_str(t_su, "SELECT last_error FROM fulfil_queue",
	    "order has no product");
}

static void
test_dry_run(void **state)
{
	struct allocate_opts o;
	struct allocate_stats st;
	char *before, *after;

	(void)state;
	t_seed_products(t_su);
	accounts("('pool1@acc.io', 3)");
	stripe_completed("N1", "n1@example.com", "seat-30", "1999", "paid");
	stripe_completed("N2", "n2@example.com", "credits-100", "999", "paid");
	before = t_state(t_su);
	memset(&o, 0, sizeof(o));
	o.dry_run = true;
	o.jobs = 4;		/* ignored: a dry run is one transaction */
	o.fulfil_sla_minutes = 5;
	assert_int_equal(t_allocate_opts(&o, &st), 0);
	assert_int_equal(st.ev.events, 2);
	assert_int_equal(st.seats, 1);
	assert_int_equal(st.credits, 1);
	after = t_state(t_su);
	assert_string_equal(before, after);
	t_expect_ll(t_su, "SELECT count(*) FROM raw_events WHERE status = 'NEW'", 2);
	t_expect_ll(t_su, "SELECT count(*) FROM orders", 0);
	free(before);
	free(after);
}

/* Several workers in one run share the work and agree with one. */
static void
test_jobs(void **state)
{
	struct allocate_opts o;
	struct allocate_stats st;

	(void)state;
	t_seed_products(t_su);
	accounts("('a@acc.io', 50), ('b@acc.io', 50), ('c@acc.io', 50)");
	paid_seats(1, 140, "seat-30");
	memset(&o, 0, sizeof(o));
	o.jobs = 3;
	o.batch = 10;
	o.fulfil_sla_minutes = 5;
	o.conninfo = t_url;
	o.role = "tally_batch";
	assert_int_equal(t_allocate_opts(&o, &st), 0);
	assert_int_equal(st.ev.events, 140);
	assert_int_equal(st.seats, 140);
	t_check_invariants(t_su);
	t_expect_ll(t_su, "SELECT sum(current_seats_used) FROM pool_accounts", 140);
}

/* ---- exact money in SQL ------------------------------------------ */

static void
test_sql_amounts_match_money_c(void **state)
{
	static const struct {
		const char *s, *cur;
	} cases[] = {
		{ "150000.00", "IDR" }, { "150000", "IDR" }, { "150000.000", "IDR" },
		{ "150000.005", "IDR" }, { "19.99", "USD" }, { "19.9", "USD" },
		{ "0.01", "USD" }, { "0", "USD" }, { "1500", "JPY" },
		{ "1500.0", "JPY" }, { "1500.5", "JPY" }, { "1.234", "KWD" },
		{ "1.2345", "KWD" }, { "abc", "USD" }, { "", "USD" },
		{ "1,234.50", "USD" }, { "92233720368547758.07", "USD" },
		{ "92233720368547758.08", "USD" },
	};
	struct db *db = t_su;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *params[2] = { cases[i].s, cases[i].cur };
		int64_t minor = 0;
		char *v = NULL, want[32];
		int rc;

		rc = money_parse_major(cases[i].s, money_exponent(cases[i].cur), &minor);
		if (db_query_value(db, &v, "SELECT tally_parse_major($1, $2)", 2,
		    params) != 0)
			fail_msg("%s", db_errmsg(db));
		if (rc == 0)
			snprintf(want, sizeof(want), "%lld", (long long)minor);
		if ((rc == 0) != (v != NULL) || (rc == 0 && strcmp(v, want) != 0))
			fail_msg("%s %s: money.c %s, SQL %s", cases[i].s, cases[i].cur,
			    rc == 0 ? want : "rejects", v != NULL ? v : "rejects");
		free(v);
	}
}

/* ---- the program -------------------------------------------------- */

/* tally-allocate with args; its diagnostics go to the test log, to
 * explain a wrong exit */
#define ALLOCATE(args) testdb_run("tally-allocate", "%s", args)

static void
test_program(void **state)
{
	static const char *const bad[] = { "--no-such-option", "--batch 0",
		"--as-of yesterday-ish", NULL };
	struct db *holder;

	(void)state;
	t_program_cli("tally-allocate", bad);

	t_seed_products(t_su);
	accounts("('only@acc.io', 1)");
	paid_seats(1, 1, "seat-30");
	assert_int_equal(ALLOCATE("--dry-run"), 0);
	t_expect_ll(t_su, "SELECT count(*) FROM job_runs", 0);
	t_expect_ll(t_su, "SELECT count(*) FROM orders", 0);
	assert_int_equal(ALLOCATE(""), 0);
	t_expect_str(t_su, "SELECT concat_ws(' ', program, status,"
	    " counts->>'fulfilled_seats', finished_at IS NOT NULL) FROM job_runs",
	    "tally-allocate OK 1 t");
	/* no room for the second: done, but found problems */
	paid_seats(2, 1, "seat-30");
	assert_int_equal(ALLOCATE(""), 1);
	t_expect_str(t_su, "SELECT concat_ws(' ', status, counts->>'unfulfilled')"
	    " FROM job_runs ORDER BY id DESC LIMIT 1", "PROBLEMS 1");
	/* another run holds the lock: exit 75 at once, no row */
	holder = t_hold_lock("tally-allocate");
	assert_int_equal(ALLOCATE(""), EX_TEMPFAIL);
	t_expect_ll(t_su, "SELECT count(*) FROM job_runs", 2);
	/* released, not just closed: a closed session's locks go only when
	 * its backend has finished exiting, and the next run is at once */
	assert_int_equal(db_unlock(holder, "tally-allocate"), 0);
	db_free(holder);
	/* an abandoned RUNNING row is closed by the next run */
	t_exec(t_su, "INSERT INTO job_runs (program) VALUES ('tally-allocate')");
	assert_int_equal(ALLOCATE(""), 1);
	t_expect_ll(t_su, "SELECT count(*) FROM job_runs WHERE status = 'RUNNING'", 0);
	t_expect_ll(t_su, "SELECT count(*) FROM job_runs WHERE status = 'FAILED'"
	    " AND message LIKE 'abandoned%'", 1);
	/* the database is unavailable: 69 */
	setenv("TALLY_DATABASE_URL", "host=/nonexistent port=1 dbname=x", 1);
	assert_int_equal(ALLOCATE(""), EX_UNAVAILABLE);
	setenv("TALLY_DATABASE_URL", t_url, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
		T(test_stripe_paid_seat),
		T(test_starts_at_paid_at),
		T(test_stripe_unpaid_then_async),
		T(test_stripe_refunds),
		T(test_stripe_disputes),
		T(test_ignored_and_duplicates),
		T(test_midtrans_paths),
		T(test_xendit_paths),
		T(test_failed_events),
		T(test_credits_and_usage),
		T(test_credit_refund_negative_balance),
		T(test_order_independence),
		T(test_policy),
		T(test_no_room),
		T(test_blocked_order),
		T(test_dry_run),
		T(test_jobs),
		T(test_sql_amounts_match_money_c),
		T(test_program),
#undef T
	};

	testdb_require();
	return cmocka_run_group_tests(tests, t_providers_start, t_providers_stop);
}
