/*
 * test_allocate_confirm - Midtrans and Xendit notifications are acted on
 * only as the provider's status API confirms them (issue 10, item 4;
 * lib/books/confirm.h), against a fake provider on loopback
 * (tests/support/fake_provider.h) and a real database:
 *   - the two Midtrans attacks: a pending notification relabelled
 *     "settlement" fulfils nothing; a settlement replayed as "refund"
 *     revokes nothing; each is a NOTIFICATION_MISMATCH case, with both
 *     sides, that reconcile finds again;
 *   - a capture the fraud check challenged (201) is pending, not paid,
 *     until the challenge is accepted;
 *   - a Xendit callback forging the amount: the provider's amount is the
 *     order's, and it is held as underpaid;
 *   - the provider unreachable: the event stays NEW, asked again only after
 *     the back-off (1, then 2 minutes...), one probe per source per run,
 *     then processed once it answers;
 *   - a transaction the provider does not know fails the event (and is
 *     asked about again when the event is retried);
 *   - the key is sent as basic auth, a refused key leaves the event NEW;
 *   - a source without a status API, or no configuration at all: nothing
 *     is done on the notification's word;
 *   - a dry run asks but keeps nothing.
 * Times move by rewriting next_ask_at / processed_at, never by sleeping.
 */
#include "support/alloc_test.h"

/* A Midtrans notification and the provider's answer about its order. */
#define mt_body t_mt_body

static void
mt_deliver(const char *key, char *body)
{
	t_deliver_free(t_su, "midtrans", "midtrans", key, body);
}

static char *
xe_body(const char *id, const char *status, const char *amount)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "{\"id\":\"%s\",\"external_id\":\"ext-%s\","
	    "\"status\":\"%s\",\"amount\":%s,\"paid_amount\":%s,"
	    "\"currency\":\"IDR\",\"payer_email\":\"%s@example.co.id\","
	    "\"paid_at\":\"2026-11-20T03:16:00Z\","
	    "\"metadata\":{\"sku\":\"seat-30-idr\"}}", id, id, status, amount,
	    amount, id);
	return strbuf_detach(&sb, NULL);
}

static void
seed(void)
{
	t_seed_products(t_su);
	t_pool(10);
}

/* A pending Midtrans notification relabelled "settlement" (its signed
 * status_code still 201: the receiver refuses that with 400; stored here
 * as if it had got past) fulfils nothing: Midtrans says pending. */
static void
test_midtrans_relabelled_pending(void **state)
{
	struct allocate_stats st;

	(void)state;
	seed();
	t_midtrans_says("M1", mt_body("M1", "201", "pending", "150000.00", NULL));
	mt_deliver("M1:settlement:tx-M1", mt_body("M1", "201", "settlement",
	    "150000.00", NULL));
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.confirm.asked, 1);
	assert_int_equal(st.confirm.mismatches, 1);
	assert_int_equal(st.ev.mismatches, 1);
	assert_int_equal(st.seats, 0);
	/* asked with the key, once; the notification kept as received */
	assert_int_equal(fake_provider_hits(t_provider, "/v2/M1/status"), 1);
	assert_int_equal(fake_provider_refused(t_provider), 0);
	t_expect_str(t_su, "SELECT payload->>'transaction_status' FROM raw_events",
	    "settlement");
	t_expect_str(t_su, "SELECT concat_ws(' ', r.status, c.outcome,"
	    " c.answer->>'transaction_status', c.mismatch->>'why')"
	    " FROM raw_events r JOIN provider_checks c ON c.raw_event_id = r.id",
	    "DONE ANSWERED pending status");
	t_expect_str(t_su, "SELECT concat_ws(' ', status, amount_minor) FROM orders",
	    "PENDING 15000000");
	t_expect_ll(t_su, "SELECT count(*) FROM assignments", 0);
	t_expect_str(t_su, "SELECT concat_ws(' ', category, severity, status,"
	    " keys->>'raw_event_id' = (SELECT id::text FROM raw_events),"
	    " details->'notified'->>'status', details->'provider'->>'status',"
	    " details->'notified'->>'raw_status', details->'provider'->>'raw_status')"
	    " FROM reconcile_cases",
	    "NOTIFICATION_MISMATCH error OPEN t PAID PENDING settlement pending");
	/* reconcile finds the same case */
	assert_int_equal(t_reconcile(), TALLY_EPROBLEMS);
	t_expect_str(t_su, "SELECT concat_ws(' ', count(*), max(occurrences))"
	    " FROM reconcile_cases", "1 2");

	/* when it really settles, the real notification fulfils it */
	t_notify_confirmed("midtrans", "M1", "M1:settlement:tx-M1:real",
	    mt_body("M1", "200", "settlement", "150000.00", NULL));
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.seats, 1);
	assert_int_equal(st.confirm.mismatches, 0);
	t_expect_str(t_su, "SELECT status FROM orders", "PAID");
}

