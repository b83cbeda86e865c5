/*
 * test_report_monthly - the SQL of tally-monthly-review (reports/monthly/),
 * run as the report contract says (tests/fixtures/reports/sheet_test.h),
 * against tests/fixtures/reports/monthly_basic.sql, whose comments work out
 * every expected figure by hand (the time-weighted seat averages were
 * checked with an independent computation over the same intervals).  The
 * main month, March 2026 in Europe/Berlin, has 743 hours (summer time
 * starts on the 29th) and orders, calls and registrations within an hour
 * of its edges; the same data cut in UTC moves them; an empty database and
 * an empty month give valid results; a rerun at the same as-of after later
 * changes (monthly_late.sql) gives the same figures.
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

#define SUMMARY "reports/monthly/00_summary.sql"
#define UTIL "reports/monthly/01_utilisation.sql"
#define UNDERUSED "reports/monthly/02_underused.sql"
#define RENEWALS "reports/monthly/03_renewals.sql"
#define COHORTS "reports/monthly/04_cohorts.sql"
#define TRENDS "reports/monthly/05_trends.sql"
#define REVTREND "reports/monthly/06_revenue_trend.sql"
#define FORECAST "reports/monthly/07_capacity_forecast.sql"
#define PACKAGES "reports/monthly/08_credit_packages.sql"
#define MODELCOST "reports/monthly/09_model_cost.sql"
#define MODELMARGIN "reports/monthly/10_model_margin.sql"
#define PKGMARGIN "reports/monthly/11_package_margin.sql"
#define POWER "reports/monthly/12_power_users.sql"
#define NSHEETS 13

/* Header lines of the sheets more than one test reads. */
#define RENEWALS_HEADER \
    "plan|ended|customers|renewed|customers_renewed|lapsed|pending|" \
    "renewal_rate\n"
#define UNDERUSED_HEADER \
    "account_id|email|account_type|capacity|days_in_pool|" \
    "seat_days_available|seat_days_used|idle_seat_days|utilisation\n"
#define PACKAGES_HEADER \
    "package|sku|product|credits_per_package|currency|packages_sold|" \
    "credits_sold|gross|refunded|net|price_per_credit\n"
#define MODELCOST_HEADER \
    "model|active|calls|ok_calls|error_calls|credits_consumed|" \
    "cost_per_call|provider_cost|cost_currency\n"
#define POWER_HEADER \
    "rank|user|email|credits_consumed|credit_share|calls|" \
    "images_generated|images_edited|failed_calls|models_used|balance|" \
    "registered\n"

/* March 2026 in Berlin, as the engine passes it; run 04-01 06:00+02. */
#define BERLIN "Europe/Berlin"
#define MAR_FROM "2026-02-28T23:00:00Z"
#define MAR_TO "2026-03-31T22:00:00Z"
#define MAR_ASOF "2026-04-01T04:00:00Z"
/* March cut in UTC; June 2025, before the pool, in Berlin; a later as-of
 * at which the late facts count. */
#define MAR_UTC_FROM "2026-03-01T00:00:00Z"
#define MAR_UTC_TO "2026-04-01T00:00:00Z"
#define JUN25_FROM "2025-05-31T22:00:00Z"
#define JUN25_TO "2025-06-30T22:00:00Z"
#define JUN25_ASOF "2025-07-01T04:00:00Z"
#define LATER "2026-06-01T00:00:00Z"


/* The trends sheet's header line (columns the charts name). */
static const char empty_trends_header[] =
    "month|new_assignments|ended_assignments|peak_seats|avg_seats|"
    "images_generated|images_edited|credits_consumed|active_users|"
    "registrations|paying_customers|registered_users|"
    "credits_per_active_user\n";

/* The margins, and what a missing exchange rate says. */
#define MODELMARGIN_HEADER \
    "model|currency|credit_share|credits_consumed|credit_price|" \
    "credit_value|provider_cost|cost_currency|fx_rate|cost_in_currency|" \
    "gross_margin|margin_pct|margin_note\n"
#define PKGMARGIN_HEADER \
    "package|currency|packages_sold|credits_sold|net|provider_cost|" \
    "fx_rates|gross_margin|margin_pct|margin_note\n"
