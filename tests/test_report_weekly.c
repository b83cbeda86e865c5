/*
 * test_report_weekly - the SQL of tally-weekly-report (reports/weekly/),
 * run as the report contract says (tests/fixtures/reports/sheet_test.h),
 * against tests/fixtures/reports/weekly_basic.sql, whose comments work out
 * every expected figure by hand.  The main week, 2026-W13 in
 * Europe/Berlin, contains the switch to summer time; W14 crosses from
 * March into April; the same week cut in UTC shows what the zone changes;
 * an empty database and an empty week give valid results; a rerun at the
 * same as-of after later changes (weekly_late.sql) gives the same figures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pg/db.h"
#include "base/money.h"
#include "support/testdb.h"
#include "support/sheet_test.h"

#define SUMMARY "reports/weekly/00_summary.sql"
#define POOL "reports/weekly/01_pool_status.sql"
#define ASSIGN "reports/weekly/02_assignments.sql"
#define BYDAY "reports/weekly/03_assignments_by_day.sql"
#define SLA "reports/weekly/04_fulfilment_sla.sql"
#define UNFULFILLED "reports/weekly/05_unfulfilled.sql"
#define USAGE "reports/weekly/06_usage.sql"
#define REVENUE "reports/weekly/07_revenue.sql"
#define ISSUES "reports/weekly/08_issues.sql"
#define ANOMALIES "reports/weekly/09_audit_anomalies.sql"
#define NSHEETS 10

/* Header lines of the sheets more than one test reads. */
#define POOL_HEADER \
    "account_type|accounts|available|assigned|suspended|seat_capacity|" \
    "seats_used|seats_free|seats_on_suspended|seat_utilisation\n"
#define ASSIGN_HEADER \
    "new_assignments|expired|extended|revoked|active_at_end|" \
    "avg_days_planned|avg_days_served\n"
#define BYDAY_HEADER "day|new_assignments|expired|revoked|extended\n"
#define SLA_HEADER \
    "orders|paid|fulfilled|within_sla|unfulfilled|success_rate|" \
    "median_seconds|p95_seconds\n"
#define USAGE_HEADER \
    "images_generated|images_edited|failed_calls|credits_consumed|" \
    "active_users|new_users|registered_users|credits_per_active_user\n"
#define REVENUE_HEADER \
    "currency|sku|product|payments|gross|refunds|refunded|chargebacks|" \
    "charged_back|net\n"
/* W13's IDR rows of the revenue sheet: the late facts are all in USD. */
#define REVENUE_W13_IDR \
    "IDR|cred-100-idr|100 credits (IDR)|1|75000.00|0|0.00|0|0.00|75000.00\n" \
    "IDR|seat-30-idr|Seat 30 days (IDR)|1|150000.00|1|50000.00|0|0.00|" \
    "100000.00\n" \
    "IDR|All products|NULL|2|225000.00|1|50000.00|0|0.00|175000.00\n"
#define ANOMALIES_HEADER \
    "anomaly|actor|action|occurrences|usual_per_week|first_at|last_at|" \
    "entity|reason\n"

/* 2026-W13 in Berlin: Monday 00:00+01 to Monday 00:00+02, as the engine
 * passes it (lib/base/period.h prints UTC); the report runs Monday 08:00+02. */
#define BERLIN "Europe/Berlin"
#define W13_FROM "2026-03-22T23:00:00Z"
#define W13_TO "2026-03-29T22:00:00Z"
#define W13_ASOF "2026-03-30T06:00:00Z"
/* W14 (across March and April) in Berlin, run Monday 08:00+02; W13 cut in
 * UTC; a week before anything happened (2025-W23); a later as-of at which
 * the late facts count. */