/* A card capture the fraud check challenged (status_code 201, the one
 * 201 capture the receiver takes in) is pending, never paid, even when
 * Midtrans confirms it; once the challenge is accepted, it is fulfilled. */
static void
test_midtrans_challenged_capture(void **state)
{
	struct allocate_stats st;
	const char *challenge = ",\"fraud_status\":\"challenge\"";

	(void)state;
	seed();
	t_notify_confirmed("midtrans", "M9", "M9:capture:tx-M9",
	    mt_body("M9", "201", "capture", "150000.00", challenge));
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.confirm.asked, 1);
	assert_int_equal(st.confirm.mismatches, 0);
	assert_int_equal(st.seats, 0);
	t_expect_str(t_su, "SELECT concat_ws(' ', c.answer->>'fraud_status',"
	    " o.status) FROM provider_checks c, orders o", "challenge PENDING");
	t_expect_ll(t_su, "SELECT count(*) FROM assignments", 0);
	t_expect_ll(t_su, "SELECT count(*) FROM fulfil_queue", 0);

	/* the merchant accepts the challenge: a 200 capture, accepted */
	t_notify_confirmed("midtrans", "M9", "M9:capture:tx-M9:accepted",
	    mt_body("M9", "200", "capture", "150000.00", NULL));
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.seats, 1);
	t_expect_str(t_su, "SELECT status FROM orders", "PAID");
}

/* A settlement body replayed as "refund" (status_code 200 goes with both,
 * so the receiver takes it) revokes nothing: Midtrans says settlement. */
static void
test_midtrans_replayed_refund(void **state)
{
	struct allocate_stats st;

	(void)state;
	seed();
	t_notify_confirmed("midtrans", "M2", "M2:settlement:tx-M2",
	    mt_body("M2", "200", "settlement", "150000.00", NULL));
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.seats, 1);
	mt_deliver("M2:refund:tx-M2", mt_body("M2", "200", "refund", "150000.00",
	    NULL));
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.ev.revoked, 0);
	t_expect_ll(t_su, "SELECT count(*) FROM refunds", 0);
	t_expect_str(t_su, "SELECT concat_ws(' ', o.status, a.status) FROM orders o"
	    " JOIN assignments a ON a.order_id = o.id", "PAID ACTIVE");
	t_expect_str(t_su, "SELECT concat_ws(' ', category,"
	    " details->'notified'->>'fact', details->'provider'->>'fact',"
	    " details->>'event_key') FROM reconcile_cases",
	    "NOTIFICATION_MISMATCH REFUND PAYMENT M2:refund:tx-M2");

	/* a refund Midtrans confirms does take the seat back */
	t_notify_confirmed("midtrans", "M2", "M2:refund:tx-M2:real",
	    mt_body("M2", "200", "refund", "150000.00",
	    ",\"refund_amount\":\"150000.00\""));
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.ev.revoked, 1);
	t_expect_str(t_su, "SELECT concat_ws(' ', o.status, a.status) FROM orders o"
	    " JOIN assignments a ON a.order_id = o.id", "REFUNDED REVOKED");
}

/* A Xendit callback (a fixed token, nothing signed) claiming the full
 * amount for an invoice paid with far less: the provider's amount is the
 * order's, and the price check holds it. */
static void
test_xendit_forged_amount(void **state)
{
	struct allocate_stats st;
	char *answer;

	(void)state;
	seed();
	answer = xe_body("inv_X1", "PAID", "1500");
	t_provider_says("/v2/invoices/inv_X1", answer);
	free(answer);
	t_deliver_free(t_su, "xendit", "xendit", "inv_X1:PAID",
	    xe_body("inv_X1", "PAID", "150000"));
	t_allocate_expect(&st, 0, 1);
	t_expect_str(t_su, "SELECT concat_ws(' ', status, hold_reason, amount_minor)"
	    " FROM orders", "HELD UNDERPAID 150000");
	t_expect_str(t_su, "SELECT amount_minor::text FROM payments", "150000");
	t_expect_str(t_su, "SELECT string_agg(concat_ws(' ', category,"
	    " details->>'why', details->'notified'->>'amount',"
	    " details->'provider'->>'amount'), ', ' ORDER BY category)"
	    " FROM reconcile_cases WHERE category = 'NOTIFICATION_MISMATCH'",
	    "NOTIFICATION_MISMATCH amount 15000000 150000");
	t_expect_ll(t_su, "SELECT count(*) FROM reconcile_cases"
	    " WHERE category = 'UNDERPAID'", 1);
}