#define NO_RATE(from, to) \
    "no exchange rate from " from " to " to " in force on 2026-03-31: " \
    "tallyctl fx set " from " " to " RATE --from 2026-03-01"

/* The capacity forecast: the forecast is a column of its own (a dashed
 * series in the chart), not one more peak. */
#define FORECAST_HEADER \
    "month|basis|peak_seats|forecast_peak_seats|avg_seats|seat_capacity|" \
    "buffer|seats_short|account_seats|accounts_to_add\n"

/*
 * No data at all: every sheet runs, its header agrees with its columns,
 * the fixed rows are there (one renewal total, twelve cohorts, twelve
 * months, six months and a forecast); the forecast for an empty pool is
 * the buffer itself.
 */
static void
test_empty_database(void **state)
{
	static const int rows[NSHEETS] = { 12, 0, 0, 1, 12, 12, 0, 7, 0, 0, 0, 0, 0 };
	struct db *db = rs_fresh_db(NULL);
	char *text;

	(void)state;
	rs_check_report(db, "reports/monthly/", NSHEETS, rows, MAR_FROM, MAR_TO,
	    MAR_ASOF, BERLIN);
	rs_expect(db, RENEWALS, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    RENEWALS_HEADER
	    "All plans|0|0|0|0|0|0|NULL\n");
	rs_expect(db, FORECAST, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    FORECAST_HEADER
	    "2025-10-01|actual|0|NULL|0.00|0|NULL|NULL|NULL|NULL\n"
	    "2025-11-01|actual|0|NULL|0.00|0|NULL|NULL|NULL|NULL\n"
	    "2025-12-01|actual|0|NULL|0.00|0|NULL|NULL|NULL|NULL\n"
	    "2026-01-01|actual|0|NULL|0.00|0|NULL|NULL|NULL|NULL\n"
	    "2026-02-01|actual|0|NULL|0.00|0|NULL|NULL|NULL|NULL\n"
	    "2026-03-01|actual|0|0|0.00|0|NULL|NULL|NULL|NULL\n"
	    "2026-04-01|forecast|NULL|0.0|NULL|0|5|5|1|5\n");
	text = rs_sheet_text(db, TRENDS, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN);
	assert_int_equal(strncmp(text, empty_trends_header,
	    strlen(empty_trends_header)), 0);
	assert_non_null(strstr(text,
	    "\n2026-03-01|0|0|0|0.00|0|0|0|0|0|0|0|NULL\n"));
	free(text);
	db_free(db);
}