#define W14_FROM "2026-03-29T22:00:00Z"
#define W14_TO "2026-04-05T22:00:00Z"
#define W14_ASOF "2026-04-06T06:00:00Z"
#define W13_UTC_FROM "2026-03-23T00:00:00Z"
#define W13_UTC_TO "2026-03-30T00:00:00Z"
#define W23_2025_FROM "2025-06-01T22:00:00Z"
#define W23_2025_TO "2025-06-08T22:00:00Z"
#define W23_2025_ASOF "2025-06-09T06:00:00Z"
#define LATER "2026-07-01T00:00:00Z"
/* W13's assignments per day after Monday: the same cut in Berlin and in
 * UTC (only Monday's extend, at 00:30+01, moves). */
#define W13_TUE_TO_SUN \
    "2026-03-24|1|0|0|0\n" \
    "2026-03-25|1|0|0|0\n" \
    "2026-03-26|1|0|0|1\n" \
    "2026-03-27|0|0|1|0\n" \
    "2026-03-28|0|0|0|0\n" \
    "2026-03-29|1|1|0|0\n"


/* The seat sheets of [from, to) at as_of in tz, each under its header:
 * the pool's lines (POOL; NULL: not checked), the assignments' summary
 * line (ASSIGN) and their lines per day (BYDAY). */
static void
expect_seats(struct db *db, const char *from, const char *to,
    const char *as_of, const char *tz, const char *pool, const char *summary,
    const char *days)
{
	const char *sheet[3] = { POOL, ASSIGN, BYDAY };
	const char *header[3] = { POOL_HEADER, ASSIGN_HEADER, BYDAY_HEADER };
	const char *rows[3] = { pool, summary, days };
	struct strbuf want = STRBUF_INIT;

	for (int i = 0; i < 3; i++) {
		if (rows[i] == NULL)
			continue;
		strbuf_reset(&want);
		strbuf_addf(&want, "%s%s", header[i], rows[i]);
		rs_expect(db, sheet[i], from, to, as_of, tz, want.buf);
	}
	strbuf_release(&want);
}

/*
 * A migrated database with no data at all: every sheet runs, its header
 * agrees with its columns (tests/fixtures/reports/sheet_test.h), and the
 * sheets that describe fixed rows still have them, zeros included.
 */
static void
test_empty_database(void **state)
{
	static const int rows[NSHEETS] = { 16, 3, 1, 7, 1, 0, 1, 0, 0, 0 };
	struct db *db = rs_fresh_db(NULL);

	(void)state;
	rs_check_report(db, "reports/weekly/", NSHEETS, rows, W13_FROM, W13_TO,
	    W13_ASOF, BERLIN);
	rs_expect(db, POOL, W13_FROM, W13_TO, W13_ASOF, BERLIN,
	    POOL_HEADER
	    "Multi-seat|0|0|0|0|0|0|0|0|NULL\n"
	    "Single-user|0|0|0|0|0|0|0|0|NULL\n"
	    "All accounts|0|0|0|0|0|0|0|0|NULL\n");
	rs_expect(db, SLA, W13_FROM, W13_TO, W13_ASOF, BERLIN,
	    SLA_HEADER
	    "All paid orders|0|0|0|0|NULL|NULL|NULL\n");
	db_free(db);
}