/* Unreachable: the event waits, asked again only after the back-off; one
 * probe per source per run; processed once the provider answers. */
static void
test_unreachable_backoff(void **state)
{
	struct allocate_stats st;

	(void)state;
	seed();
	t_midtrans_says("M3", mt_body("M3", "200", "settlement", "150000.00", NULL));
	t_midtrans_says("M4", mt_body("M4", "200", "settlement", "150000.00", NULL));
	mt_deliver("M3:settlement:tx-M3", mt_body("M3", "200", "settlement",
	    "150000.00", NULL));
	mt_deliver("M4:settlement:tx-M4", mt_body("M4", "200", "settlement",
	    "150000.00", NULL));
	fake_provider_down(t_provider, true);
	assert_int_equal(t_allocate_checked(&st), 0);
	/* one probe: the second event was not asked in this run */
	assert_int_equal(st.confirm.asked, 1);
	assert_int_equal(st.confirm.unreachable, 1);
	assert_int_equal(st.ev.events, 0);
	assert_int_equal(fake_provider_hits(t_provider, NULL), 1);
	t_expect_str(t_su, "SELECT string_agg(status, ' ' ORDER BY id)"
	    " FROM raw_events", "NEW NEW");
	t_expect_str(t_su, "SELECT concat_ws(' ', outcome, http_status, error,"
	    " failures, next_ask_at - asked_at) FROM provider_checks",
	    "UNREACHABLE 503 HTTP 503 1 00:01:00");
	/* at once again: the first waits its minute, the second is probed */
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.confirm.asked, 1);
	assert_int_equal(fake_provider_hits(t_provider, "/v2/M3/status"), 1);
	assert_int_equal(fake_provider_hits(t_provider, "/v2/M4/status"), 1);
	/* the minute has passed (moved, not waited): still down, 2 minutes */
	t_exec(t_su, "UPDATE provider_checks SET next_ask_at = now()"
	    " - interval '1 second', asked_at = asked_at - interval '1 minute'");
	assert_int_equal(t_allocate_checked(&st), 0);
	t_expect_str(t_su, "SELECT concat_ws(' ', failures,"
	    " next_ask_at - asked_at) FROM provider_checks"
	    " ORDER BY raw_event_id LIMIT 1", "2 00:02:00");
	/* back up: both answered, both orders fulfilled */
	fake_provider_down(t_provider, false);
	t_exec(t_su, "UPDATE provider_checks SET next_ask_at = now()"
	    " - interval '1 second'");
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.confirm.answered, 2);
	assert_int_equal(st.seats, 2);
	t_expect_str(t_su, "SELECT string_agg(concat_ws(' ', c.outcome,"
	    " c.failures, c.next_ask_at IS NULL, r.status), ', '"
	    " ORDER BY r.id) FROM raw_events r JOIN provider_checks c"
	    " ON c.raw_event_id = r.id", "ANSWERED 0 t DONE, ANSWERED 0 t DONE");
}

/* Unknown to the provider: the event fails (a case too); retried after
 * its back-off, it is asked about again. */
static void
test_unknown_transaction(void **state)
{
	struct allocate_stats st;

	(void)state;
	seed();
	mt_deliver("M5:settlement:tx-M5", mt_body("M5", "200", "settlement",
	    "150000.00", NULL));
	/* Xendit says 404 */
	fake_provider_set(t_provider, "/v2/invoices/inv_X5", 404,
	    "{\"error_code\":\"INVOICE_NOT_FOUND_ERROR\"}");
	t_deliver_free(t_su, "xendit", "xendit", "inv_X5:PAID",
	    xe_body("inv_X5", "PAID", "150000"));
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.confirm.unknown, 2);
	assert_int_equal(st.ev.failed, 2);
	t_expect_str(t_su, "SELECT string_agg(concat_ws(' ', r.status, r.error),"
	    " ', ' ORDER BY r.id) FROM raw_events r",
	    "FAILED the provider does not know this transaction, "
	    "FAILED the provider does not know this transaction");
	t_expect_ll(t_su, "SELECT count(*) FROM orders", 0);
	t_expect_str(t_su, "SELECT string_agg(concat_ws(' ', category,"
	    " details->>'why'), ', ') FROM reconcile_cases",
	    "NOTIFICATION_MISMATCH the provider does not know this transaction, "
	    "NOTIFICATION_MISMATCH the provider does not know this transaction");
	/* the transaction shows up at Midtrans; the retry asks again */
	t_midtrans_says("M5", mt_body("M5", "200", "settlement", "150000.00", NULL));
	t_exec(t_su, "UPDATE raw_events SET processed_at = processed_at"
	    " - interval '2 minutes'");
	t_exec(t_su, "UPDATE provider_checks SET asked_at = asked_at"
	    " - interval '2 minutes'");
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.requeued, 2);
	assert_int_equal(st.confirm.asked, 2);
	assert_int_equal(st.seats, 1);
	assert_int_equal(fake_provider_hits(t_provider, "/v2/M5/status"), 2);
	t_expect_str(t_su, "SELECT string_agg(status, ' ' ORDER BY id)"
	    " FROM raw_events", "DONE FAILED");
}