/* Pool and renewal sheets of March in Berlin (monthly_basic.sql). */
static void
test_month_pool(void **state)
{
	struct db *db = *state;

	rs_check_report(db, "reports/monthly/", NSHEETS,
	    (const int[NSHEETS]){ 18, 6, 1, 3, 12, 12, 24, 7, 3, 4, 6, 3, 4 },
	    MAR_FROM, MAR_TO, MAR_ASOF, BERLIN);
	rs_expect(db, UTIL, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    "account_id|email|account_type|capacity|suspended|assignments|"
	    "seat_days_available|seat_days_used|utilisation\n"
	    "1|m1@pool.test|Multi-seat|2|f|2|61.92|41.96|0.6777\n"
	    "4|m2@pool.test|Multi-seat|3|t|0|92.88|0.00|0.0000\n"
	    "6|m3@pool.test|Multi-seat|2|f|1|61.92|7.00|0.1131\n"
	    "2|solo1@pool.test|Single-user|1|f|2|30.96|30.94|0.9993\n"
	    "3|solo2@pool.test|Single-user|1|f|1|15.96|13.54|0.8486\n"
	    "5|solo3@pool.test|Single-user|1|f|1|3.96|0.96|0.2421\n");
	rs_expect(db, UNDERUSED, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    UNDERUSED_HEADER
	    "6|m3@pool.test|Multi-seat|2|30.96|61.92|7.00|54.92|0.1131\n");
	rs_expect(db, RENEWALS, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    RENEWALS_HEADER
	    "(no order)|1|1|0|0|1|0|0.0000\n"
	    "seat-30|2|2|1|1|0|1|1.0000\n"
	    "All plans|3|2|1|1|1|1|0.5000\n");
	rs_expect(db, COHORTS, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    "cohort|customers|m1|m2|m3|m4|m5|m6|m7|m8|m9|m10|m11\n"
	    "2025-04-01|1|0.0000|0.0000|0.0000|0.0000|0.0000|0.0000|0.0000|"
	    "0.0000|0.0000|0.0000|1.0000\n"
	    "2025-05-01|0|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL\n"
	    "2025-06-01|0|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL\n"
	    "2025-07-01|0|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL\n"
	    "2025-08-01|0|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL\n"
	    "2025-09-01|0|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL\n"
	    "2025-10-01|1|1.0000|0.0000|1.0000|0.0000|1.0000|NULL|NULL|NULL|NULL|"
	    "NULL|NULL\n"
	    "2025-11-01|1|1.0000|1.0000|0.0000|1.0000|NULL|NULL|NULL|NULL|NULL|"
	    "NULL|NULL\n"
	    "2025-12-01|0|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL\n"
	    "2026-01-01|1|1.0000|1.0000|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|"
	    "NULL\n"
	    "2026-02-01|1|1.0000|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|"
	    "NULL\n"
	    "2026-03-01|1|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL\n");
	rs_expect(db, FORECAST, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    FORECAST_HEADER
	    "2025-10-01|actual|1|NULL|0.86|3|NULL|NULL|NULL|NULL\n"
	    "2025-11-01|actual|2|NULL|1.68|3|NULL|NULL|NULL|NULL\n"
	    "2025-12-01|actual|2|NULL|1.14|6|NULL|NULL|NULL|NULL\n"
	    "2026-01-01|actual|3|NULL|2.23|6|NULL|NULL|NULL|NULL\n"
	    "2026-02-01|actual|3|NULL|1.35|8|NULL|NULL|NULL|NULL\n"
	    "2026-03-01|actual|4|4|3.05|7|NULL|NULL|NULL|NULL\n"
	    "2026-04-01|forecast|NULL|4.4|NULL|7|5|3|1|3\n");
}

/*
 * The Summary of March: figures as their sheets show them (utilisation of
 * all accounts 94.40 / 267.60 seat-days, the peak and forecast of
 * "Capacity forecast", usage, net revenue of "Revenue trend"), the
 * capacity recommendation in words, and the actions: the accounts to add,
 * the one underused account, and the three rates no one has set for the
 * margins (EUR and USD costs, IDR and USD sales).  With a buffer of 2 the
 * forecast fits: 7 - 4.4 leaves 2 whole seats free.
 */
static void
test_summary(void **state)
{
	struct db *db = *state;
	PGresult *res;

	rs_expect(db, SUMMARY, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    "section|label|value|unit|command\n"
	    "figure|Seat utilisation|0.3528|percent|NULL\n"
	    "figure|Peak seats in use|4|NULL|NULL\n"
	    "figure|Forecast peak seats next month|4.4|NULL|NULL\n"
	    "figure|Seats at the month's end|7|NULL|NULL\n"
	    "figure|Images generated|6|NULL|NULL\n"
	    "figure|Images edited|6|NULL|NULL\n"
	    "figure|Credits consumed|55|NULL|NULL\n"
	    "figure|Active users|4|NULL|NULL\n"
	    "figure|Registered users at the month's end|5|NULL|NULL\n"
	    "figure|Credits per active user|13.8|NULL|NULL\n"
	    "figure|Net revenue in IDR|200000.00|IDR|NULL\n"
	    "figure|Net revenue in USD|84.97|USD|NULL\n"
	    "recommendation|Add 3 accounts of 1 seat before April 2026: the "
	    "peak is forecast at 4.4 seats, there are 7 seats, and 5 should "
	    "stay free.|NULL|NULL|NULL\n"
	    "action|Add 3 accounts of 1 seat (see the recommendation).|NULL|"
	    "NULL|tallyctl account add EMAIL --max-seats 1\n"
	    "action|1 account used less than half its seat-days: sell harder, "
	    "merge or drop (see \"Underused accounts\").|NULL|NULL|"
	    "tallyctl account list\n"
	    "action|No exchange rate from EUR to IDR: the margins that need it "
	    "are empty.|NULL|NULL|tallyctl fx set EUR IDR RATE --from "
	    "2026-03-01\n"
	    "action|No exchange rate from EUR to USD: the margins that need it "
	    "are empty.|NULL|NULL|tallyctl fx set EUR USD RATE --from "
	    "2026-03-01\n"
	    "action|No exchange rate from USD to IDR: the margins that need it "
	    "are empty.|NULL|NULL|tallyctl fx set USD IDR RATE --from "
	    "2026-03-01\n");
	res = rs_run_with(db, SUMMARY, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    "{\"alert_seat_threshold\": 2}");
	assert_string_equal(PQgetvalue(res, 12, 0), "recommendation");
	assert_string_equal(PQgetvalue(res, 12, 1), "No accounts to add for "
	    "April 2026: the peak is forecast at 4.4 seats, there are 7 seats, "
	    "so at least 2 stay free (the buffer is 2).");
	assert_string_equal(PQgetvalue(res, 13, 4), "tallyctl account list");
	PQclear(res);
}