/* Every sheet of W13 in Berlin, figure by figure (weekly_basic.sql). */
static void
test_week_with_dst(void **state)
{
	struct db *db = *state;

	rs_check_report(db, "reports/weekly/", NSHEETS,
	    (const int[NSHEETS]){ 24, 3, 1, 7, 4, 4, 1, 8, 15, 5 },
	    W13_FROM, W13_TO, W13_ASOF, BERLIN);
	expect_seats(db, W13_FROM, W13_TO, W13_ASOF, BERLIN,
	    "Multi-seat|3|2|0|1|5|3|2|1|0.6000\n"
	    "Single-user|3|2|1|0|3|1|2|0|0.3333\n"
	    "All accounts|6|4|1|1|8|4|4|1|0.5000\n",
	    "4|1|2|1|5|25.96|16.04\n",
	    "2026-03-23|0|0|0|1\n"
	    W13_TUE_TO_SUN);
	rs_expect(db, SLA, W13_FROM, W13_TO, W13_ASOF, BERLIN,
	    SLA_HEADER
	    "Seat plans|5|4|3|1|0.6000|90.0|528.0\n"
	    "Credit packages|2|2|1|0|0.5000|72015.0|136801.5\n"
	    "Unknown product|1|0|0|1|0.0000|NULL|NULL\n"
	    "All paid orders|8|6|4|2|0.5000|90.0|108150.0\n");
	rs_expect(db, UNFULFILLED, W13_FROM, W13_TO, W13_ASOF, BERLIN,
	    "order_id|paid_at|waiting_hours|source|provider_ref|customer|sku|"
	    "product_kind|amount|currency\n"
	    "11|2026-03-20 10:00:00+01|229.0|stripe|pi_11|dave@example.com|"
	    "seat-30|SEAT|19.99|USD\n"
	    "10|2026-03-27 11:00:00+01|60.0|stripe|pi_10|carol@example.com|"
	    "NULL|NULL|9.99|USD\n"
	    "8|2026-03-28 14:00:00+01|33.0|midtrans|ord-8|=cmd|calc@evil.test|"
	    "cred-100-idr|CREDITS|75000.00|IDR\n"
	    "9|2026-03-28 16:00:00+01|31.0|midtrans|ord-9|frank@example.com|"
	    "seat-30-idr|SEAT|150000.00|IDR\n");
	rs_expect(db, USAGE, W13_FROM, W13_TO, W13_ASOF, BERLIN,
	    USAGE_HEADER
	    "2|3|1|21|4|3|4|5.3\n");
	rs_expect(db, REVENUE, W13_FROM, W13_TO, W13_ASOF, BERLIN,
	    REVENUE_HEADER
	    REVENUE_W13_IDR
	    "USD|cred-100|100 credits|1|5.00|0|0.00|0|0.00|5.00\n"
	    "USD|seat-14|Seat 14 days|1|10.99|0|0.00|0|0.00|10.99\n"
	    "USD|seat-30|Seat 30 days|3|59.97|1|19.99|1|19.99|19.99\n"
	    "USD|(unknown)|NULL|1|9.99|0|0.00|0|0.00|9.99\n"
	    "USD|All products|NULL|6|85.95|1|19.99|1|19.99|45.97\n");
	rs_expect(db, ISSUES, W13_FROM, W13_TO, W13_ASOF, BERLIN,
	    "category|item|occurrences|first_at|last_at|detail\n"
	    "Unprocessable event|midtrans|1|2026-03-27 13:00:00+01|"
	    "2026-03-27 13:00:00+01|missing customer email\n"
	    "Unprocessable event|stripe|2|2026-03-24 11:00:00+01|"
	    "2026-03-26 11:00:00+01|unknown sku: gold-plan\n"
	    "Waiting event|stripe|1|2026-03-29 10:00:00+02|"
	    "2026-03-29 10:00:00+02|unprocessed for more than 15 minutes\n"
	    "Waiting event|xendit|1|2026-03-29 21:30:00+02|"
	    "2026-03-29 21:30:00+02|unprocessed for more than 15 minutes\n"
	    "Failed job run|tally-allocate|2|2026-03-25 10:00:00+01|"
	    "2026-03-26 10:00:00+01|lock timeout\n"
	    "Failed job run|tally-expire|1|2026-03-28 10:00:00+01|"
	    "2026-03-28 10:00:00+01|boom\n"
	    "Alert raised|orders.unfulfilled|1|2026-03-27 11:05:00+01|"
	    "2026-03-27 11:05:00+01|1 paid order cannot be fulfilled "
	    "(resolved 2026-03-28 09:00)\n"
	    "Alert raised|seats.low|1|2026-03-26 09:00:00+01|"
	    "2026-03-26 09:00:00+01|free seats below 5 (still active)\n"
	    "Alert raised|suspensions|1|2026-03-29 20:00:00+02|"
	    "2026-03-29 20:00:00+02|3 accounts suspended in a day (still active)\n"
	    "Alert raised|usage.errors|1|2026-03-24 10:00:00+01|"
	    "2026-03-24 10:00:00+01|error rate above 20% "
	    "(resolved 2026-03-24 11:00)\n"
	    "Alert raised|usage.errors|1|2026-03-25 14:00:00+01|"
	    "2026-03-25 14:00:00+01|error rate above 20% "
	    "(resolved 2026-03-25 15:30)\n"
	    "Alert resolved|receiver.down|1|2026-03-23 08:00:00+01|"
	    "2026-03-23 08:00:00+01|the receiver did not answer "
	    "(raised 2026-03-22 22:00)\n"
	    "Open reconcile case|DISPUTE_OPEN|1|2026-03-21 06:00:00+01|"
	    "2026-03-21 06:00:00+01|warning: Dispute still open at the provider\n"
	    "Open reconcile case|PAID_NOT_FULFILLED|2|2026-03-28 06:00:00+01|"
	    "2026-03-29 06:00:00+02|error: Paid order without a seat or credits\n"
	    "Open reconcile case|SEAT_COUNTER_DRIFT|1|2026-03-25 06:00:00+01|"
	    "2026-03-25 06:00:00+01|error: Account seat counter differs from its "
	    "active assignments\n");
	rs_expect(db, ANOMALIES, W13_FROM, W13_TO, W13_ASOF, BERLIN,
	    ANOMALIES_HEADER
	    "Unusual volume|mallory|assignment.revoke|4|0.0|"
	    "2026-03-24 10:00:00+01|2026-03-27 10:00:00+01|NULL|NULL\n"
	    "Unusual volume|ops|user.credit|3|1.0|"
	    "2026-03-24 12:00:00+01|2026-03-26 12:00:00+01|NULL|NULL\n"
	    "Unusual hour|admin2|assignment.extend|1|NULL|"
	    "2026-03-23 00:30:00+01|2026-03-23 00:30:00+01|assignment 3|goodwill\n"
	    "Unusual hour|admin1|account.suspend|1|NULL|"
	    "2026-03-25 05:59:00+01|2026-03-25 05:59:00+01|account 5|chargebacks\n"
	    "Unusual hour|admin2|account.update|1|NULL|"
	    "2026-03-29 01:59:00+01|2026-03-29 01:59:00+01|account 2|note\n");
}