/* The key goes as basic auth; a key the provider refuses leaves the event
 * NEW (logged as an error), never acted on. */
static void
test_refused_key(void **state)
{
	struct allocate_stats st;
	char path[128];

	(void)state;
	seed();
	snprintf(path, sizeof(path), "%s/api.key", t_cfg_dir);
	t_write(t_cfg_dir, "api.key", "a-wrong-key\n");
	t_notify_confirmed("midtrans", "M6", "M6:settlement:tx-M6",
	    mt_body("M6", "200", "settlement", "150000.00", NULL));
	assert_int_equal(t_allocate_checked(&st), 0);
	t_write(t_cfg_dir, "api.key", T_PROVIDER_KEY "\n");
	assert_int_equal(fake_provider_refused(t_provider), 1);
	assert_int_equal(st.seats, 0);
	t_expect_str(t_su, "SELECT concat_ws(' ', r.status, c.outcome,"
	    " c.http_status, c.error) FROM raw_events r JOIN provider_checks c"
	    " ON c.raw_event_id = r.id", "NEW UNREACHABLE 401 HTTP 401: the "
	    "provider refused the key (api_key_file of [source midtrans])");
	/* an unreadable key file is a configuration error of the run */
	unlink(path);
	assert_int_equal(t_allocate_checked(&st), TALLY_ECONFIG);
	t_write(t_cfg_dir, "api.key", T_PROVIDER_KEY "\n");
}

/* No status API for a source, or no configuration: nothing is done on
 * the notification's word; a dry run asks and keeps nothing. */
static void
test_unconfirmed_waits(void **state)
{
	struct allocate_opts o;
	struct allocate_stats st;
	struct db *db;

	(void)state;
	seed();
	t_midtrans_says("M7", mt_body("M7", "200", "settlement", "150000.00", NULL));
	t_midtrans_says("M8", mt_body("M8", "200", "settlement", "150000.00", NULL));
	/* a second Midtrans account nobody configured a status API for */
	t_deliver_free(t_su, "midtrans-b", "midtrans", "M7:settlement:tx-M7",
	    mt_body("M7", "200", "settlement", "150000.00", NULL));
	mt_deliver("M8:settlement:tx-M8", mt_body("M8", "200", "settlement",
	    "150000.00", NULL));
	/* no configuration at all: neither is acted on */
	memset(&o, 0, sizeof(o));
	o.jobs = 1;
	o.fulfil_sla_minutes = 5;
	db = t_batch_conn();
	assert_int_equal(allocate_run(db, &o, &st), 0);
	db_free(db);
	assert_int_equal(st.ev.events, 0);
	assert_int_equal(fake_provider_hits(t_provider, NULL), 0);
	t_expect_str(t_su, "SELECT string_agg(status, ' ' ORDER BY id)"
	    " FROM raw_events", "NEW NEW");
	/* a dry run asks about M8, acts, and keeps nothing */
	o.dry_run = true;
	assert_int_equal(t_allocate_opts(&o, &st), 0);
	assert_int_equal(st.confirm.answered, 1);
	assert_int_equal(st.seats, 1);
	assert_int_equal(fake_provider_hits(t_provider, NULL), 1);
	t_expect_ll(t_su, "SELECT count(*) FROM provider_checks", 0);
	t_expect_str(t_su, "SELECT string_agg(status, ' ' ORDER BY id)"
	    " FROM raw_events", "NEW NEW");
	/* the real run: M8 fulfilled, M7 (no status API) still waits */
	assert_int_equal(t_allocate_checked(&st), 0);
	assert_int_equal(st.seats, 1);
	assert_int_equal(fake_provider_hits(t_provider, "/v2/M7/status"), 0);
	t_expect_str(t_su, "SELECT string_agg(status, ' ' ORDER BY id)"
	    " FROM raw_events", "NEW DONE");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
		T(test_midtrans_relabelled_pending),
		T(test_midtrans_replayed_refund),
		T(test_midtrans_challenged_capture),
		T(test_xendit_forged_amount),
		T(test_unreachable_backoff),
		T(test_unknown_transaction),
		T(test_refused_key),
		T(test_unconfirmed_waits),
#undef T
	};

	testdb_require();
	return cmocka_run_group_tests(tests, t_providers_start,
	    t_providers_stop);
}