/* Trends and money sheets of March in Berlin. */
static void
test_month_money_and_usage(void **state)
{
	struct db *db = *state;

	rs_expect(db, TRENDS, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    "month|new_assignments|ended_assignments|peak_seats|avg_seats|"
	    "images_generated|images_edited|credits_consumed|active_users|"
	    "registrations|paying_customers|registered_users|"
	    "credits_per_active_user\n"
	    "2025-04-01|0|0|0|0.00|0|0|0|0|1|1|1|NULL\n"
	    "2025-05-01|0|0|0|0.00|0|0|0|0|0|0|1|NULL\n"
	    "2025-06-01|0|0|0|0.00|0|0|0|0|0|0|1|NULL\n"
	    "2025-07-01|0|0|0|0.00|0|0|0|0|0|0|1|NULL\n"
	    "2025-08-01|0|0|0|0.00|0|0|0|0|0|0|1|NULL\n"
	    "2025-09-01|0|0|0|0.00|0|0|0|0|0|0|1|NULL\n"
	    "2025-10-01|1|0|1|0.86|0|0|0|0|1|1|2|NULL\n"
	    "2025-11-01|2|1|2|1.68|0|0|0|0|0|2|2|NULL\n"
	    "2025-12-01|1|2|2|1.14|0|0|0|0|0|1|2|NULL\n"
	    "2026-01-01|3|1|3|2.23|0|1|5|1|1|3|3|5.0\n"
	    "2026-02-01|1|3|3|1.35|1|0|3|2|1|2|4|1.5\n"
	    "2026-03-01|6|4|4|3.05|6|6|55|4|1|6|5|13.8\n");
	rs_expect(db, REVTREND, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    "currency|month|payments|gross|refunded|net\n"
	    "IDR|2025-04-01|0|0.00|0.00|0.00\n"
	    "IDR|2025-05-01|0|0.00|0.00|0.00\n"
	    "IDR|2025-06-01|0|0.00|0.00|0.00\n"
	    "IDR|2025-07-01|0|0.00|0.00|0.00\n"
	    "IDR|2025-08-01|0|0.00|0.00|0.00\n"
	    "IDR|2025-09-01|0|0.00|0.00|0.00\n"
	    "IDR|2025-10-01|0|0.00|0.00|0.00\n"
	    "IDR|2025-11-01|0|0.00|0.00|0.00\n"
	    "IDR|2025-12-01|0|0.00|0.00|0.00\n"
	    "IDR|2026-01-01|0|0.00|0.00|0.00\n"
	    "IDR|2026-02-01|1|75000.00|0.00|75000.00\n"
	    "IDR|2026-03-01|2|225000.00|25000.00|200000.00\n"
	    "USD|2025-04-01|1|5.00|0.00|5.00\n"
	    "USD|2025-05-01|0|0.00|0.00|0.00\n"
	    "USD|2025-06-01|0|0.00|0.00|0.00\n"
	    "USD|2025-07-01|0|0.00|0.00|0.00\n"
	    "USD|2025-08-01|0|0.00|0.00|0.00\n"
	    "USD|2025-09-01|0|0.00|0.00|0.00\n"
	    "USD|2025-10-01|1|19.99|0.00|19.99\n"
	    "USD|2025-11-01|2|39.98|0.00|39.98\n"
	    "USD|2025-12-01|1|19.99|0.00|19.99\n"
	    "USD|2026-01-01|3|44.98|0.00|44.98\n"
	    "USD|2026-02-01|1|19.99|0.00|19.99\n"
	    "USD|2026-03-01|6|104.96|19.99|84.97\n");
	rs_expect(db, PACKAGES, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    PACKAGES_HEADER
	    "cred-100 USD|cred-100|100 credits|100|USD|1|100|5.00|0.00|5.00|"
	    "0.050000\n"
	    "cred-100-idr IDR|cred-100-idr|100 credits (IDR)|100|IDR|1|100|"
	    "75000.00|25000.00|50000.00|750.000000\n"
	    "cred-500 USD|cred-500|500 credits|500|USD|1|500|20.00|0.00|20.00|"
	    "0.040000\n");
	rs_expect(db, MODELCOST, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    MODELCOST_HEADER
	    "flux-eu|t|1|1|0|10|0.05|0.05|EUR\n"
	    "gemini-flash-image|t|6|5|1|15|0.04|0.24|USD\n"
	    "old-model|f|0|0|0|0|0.01|0.00|USD\n"
	    "qwen-image-edit|t|6|6|0|30|0.02|0.12|USD\n");
	/* no exchange rate set: a margin across currencies is empty, and
	 * says which rate would fill it (test_fx_margins sets them) */
	rs_expect(db, MODELMARGIN, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    MODELMARGIN_HEADER
	    "flux-eu|IDR|0.2000|2.00|750.000000|1500.00|0.01|EUR|NULL|NULL|NULL|"
	    "NULL|" NO_RATE("EUR", "IDR") "\n"
	    "flux-eu|USD|0.8000|8.00|0.043750|0.35|0.04|EUR|NULL|NULL|NULL|NULL|"
	    NO_RATE("EUR", "USD") "\n"
	    "gemini-flash-image|IDR|0.2000|3.00|750.000000|2250.00|0.05|USD|"
	    "NULL|NULL|NULL|NULL|" NO_RATE("USD", "IDR") "\n"
	    "gemini-flash-image|USD|0.8000|12.00|0.043750|0.53|0.19|USD|NULL|"
	    "0.19|0.34|0.6415|NULL\n"
	    "qwen-image-edit|IDR|0.2000|6.00|750.000000|4500.00|0.02|USD|NULL|"
	    "NULL|NULL|NULL|" NO_RATE("USD", "IDR") "\n"
	    "qwen-image-edit|USD|0.8000|24.00|0.043750|1.05|0.10|USD|NULL|0.10|"
	    "0.95|0.9048|NULL\n");
	rs_expect(db, PKGMARGIN, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    PKGMARGIN_HEADER
	    "cred-100|USD|1|100|5.00|NULL|NULL|NULL|NULL|" NO_RATE("EUR", "USD")
	    "\n"
	    "cred-100-idr|IDR|1|100|50000.00|NULL|NULL|NULL|NULL|"
	    NO_RATE("EUR", "IDR") "\n" NO_RATE("USD", "IDR") "\n"
	    "cred-500|USD|1|500|20.00|NULL|NULL|NULL|NULL|" NO_RATE("EUR", "USD")
	    "\n");
	rs_expect(db, POWER, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    POWER_HEADER
	    "1|u_3|cat@example.com|30|0.5455|5|1|4|0|2|465|2026-01-20\n"
	    "2|u_1|ann@example.com|13|0.2364|3|1|2|0|2|187|2025-10-05\n"
	    "3|u_2|eva@example.com|9|0.1636|4|3|0|1|1|138|2026-02-10\n"
	    "4|u_4|fay@example.com|3|0.0545|1|1|0|0|1|97|2025-04-15\n");
}