/*
 * The Summary's lines for W13: each figure is the one its sheet shows
 * above (pool, assignments, SLA, backlog, usage, revenue, issues) or is
 * worked out in weekly_basic.sql (registered users, credits per active
 * user); each action names the tallyctl command that acts on it:
 *   4 unfulfilled, the oldest O11 paid 03-20 10:00 ("Paid unfulfilled");
 *   3 open cases of severity error (2 PAID_NOT_FULFILLED, the drift);
 *   seats.low and suspensions still active at the week's end;
 *   1 account suspended (A5);
 *   capacity: the peaks of Jan..Mar fitted and extended to April give
 *     8.7 seats; 8 seats + a buffer of 5 leave 5.7 short: 6 accounts of
 *     1 seat (the most common capacity);
 *   3 FAILED deliveries received in the week.
 * No held orders, so no "held" line (test_summary_held has one).
 */
static void
test_summary(void **state)
{
	struct db *db = *state;

	rs_expect(db, SUMMARY, W13_FROM, W13_TO, W13_ASOF, BERLIN,
	    "section|label|value|unit|command\n"
	    "figure|Seats free at the end of the week|4|NULL|NULL\n"
	    "figure|Seat utilisation|0.5000|percent|NULL\n"
	    "figure|New assignments|4|NULL|NULL\n"
	    "figure|Orders paid|8|NULL|NULL\n"
	    "figure|Paid orders fulfilled within the SLA|0.5000|percent|NULL\n"
	    "figure|Paid orders waiting for fulfilment|4|NULL|NULL\n"
	    "figure|Images generated|2|NULL|NULL\n"
	    "figure|Images edited|3|NULL|NULL\n"
	    "figure|Failed calls|1|NULL|NULL\n"
	    "figure|Credits consumed|21|NULL|NULL\n"
	    "figure|Active users|4|NULL|NULL\n"
	    "figure|Registered users at the end of the week|4|NULL|NULL\n"
	    "figure|Credits per active user|5.3|NULL|NULL\n"
	    "figure|Net revenue in IDR|175000.00|IDR|NULL\n"
	    "figure|Net revenue in USD|45.97|USD|NULL\n"
	    "figure|Alerts raised|5|NULL|NULL\n"
	    "figure|Open reconcile cases|4|NULL|NULL\n"
	    "action|4 paid orders are waiting for a seat or credits, the oldest "
	    "paid 2026-03-20 10:00: see \"Paid unfulfilled\".|NULL|NULL|"
	    "tallyctl order list --unfulfilled\n"
	    "action|3 reconcile cases of severity error are open.|NULL|NULL|"
	    "tallyctl case list --open\n"
	    "action|Alert seats.low is active: free seats below 5.|NULL|NULL|"
	    "tallyctl status\n"
	    "action|Alert suspensions is active: 3 accounts suspended in a day."
	    "|NULL|NULL|tallyctl status\n"
	    "action|1 account is suspended: reactivate what can be sold again."
	    "|NULL|NULL|tallyctl account list --status SUSPENDED\n"
	    "action|Add 6 accounts of 1 seat: next month's peak is forecast at "
	    "8.7 seats, capacity is 8 and 5 should stay free.|NULL|NULL|"
	    "tallyctl account add EMAIL --max-seats 1\n"
	    "action|3 deliveries received this week could not be processed."
	    "|NULL|NULL|tallyctl event list --failed\n");
}