/*
 * March cut in UTC: dan's first order (03-01 00:30+01) is February, so the
 * February cohort has two customers and March none; fay's call at 03-01
 * 00:15+01 is February, ann's at 04-01 00:30+02 is March (18 credits of
 * 57), and her o19 grant at 03-31 23:00Z is in her balance (287).
 */
static void
test_month_in_utc(void **state)
{
	struct db *db = *state;
	char *text;

	text = rs_sheet_text(db, COHORTS, MAR_UTC_FROM, MAR_UTC_TO, MAR_ASOF, "UTC");
	assert_non_null(strstr(text, "\n2026-02-01|2|1.0000|NULL|"));
	assert_non_null(strstr(text, "\n2026-03-01|0|NULL|"));
	free(text);
	rs_expect(db, POWER, MAR_UTC_FROM, MAR_UTC_TO, MAR_ASOF, "UTC",
	    POWER_HEADER
	    "1|u_3|cat@example.com|30|0.5263|5|1|4|0|2|465|2026-01-20\n"
	    "2|u_1|ann@example.com|18|0.3158|4|1|3|0|2|287|2025-10-05\n"
	    "3|u_2|eva@example.com|9|0.1579|4|3|0|1|1|138|2026-02-10\n");
}

/*
 * June 2025: before the pool and the credit sales (only fay's package of
 * April is in the twelve months), models known with no calls.  Nothing
 * fails, flows are empty, models are listed with zeros.
 */
static void
test_empty_month(void **state)
{
	struct db *db = *state;

	rs_check_report(db, "reports/monthly/", NSHEETS,
	    (const int[NSHEETS]){ 12, 0, 0, 1, 12, 12, 12, 7, 0, 4, 0, 0, 0 },
	    JUN25_FROM, JUN25_TO, JUN25_ASOF, BERLIN);
	rs_expect(db, MODELCOST, JUN25_FROM, JUN25_TO, JUN25_ASOF, BERLIN,
	    MODELCOST_HEADER
	    "flux-eu|t|0|0|0|0|0.05|0.00|EUR\n"
	    "gemini-flash-image|t|0|0|0|0|0.04|0.00|USD\n"
	    "old-model|f|0|0|0|0|0.01|0.00|USD\n"
	    "qwen-image-edit|t|0|0|0|0|0.02|0.00|USD\n");
}

/* The buffer comes from the configuration ($5): 10 free seats wanted ->
 * 4.4 + 10 - 7 = 7.4 -> 8 seats short, 8 single-user accounts. */
static void
test_buffer_from_settings(void **state)
{
	struct db *db = *state;
	PGresult *res;
	int last;

	res = rs_run_with(db, FORECAST, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    "{\"alert_seat_threshold\": 10}");
	last = PQntuples(res) - 1;
	assert_int_equal(last, 6);
	assert_string_equal(PQgetvalue(res, last, 1), "forecast");
	assert_string_equal(PQgetvalue(res, last, 6), "10");
	assert_string_equal(PQgetvalue(res, last, 7), "8");
	assert_string_equal(PQgetvalue(res, last, 9), "8");
	PQclear(res);
}

/*
 * Margins across currencies (issue: a USD package's margin left out a EUR
 * model's cost).  Rates as tallyctl fx set records them: EUR->USD 1.08
 * from 03-01 (the one in force on March 31st as of the run), 1.50 from
 * 04-01 (too late for March), 2.00 from 03-01 recorded after the as-of
 * (not yet known), USD->IDR 16000 from 02-15; none EUR->IDR.
 *
 * March's calls (see "Model cost"): 55 credits; EUR 5 cents (flux), USD
 * 36 cents (gemini 24, qwen 12).  A package's cost is its credits' share
 * of each, converted, summed, then rounded half away from zero:
 *   cred-100 USD, 100 credits: 100 x 5 / 55 = 9.0909 EUR c x 1.08
 *     = 9.8182 USD c, + 100 x 36 / 55 = 65.4545 USD c; 75.2727 -> 0.75;
 *     margin 5.00 - 0.75 = 4.25, 85.00 %
 *   cred-500 USD, 500 credits: 45.4545 x 1.08 = 49.0909, + 327.2727;
 *     376.3636 -> 3.76; margin 20.00 - 3.76 = 16.24, 81.20 %
 *   cred-100-idr: no EUR->IDR rate: cost and margin empty, the note says
 *     which rate to set (USD->IDR alone is not enough)
 * A model's slice of cost (largest remainder, see "Margin per model") is
 * converted into the sales currency and rounded:
 *   flux-eu USD: 4 EUR c x 1.08 = 4.32 -> 0.04 USD; 0.35 - 0.04 = 0.31,
 *     31 / 35 = 88.57 %
 *   gemini IDR: 5 USD c x 16000 = 80000 IDR c = 800.00; 2250.00 - 800.00
 *     = 1450.00, 64.44 %
 *   qwen IDR: 2 x 16000 = 320.00; 4500.00 - 320.00 = 4180.00, 92.89 %
 * At a later as-of the rate recorded later (2.00) is known and replaces
 * 1.08 for the same day.
 */