/*
 * Held orders (tally-allocate holds a payment wrong for its product): O11
 * held since 03-20 10:01 is still among the unfulfilled (every figure as
 * above) and gets the Summary's held line, naming the commands that list
 * and approve it, right after the unfulfilled one.  Held only after the
 * as-of instant, it is not held yet at the week's end: no line.
 */
static void
test_summary_held(void **state)
{
	struct db *db = *state;
	char *text;

	rs_simple(db, "UPDATE orders SET status = 'HELD', hold_reason ="
	    " 'UNDERPAID', held_at = '2026-03-20 10:01+01' WHERE id = 11");
	text = rs_sheet_text(db, SUMMARY, W13_FROM, W13_TO, W13_ASOF, BERLIN);
	if (strstr(text, "figure|Paid orders waiting for fulfilment|4|NULL|NULL\n"
	    ) == NULL || strstr(text, "paid 2026-03-20 10:00: see \"Paid "
	    "unfulfilled\".|NULL|NULL|tallyctl order list --unfulfilled\n"
	    "action|1 paid order is held for review, the oldest paid "
	    "2026-03-20 10:00: approve or refund each.|NULL|NULL|"
	    "tallyctl order list --held; tallyctl order approve ID --reason "
	    "TEXT\naction|3 reconcile cases") == NULL)
		fail_msg("no held line where it belongs:\n%s", text);
	free(text);
	rs_simple(db, "UPDATE orders SET held_at = '2026-03-30 09:00+02'"
	    " WHERE id = 11");
	text = rs_sheet_text(db, SUMMARY, W13_FROM, W13_TO, W13_ASOF, BERLIN);
	if (strstr(text, "held for review") != NULL)
		fail_msg("held after the as-of instant, yet a held line:\n%s",
		    text);
	free(text);
}

/*
 * W14 runs from Monday 2026-03-30 to Monday 2026-04-06: seven local days
 * across the month boundary.  At its end account 6 is suspended (audit row
 * of 04-02 naming it by e-mail), account 7, added 04-01, is full, and
 * account 8, added at 03-30 00:00 (W13's end, so not in W13), is there.
 *   pool: multi A1 2/3, A2 1/2, A5 suspended and now empty; single A3 and
 *   A7 full, A4 and A8 free, A6 suspended.
 *   assignments: new S10 (30 local days, no DST inside: 30.00), expired
 *   S8 on 03-30 (03-02 09:00Z to 03-30 05:00Z = 668 h = 27.83 d),
 *   extended once on 03-31; held at the end: S1 S3 S5 S6 S10.
 */