static void
test_fx_margins(void **state)
{
	struct db *db = *state;
	PGresult *res;
	char *text;

	rs_simple(db, "insert into fx_rates (from_currency, to_currency, rate,"
	    " valid_from, created_at, created_by) values"
	    " ('EUR', 'USD', 1.08, '2026-03-01', '2026-03-01 12:00+01', 'a'),"
	    " ('EUR', 'USD', 1.50, '2026-04-01', '2026-03-30 12:00+02', 'a'),"
	    " ('EUR', 'USD', 2.00, '2026-03-01', '2026-05-01 12:00+02', 'a'),"
	    " ('USD', 'IDR', 16000, '2026-02-15', '2026-02-15 12:00+01', 'a')");
	rs_expect(db, PKGMARGIN, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    PKGMARGIN_HEADER
	    "cred-100|USD|1|100|5.00|0.75|1 EUR = 1.08 USD|4.25|0.8500|NULL\n"
	    "cred-100-idr|IDR|1|100|50000.00|NULL|1 USD = 16000 IDR|NULL|NULL|"
	    NO_RATE("EUR", "IDR") "\n"
	    "cred-500|USD|1|500|20.00|3.76|1 EUR = 1.08 USD|16.24|0.8120|NULL\n");
	rs_expect(db, MODELMARGIN, MAR_FROM, MAR_TO, MAR_ASOF, BERLIN,
	    MODELMARGIN_HEADER
	    "flux-eu|IDR|0.2000|2.00|750.000000|1500.00|0.01|EUR|NULL|NULL|NULL|"
	    "NULL|" NO_RATE("EUR", "IDR") "\n"
	    "flux-eu|USD|0.8000|8.00|0.043750|0.35|0.04|EUR|1 EUR = 1.08 USD|"
	    "0.04|0.31|0.8857|NULL\n"
	    "gemini-flash-image|IDR|0.2000|3.00|750.000000|2250.00|0.05|USD|"
	    "1 USD = 16000 IDR|800.00|1450.00|0.6444|NULL\n"
	    "gemini-flash-image|USD|0.8000|12.00|0.043750|0.53|0.19|USD|NULL|"
	    "0.19|0.34|0.6415|NULL\n"
	    "qwen-image-edit|IDR|0.2000|6.00|750.000000|4500.00|0.02|USD|"
	    "1 USD = 16000 IDR|320.00|4180.00|0.9289|NULL\n"
	    "qwen-image-edit|USD|0.8000|24.00|0.043750|1.05|0.10|USD|NULL|0.10|"
	    "0.95|0.9048|NULL\n");
	/* known later: 2.00 from the same day replaces 1.08 */
	res = rs_run(db, PKGMARGIN, MAR_FROM, MAR_TO, LATER,
	    BERLIN);
	assert_string_equal(PQgetvalue(res, 0, 6), "1 EUR = 2 USD");
	PQclear(res);
	/* only the other way round known: its inverse, to 12 decimals */
	res = PQexec(db_conn(db), "select rate, label from tally_fx('IDR', "
	    "'USD', '2026-03-31', '2026-04-01T04:00:00Z')");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	text = rs_text(res);
	assert_string_equal(text, "rate|label\n"
	    "0.000062500000|1 USD = 16000 IDR\n");
	free(text);
	PQclear(res);
}

/*
 * Reproducible: March at its as-of, then monthly_late.sql (recorded six
 * weeks later, much of it about March), then March again at the same
 * as-of: every sheet byte-identical.  At a later as-of the late facts do
 * count, so the comparison could have failed.
 */