static void
test_week_crossing_month(void **state)
{
	struct db *db = *state;

	expect_seats(db, W14_FROM, W14_TO, W14_ASOF, BERLIN,
	    "Multi-seat|3|2|0|1|5|3|2|0|0.6000\n"
	    "Single-user|5|2|2|1|4|2|2|0|0.5000\n"
	    "All accounts|8|4|2|2|9|5|4|0|0.5556\n",
	    "1|1|1|0|5|30.00|27.83\n",
	    "2026-03-30|0|1|0|0\n"
	    "2026-03-31|0|0|0|1\n"
	    "2026-04-01|1|0|0|0\n"
	    "2026-04-02|0|0|0|0\n"
	    "2026-04-03|0|0|0|0\n"
	    "2026-04-04|0|0|0|0\n"
	    "2026-04-05|0|0|0|0\n");
}

/*
 * The same data cut in UTC: the week is [03-23Z, 03-30Z).  admin2's extend
 * at 03-22 23:30Z now falls before the week (extended 1, and Monday has
 * nothing), and the "unusual hours" are UTC hours: admin1's credit at
 * 05:00Z and model.set at 05:30Z are flagged, which they are not in Berlin
 * (06:00 and 07:30 local).
 */
static void
test_week_in_utc(void **state)
{
	struct db *db = *state;

	expect_seats(db, W13_UTC_FROM, W13_UTC_TO, W13_ASOF, "UTC", NULL,
	    "4|1|1|1|5|25.96|16.04\n",
	    "2026-03-23|0|0|0|0\n"
	    W13_TUE_TO_SUN);
	rs_expect(db, ANOMALIES, W13_UTC_FROM, W13_UTC_TO, W13_ASOF, "UTC",
	    ANOMALIES_HEADER
	    "Unusual volume|mallory|assignment.revoke|4|0.0|"
	    "2026-03-24 09:00:00+00|2026-03-27 09:00:00+00|NULL|NULL\n"
	    "Unusual volume|ops|user.credit|3|1.0|"
	    "2026-03-24 11:00:00+00|2026-03-26 11:00:00+00|NULL|NULL\n"
	    "Unusual hour|admin1|account.suspend|1|NULL|"
	    "2026-03-25 04:59:00+00|2026-03-25 04:59:00+00|account 5|chargebacks\n"
	    "Unusual hour|admin1|user.credit|1|NULL|"
	    "2026-03-27 05:00:00+00|2026-03-27 05:00:00+00|user 1|goodwill\n"
	    "Unusual hour|admin2|account.update|1|NULL|"
	    "2026-03-29 00:59:00+00|2026-03-29 00:59:00+00|account 2|note\n"
	    "Unusual hour|admin1|model.set|1|NULL|"
	    "2026-03-29 05:30:00+00|2026-03-29 05:30:00+00|model 1|price\n");
}

/*
 * A week before anything happened (2025-W23, the pool was created in
 * 2026): zero rows where rows are facts, zeros where the sheet has fixed
 * rows, and no error anywhere.
 */
static void
test_empty_period(void **state)
{
	static const int rows[NSHEETS] = { 16, 3, 1, 7, 1, 0, 1, 0, 0, 0 };
	struct db *db = *state;

	rs_check_report(db, "reports/weekly/", NSHEETS, rows,
	    W23_2025_FROM, W23_2025_TO,
	    W23_2025_ASOF, BERLIN);
	rs_expect(db, ASSIGN, W23_2025_FROM, W23_2025_TO,
	    W23_2025_ASOF, BERLIN,
	    ASSIGN_HEADER
	    "0|0|0|0|0|NULL|NULL\n");
	rs_expect(db, USAGE, W23_2025_FROM, W23_2025_TO,
	    W23_2025_ASOF, BERLIN,
	    USAGE_HEADER
	    "0|0|0|0|0|0|0|NULL\n");
	/*
	 * A period of zero length in the middle of the data, [t, t): nothing
	 * happened in it (no day, no order paid, no revenue, no anomaly),
	 * but what describes the instant t is all there: the pool, the 4
	 * unpaid orders, and among the issues the 2 waiting events and the
	 * 3 open reconcile categories of test_week_with_dst.
	 */
	rs_check_report(db, "reports/weekly/", NSHEETS,
	    (const int[NSHEETS]){ 21, 3, 1, 0, 1, 4, 1, 0, 5, 0 },
	    W13_TO, W13_TO, W13_ASOF, BERLIN);
}

/*
 * The service level comes from the configuration ($5): at 10 minutes O4
 * (fulfilled after 600 s) is on time, so seat plans are 4 of 5 and all
 * orders 5 of 8.
 */
static void
test_sla_from_settings(void **state)
{
	struct db *db = *state;
	PGresult *res;
	char *text;

	res = rs_run_with(db, SLA, W13_FROM, W13_TO, W13_ASOF, BERLIN,
	    "{\"fulfil_sla_minutes\": 10}");
	text = rs_text(res);
	assert_string_equal(text,
	    SLA_HEADER
	    "Seat plans|5|4|4|1|0.8000|90.0|528.0\n"
	    "Credit packages|2|2|1|0|0.5000|72015.0|136801.5\n"
	    "Unknown product|1|0|0|1|0.0000|NULL|NULL\n"
	    "All paid orders|8|6|5|2|0.6250|90.0|108150.0\n");
	free(text);
	PQclear(res);
}

/* A major-unit amount of the revenue sheet as minor units, exactly. */
static int64_t
minor(const PGresult *res, int row, int col)
{
	int64_t v = 0;
	int e = money_exponent(PQgetvalue(res, row, 0));

	assert_true(e >= 0);
	assert_false(PQgetisnull(res, row, col));
	assert_int_equal(money_parse_major(PQgetvalue(res, row, col), e, &v), 0);
	return v;
}

/*
 * Two currencies, never summed together: every row of the revenue sheet
 * has one currency; each currency has exactly one "All products" row,
 * equal (to the minor unit, parsed exactly) to the sum of that currency's
 * product rows and nothing else.  The fixture has USD and IDR in the same
 * week, with refunds and a chargeback in USD and a refund in IDR.
 */
static void
test_currencies_apart(void **state)
{
	static const int amount_cols[] = { 4, 6, 8, 9 };
	struct db *db = *state;
	PGresult *res;
	int r, i, totals = 0;

	res = rs_run(db, REVENUE, W13_FROM, W13_TO, W13_ASOF, BERLIN);
	assert_int_equal(PQntuples(res), 8);
	for (r = 0; r < PQntuples(res); r++) {
		const char *cur = PQgetvalue(res, r, 0);
		int64_t sum[4] = { 0, 0, 0, 0 };
		int k;

		assert_false(PQgetisnull(res, r, 0));
		assert_true(money_currency_valid(cur));
		if (strcmp(PQgetvalue(res, r, 1), "All products") != 0)
			continue;
		totals++;
		for (k = 0; k < PQntuples(res); k++) {
			if (k == r || strcmp(PQgetvalue(res, k, 0), cur) != 0 ||
			    strcmp(PQgetvalue(res, k, 1), "All products") == 0)
				continue;
			for (i = 0; i < 4; i++)
				sum[i] += minor(res, k, amount_cols[i]);
		}
		for (i = 0; i < 4; i++)
			assert_int_equal(minor(res, r, amount_cols[i]), sum[i]);
		/* the total is the last row of its currency's block */
		assert_true(r + 1 == PQntuples(res) ||
		    strcmp(PQgetvalue(res, r + 1, 0), cur) != 0);
	}
	assert_int_equal(totals, 2);
	/* and the figures themselves: USD net 45.97, IDR net 175000.00 */
	assert_string_equal(PQgetvalue(res, 2, 9), "175000.00");
	assert_string_equal(PQgetvalue(res, 7, 9), "45.97");
	PQclear(res);
}