static void
test_rerun_same_as_of(void **state)
{
	struct db *db = *state;

	rs_rerun_unchanged(db, "reports/monthly/", NSHEETS, "monthly_late.sql",
	    MAR_FROM, MAR_TO, MAR_ASOF, BERLIN);
	rs_expect(db, PACKAGES, MAR_FROM, MAR_TO, LATER, BERLIN,
	    PACKAGES_HEADER
	    "cred-100 USD|cred-100|100 credits|100|USD|1|100|5.00|0.00|5.00|"
	    "0.050000\n"
	    "cred-100-idr IDR|cred-100-idr|100 credits (IDR)|100|IDR|1|100|"
	    "75000.00|25000.00|50000.00|750.000000\n"
	    "cred-500 USD|cred-500|500 credits|500|USD|2|1000|40.00|10.00|30.00|"
	    "0.040000\n");
	rs_expect(db, MODELCOST, MAR_FROM, MAR_TO, LATER, BERLIN,
	    MODELCOST_HEADER
	    "flux-eu|t|1|1|0|10|0.05|0.05|EUR\n"
	    "gemini-flash-image|t|7|6|1|18|0.04|0.28|USD\n"
	    "old-model|f|0|0|0|0|0.01|0.00|USD\n"
	    "qwen-image-edit|t|6|6|0|30|0.02|0.12|USD\n");
	/* the backdated seat on P6: 03-20 09:00Z to the month's end, 277 h */
	rs_expect(db, UNDERUSED, MAR_FROM, MAR_TO, LATER, BERLIN,
	    UNDERUSED_HEADER
	    "6|m3@pool.test|Multi-seat|2|30.96|61.92|18.54|43.38|0.2995\n");
}

/*
 * March through the report engine (lib/report/engine.c), as tally-monthly-review
 * runs it (job_runs row included): every header accepted, twelve CSVs and a workbook with the row
 * counts of test_month_pool, twice byte for byte the same; the margin CSV
 * holds exactly the hand-computed figures.
 */
static void
test_through_engine(void **state)
{
	static const int rows[NSHEETS] = { 18, 6, 1, 3, 12, 12, 24, 7, 3, 4, 6, 3, 4 };
	static const char margin[] =
	    "\"model\",\"currency\",\"credit_share\",\"credits_consumed\","
	    "\"credit_price\",\"credit_value\",\"provider_cost\",\"cost_currency\","
	    "\"fx_rate\",\"cost_in_currency\",\"gross_margin\",\"margin_pct\","
	    "\"margin_note\"\r\n"
	    "\"flux-eu\",\"IDR\",0.2000,2.00,750.000000,1500.00,0.01,\"EUR\",,,,,"
	    "\"" NO_RATE("EUR", "IDR") "\"\r\n"
	    "\"flux-eu\",\"USD\",0.8000,8.00,0.043750,0.35,0.04,\"EUR\",,,,,"
	    "\"" NO_RATE("EUR", "USD") "\"\r\n"
	    "\"gemini-flash-image\",\"IDR\",0.2000,3.00,750.000000,2250.00,0.05,"
	    "\"USD\",,,,,\"" NO_RATE("USD", "IDR") "\"\r\n"
	    "\"gemini-flash-image\",\"USD\",0.8000,12.00,0.043750,0.53,0.19,"
	    "\"USD\",,0.19,0.34,0.6415,\r\n"
	    "\"qwen-image-edit\",\"IDR\",0.2000,6.00,750.000000,4500.00,0.02,"
	    "\"USD\",,,,,\"" NO_RATE("USD", "IDR") "\"\r\n"
	    "\"qwen-image-edit\",\"USD\",0.8000,24.00,0.043750,1.05,0.10,"
	    "\"USD\",,0.10,0.95,0.9048,\r\n";
	struct db *db = *state;
	struct period p;

	assert_int_equal(period_month(&p, "2026-03", BERLIN), 0);
	rs_engine_csv(db, "monthly", "tally-monthly-review", &p, MAR_ASOF, BERLIN,
	    NSHEETS, rows, "monthly-2026-03-margin-per-model.csv",
	    margin);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, rs_setup, rs_teardown)
		cmocka_unit_test(test_empty_database),
		T(test_month_pool),
		T(test_summary),
		T(test_month_money_and_usage),
		T(test_month_in_utc),
		T(test_empty_month),
		T(test_buffer_from_settings),
		T(test_fx_margins),
		T(test_rerun_same_as_of),
		T(test_through_engine),
	};

	testdb_require();
	rs_fixture = "monthly_basic.sql";
	return cmocka_run_group_tests_name("monthly report SQL", tests, NULL,
	    NULL);
}