/*
 * Reproducible: the week's report at its as-of, then everything in
 * weekly_late.sql (recorded two months later, much of it about the week),
 * then the same report at the same as-of: every sheet byte-identical.  At
 * a later as-of the late facts do count (so they really are in the week
 * and the first comparison could have failed).
 */
static void
test_rerun_same_as_of(void **state)
{
	struct db *db = *state;

	rs_rerun_unchanged(db, "reports/weekly/", NSHEETS, "weekly_late.sql",
	    W13_FROM, W13_TO, W13_ASOF, BERLIN);
	rs_expect(db, USAGE, W13_FROM, W13_TO, LATER, BERLIN,
	    USAGE_HEADER
	    "3|3|1|24|4|4|5|6.0\n");
	rs_expect(db, REVENUE, W13_FROM, W13_TO, LATER, BERLIN,
	    REVENUE_HEADER
	    REVENUE_W13_IDR
	    "USD|cred-100|100 credits|1|5.00|0|0.00|0|0.00|5.00\n"
	    "USD|seat-14|Seat 14 days|1|10.99|0|0.00|0|0.00|10.99\n"
	    "USD|seat-30|Seat 30 days|4|79.96|2|39.98|1|19.99|19.99\n"
	    "USD|(unknown)|NULL|1|9.99|0|0.00|0|0.00|9.99\n"
	    "USD|All products|NULL|7|105.94|2|39.98|1|19.99|45.97\n");
}

/*
 * The week through the report engine (lib/report/engine.c), as tally-weekly-report
 * runs it (job_runs row included): the engine accepts every header, writes nine CSVs and a
 * workbook with the row counts of test_week_with_dst, twice byte for byte
 * the same; the revenue CSV holds exactly the hand-computed figures.
 */
static void
test_through_engine(void **state)
{
	static const int rows[NSHEETS] = { 24, 3, 1, 7, 4, 4, 1, 8, 15, 5 };
	static const char revenue[] =
	    "\"currency\",\"sku\",\"product\",\"payments\",\"gross\",\"refunds\","
	    "\"refunded\",\"chargebacks\",\"charged_back\",\"net\"\r\n"
	    "\"IDR\",\"cred-100-idr\",\"100 credits (IDR)\",1,75000.00,0,0.00,0,"
	    "0.00,75000.00\r\n"
	    "\"IDR\",\"seat-30-idr\",\"Seat 30 days (IDR)\",1,150000.00,1,50000.00,"
	    "0,0.00,100000.00\r\n"
	    "\"IDR\",\"All products\",,2,225000.00,1,50000.00,0,0.00,175000.00\r\n"
	    "\"USD\",\"cred-100\",\"100 credits\",1,5.00,0,0.00,0,0.00,5.00\r\n"
	    "\"USD\",\"seat-14\",\"Seat 14 days\",1,10.99,0,0.00,0,0.00,10.99\r\n"
	    "\"USD\",\"seat-30\",\"Seat 30 days\",3,59.97,1,19.99,1,19.99,19.99\r\n"
	    "\"USD\",\"(unknown)\",,1,9.99,0,0.00,0,0.00,9.99\r\n"
	    "\"USD\",\"All products\",,6,85.95,1,19.99,1,19.99,45.97\r\n";
	struct db *db = *state;
	struct period p;

	assert_int_equal(period_week(&p, "2026-W13", BERLIN), 0);
	rs_engine_csv(db, "weekly", "tally-weekly-report", &p, W13_ASOF, BERLIN,
	    NSHEETS, rows, "weekly-2026-W13-revenue.csv",
	    revenue);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, rs_setup, rs_teardown)
		cmocka_unit_test(test_empty_database),
		T(test_week_with_dst),
		T(test_summary),
		T(test_summary_held),
		T(test_week_crossing_month),
		T(test_week_in_utc),
		T(test_empty_period),
		T(test_sla_from_settings),
		T(test_currencies_apart),
		T(test_rerun_same_as_of),
		T(test_through_engine),
	};

	testdb_require();
	rs_fixture = "weekly_basic.sql";
	return cmocka_run_group_tests_name("weekly report SQL", tests, NULL,
	    NULL);
}
