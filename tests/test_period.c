/*
 * test_period.c - report periods: ISO weeks, months, ranges, windows and
 * the default "last complete period", cut in UTC and in Europe/Berlin
 * across both daylight-saving switches and across month and year ends.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/period.h"
#include "base/strbuf.h"

#define BERLIN "Europe/Berlin"

/* Assert a period's label and UTC bounds. */
static void
check(const struct period *p, const char *label, const char *start,
    const char *end)
{
	char a[PERIOD_ISO_MAX], b[PERIOD_ISO_MAX];

	period_format_utc(p->start, a);
	period_format_utc(p->end, b);
	assert_string_equal(p->label, label);
	assert_string_equal(a, start);
	assert_string_equal(b, end);
}

static time_t
instant(const char *s)
{
	time_t t;

	assert_int_equal(period_parse_instant(s, "UTC", &t), 0);
	return t;
}

static void
test_tz_valid(void **state)
{
	(void)state;
	assert_true(period_tz_valid("UTC"));
	assert_true(period_tz_valid(BERLIN));
	assert_true(period_tz_valid("America/Argentina/Buenos_Aires"));
	assert_false(period_tz_valid("Mars/Olympus_Mons"));
	assert_false(period_tz_valid("../../etc/passwd"));
	assert_false(period_tz_valid("/etc/localtime"));
	assert_false(period_tz_valid(""));
	assert_false(period_tz_valid(NULL));
	assert_false(period_tz_valid("Europe/Berlin;rm"));
}

static void
test_parse_instant(void **state)
{
	time_t t;
	char buf[PERIOD_ISO_MAX];

	(void)state;
	assert_int_equal(period_parse_instant("2026-11-17", "UTC", &t), 0);
	assert_int_equal((long long)t, 1794873600LL);
	assert_int_equal(period_parse_instant("2026-11-17T10:30", "UTC", &t), 0);
	assert_int_equal((long long)t, 1794911400LL);
	assert_int_equal(period_parse_instant("2026-11-17 10:30:15+01:00", "UTC",
	    &t), 0);
	assert_int_equal((long long)t, 1794907815LL);
	assert_int_equal(period_parse_instant("2026-11-17T10:30:15+0100", BERLIN,
	    &t), 0);
	assert_int_equal((long long)t, 1794907815LL);
	assert_int_equal(period_parse_instant("2026-11-17T09:30:15Z", BERLIN,
	    &t), 0);
	assert_int_equal((long long)t, 1794907815LL);
	/* no offset: wall-clock time in the zone */
	assert_int_equal(period_parse_instant("2026-11-17", BERLIN, &t), 0);
	period_format_utc(t, buf);
	assert_string_equal(buf, "2026-11-16T23:00:00Z");
	assert_int_equal(period_parse_instant("2026-07-01T12:00", BERLIN, &t), 0);
	period_format_utc(t, buf);
	assert_string_equal(buf, "2026-07-01T10:00:00Z");
	assert_int_equal(period_format_local(t, BERLIN, buf), 0);
	assert_string_equal(buf, "2026-07-01T12:00:00+02:00");

	assert_int_equal(period_parse_instant("2026-11-31", "UTC", &t), TALLY_EUSAGE);
	assert_int_equal(period_parse_instant("2026-02-29", "UTC", &t), TALLY_EUSAGE);
	assert_int_equal(period_parse_instant("2028-02-29", "UTC", &t), 0);
	assert_int_equal(period_parse_instant("2026-11-17T25:00", "UTC", &t),
	    TALLY_EUSAGE);
	assert_int_equal(period_parse_instant("2026-11-17T10:00:00.5Z", "UTC", &t),
	    TALLY_EUSAGE);
	assert_int_equal(period_parse_instant("17/11/2026", "UTC", &t),
	    TALLY_EUSAGE);
	assert_int_equal(period_parse_instant("2026-11-17Tjunk", "UTC", &t),
	    TALLY_EUSAGE);
	assert_int_equal(period_parse_instant("2026-11-17", "No/Such_Zone", &t),
	    TALLY_EUSAGE);
}

/* An instant in the one grammar, formatted back in UTC (or "refused"). */
static const char *
us(const char *s, const char *tz)
{
	static char buf[PERIOD_ISO_MAX];
	struct period_instant t;

	if (period_parse_instant_us(s, tz, &t) != 0)
		return "refused";
	period_format_utc_us(t, buf);
	return buf;
}

/*
 * The one --as-of grammar of every batch program (and of settlement
 * exports): what reports took, what allocate and expire users typed for
 * PostgreSQL's parser (a space, an offset without minutes), fractions to
 * the microsecond; never words.
 */
static void
test_parse_instant_us(void **state)
{
	(void)state;
	assert_string_equal(us("2026-11-17T10:00:00.5Z", "UTC"),
	    "2026-11-17T10:00:00.5Z");
	assert_string_equal(us("2026-11-17 10:00:00.123456+01:00", BERLIN),
	    "2026-11-17T09:00:00.123456Z");
	assert_string_equal(us("2026-12-01 12:00:00+00", "UTC"),
	    "2026-12-01T12:00:00Z");
	assert_string_equal(us("2026-11-17 10:00:00 +0100", "UTC"),
	    "2026-11-17T09:00:00Z");
	assert_string_equal(us("2026-11-17T10:00:00.000001z", "UTC"),
	    "2026-11-17T10:00:00.000001Z");
	assert_string_equal(us("2026-11-17T10:00:00.100", "UTC"),
	    "2026-11-17T10:00:00.1Z");
	/* no offset: wall-clock time in the zone, the fraction kept */
	assert_string_equal(us("2026-07-01T12:00:00.25", BERLIN),
	    "2026-07-01T10:00:00.25Z");
	assert_string_equal(us("2026-11-17", BERLIN), "2026-11-16T23:00:00Z");
	/* no zone file is needed for UTC */
	assert_string_equal(us("2026-11-17T10:00", "UTC"), "2026-11-17T10:00:00Z");

	assert_string_equal(us("2026-11-17T10:00:00.1234567Z", "UTC"), "refused");
	assert_string_equal(us("2026-11-17T10:00:00.Z", "UTC"), "refused");
	assert_string_equal(us("2026-11-17T10:00.5Z", "UTC"), "refused");
	assert_string_equal(us("now", "UTC"), "refused");
	assert_string_equal(us("yesterday", "UTC"), "refused");
	assert_string_equal(us("2026-11-17 ", "UTC"), "refused");
	assert_string_equal(us("2026-11-17T10:00 UTC", "UTC"), "refused");
	assert_string_equal(us("2026-11-17T10:00+16:00", "UTC"), "refused");
	assert_string_equal(us("2026-11-17T10:00:60Z", "UTC"), "refused");
	assert_string_equal(us("2026-11-17T10:00", "No/Such_Zone"), "refused");
}

/* A window ending at an instant with a fraction keeps it at both ends. */
static void
test_window_us(void **state)
{
	struct period p;
	struct period_instant end;
	char a[PERIOD_ISO_MAX], b[PERIOD_ISO_MAX];

	(void)state;
	assert_int_equal(period_parse_instant_us("2026-11-17T00:00:00.25Z", "UTC",
	    &end), 0);
	assert_int_equal(period_window_us(&p, end, 7, "UTC"), 0);
	assert_int_equal(p.kind, PERIOD_WINDOW);
	period_format_utc_us((struct period_instant){ p.start, p.start_usec }, a);
	period_format_utc_us((struct period_instant){ p.end, p.end_usec }, b);
	assert_string_equal(a, "2026-11-10T00:00:00.25Z");
	assert_string_equal(b, "2026-11-17T00:00:00.25Z");
}

static void
test_week_utc(void **state)
{
	struct period p;

	(void)state;
	assert_int_equal(period_week(&p, "2026-W47", "UTC"), 0);
	assert_int_equal(p.kind, PERIOD_WEEK);
	check(&p, "2026-W47", "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z");
	/* week 1 of 2026 starts in 2025 (1 January 2026 is a Thursday) */
	assert_int_equal(period_week(&p, "2026-W01", "UTC"), 0);
	check(&p, "2026-W01", "2025-12-29T00:00:00Z", "2026-01-05T00:00:00Z");
	/* 2026 has 53 ISO weeks, 2025 has 52 */
	assert_int_equal(period_week(&p, "2026-W53", "UTC"), 0);
	check(&p, "2026-W53", "2026-12-28T00:00:00Z", "2027-01-04T00:00:00Z");
	assert_int_equal(period_week(&p, "2025-W53", "UTC"), TALLY_EUSAGE);
	assert_int_equal(period_week(&p, "2026-W00", "UTC"), TALLY_EUSAGE);
	assert_int_equal(period_week(&p, "2026-47", "UTC"), TALLY_EUSAGE);
}

static void
test_week_berlin_dst(void **state)
{
	struct period p;

	(void)state;
	/* summer time starts Sunday 29 March 2026: a 167-hour week */
	assert_int_equal(period_week(&p, "2026-W13", BERLIN), 0);
	check(&p, "2026-W13", "2026-03-22T23:00:00Z", "2026-03-29T22:00:00Z");
	assert_int_equal((long long)(p.end - p.start), 167LL * 3600);
	/* and ends Sunday 25 October 2026: 169 hours */
	assert_int_equal(period_week(&p, "2026-W43", BERLIN), 0);
	check(&p, "2026-W43", "2026-10-18T22:00:00Z", "2026-10-25T23:00:00Z");
	assert_int_equal((long long)(p.end - p.start), 169LL * 3600);
}

static void
test_week_crossing_month(void **state)
{
	struct period p;

	(void)state;
	/* Monday 26 October to Sunday 1 November 2026, in winter time */
	assert_int_equal(period_week(&p, "2026-W44", BERLIN), 0);
	check(&p, "2026-W44", "2026-10-25T23:00:00Z", "2026-11-01T23:00:00Z");
	assert_int_equal(p.first.month, 10);
	assert_int_equal(p.first.day, 26);
	assert_int_equal(p.last.month, 11);
	assert_int_equal(p.last.day, 1);
}

static void
test_month(void **state)
{
	struct period p;

	(void)state;
	assert_int_equal(period_month(&p, "2026-11", "UTC"), 0);
	check(&p, "2026-11", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z");
	assert_int_equal(period_month(&p, "2026-12", "UTC"), 0);
	check(&p, "2026-12", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z");
	/* March in Berlin starts in winter time and ends in summer time */
	assert_int_equal(period_month(&p, "2026-03", BERLIN), 0);
	check(&p, "2026-03", "2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z");
	assert_int_equal(period_month(&p, "2026-13", "UTC"), TALLY_EUSAGE);
	assert_int_equal(period_month(&p, "2026-1", "UTC"), TALLY_EUSAGE);
}

static void
test_range(void **state)
{
	struct period p;

	(void)state;
	assert_int_equal(period_range(&p, "2026-11-01", "2026-11-15", "UTC"), 0);
	assert_int_equal(p.kind, PERIOD_RANGE);
	check(&p, "2026-11-01_2026-11-15", "2026-11-01T00:00:00Z",
	    "2026-11-16T00:00:00Z");
	/* one day is a day */
	assert_int_equal(period_range(&p, "2026-03-29", "2026-03-29", BERLIN), 0);
	assert_int_equal(p.kind, PERIOD_DAY);
	check(&p, "2026-03-29", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z");
	assert_int_equal(period_range(&p, "2026-11-15", "2026-11-01", "UTC"),
	    TALLY_EUSAGE);
	assert_int_equal(period_range(&p, "2026-11-01", "tomorrow", "UTC"),
	    TALLY_EUSAGE);
}

static void
test_window(void **state)
{
	struct period p;

	(void)state;
	assert_int_equal(period_window(&p, instant("2026-11-17T12:00:00Z"), 7,
	    "UTC"), 0);
	assert_int_equal(p.kind, PERIOD_WINDOW);
	check(&p, "2026-11-17T120000-7d", "2026-11-10T12:00:00Z",
	    "2026-11-17T12:00:00Z");
	/* across the switch to summer time: the same wall-clock time two
	 * days earlier is 47 hours before */
	assert_int_equal(period_window(&p, instant("2026-03-30T10:00:00Z"), 2,
	    BERLIN), 0);
	check(&p, "2026-03-30T120000-2d", "2026-03-28T11:00:00Z",
	    "2026-03-30T10:00:00Z");
	/* ending at a local midnight: whole days, labelled as a range */
	assert_int_equal(period_window(&p, instant("2026-11-17T00:00:00Z"), 7,
	    "UTC"), 0);
	assert_int_equal(p.kind, PERIOD_RANGE);
	check(&p, "2026-11-10_2026-11-16", "2026-11-10T00:00:00Z",
	    "2026-11-17T00:00:00Z");
	assert_int_equal(period_window(&p, instant("2026-11-17T00:00:00Z"), 0,
	    "UTC"), TALLY_EUSAGE);
}

static void
test_last_complete(void **state)
{
	struct period p;
	time_t t = instant("2026-11-17T10:00:00Z");	/* a Tuesday */

	(void)state;
	assert_int_equal(period_last(&p, PERIOD_DAY, t, "UTC"), 0);
	check(&p, "2026-11-16", "2026-11-16T00:00:00Z", "2026-11-17T00:00:00Z");
	assert_int_equal(period_last(&p, PERIOD_WEEK, t, "UTC"), 0);
	check(&p, "2026-W46", "2026-11-09T00:00:00Z", "2026-11-16T00:00:00Z");
	assert_int_equal(period_last(&p, PERIOD_MONTH, t, "UTC"), 0);
	check(&p, "2026-10", "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z");

	/* January: the month before is last year's December, and the week
	 * before 2027-W01 is 2026-W53 */
	t = instant("2027-01-05T08:00:00Z");
	assert_int_equal(period_last(&p, PERIOD_MONTH, t, "UTC"), 0);
	check(&p, "2026-12", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z");
	assert_int_equal(period_last(&p, PERIOD_WEEK, t, "UTC"), 0);
	check(&p, "2026-W53", "2026-12-28T00:00:00Z", "2027-01-04T00:00:00Z");

	/* exactly at the end of a week, that week is complete */
	assert_int_equal(period_parse_instant("2026-11-16T00:00:00+01:00",
	    "UTC", &t), 0);
	assert_int_equal(period_last(&p, PERIOD_WEEK, t, BERLIN), 0);
	check(&p, "2026-W46", "2026-11-08T23:00:00Z", "2026-11-15T23:00:00Z");

	/* 23:30 UTC on the 15th is already the 16th in Berlin */
	t = instant("2026-11-15T23:30:00Z");
	assert_int_equal(period_last(&p, PERIOD_DAY, t, BERLIN), 0);
	assert_string_equal(p.label, "2026-11-15");
	assert_int_equal(period_last(&p, PERIOD_DAY, t, "UTC"), 0);
	assert_string_equal(p.label, "2026-11-14");
}

static void
test_resolve(void **state)
{
	struct period p;
	struct strbuf err = STRBUF_INIT;
	struct period_request rq;
	time_t t = instant("2026-11-17T10:00:00Z");

	(void)state;
	memset(&rq, 0, sizeof(rq));
	assert_int_equal(period_resolve(&p, &rq, PERIOD_WEEK, t, "UTC", &err), 0);
	assert_string_equal(p.label, "2026-W46");
	assert_int_equal(period_resolve(&p, &rq, PERIOD_DAY, t, "UTC", &err), 0);
	assert_string_equal(p.label, "2026-11-16");

	rq.month = "2026-02";
	assert_int_equal(period_resolve(&p, &rq, PERIOD_WEEK, t, "UTC", &err), 0);
	assert_string_equal(p.label, "2026-02");
	rq.week = "2026-W05";
	assert_int_equal(period_resolve(&p, &rq, PERIOD_WEEK, t, "UTC", &err),
	    TALLY_EUSAGE);
	assert_non_null(strstr(strbuf_str(&err), "at most one"));

	memset(&rq, 0, sizeof(rq));
	strbuf_reset(&err);
	rq.from = "2026-11-01";
	assert_int_equal(period_resolve(&p, &rq, PERIOD_WEEK, t, "UTC", &err),
	    TALLY_EUSAGE);
	assert_non_null(strstr(strbuf_str(&err), "together"));

	memset(&rq, 0, sizeof(rq));
	strbuf_reset(&err);
	rq.week = "2026-W54";
	assert_int_equal(period_resolve(&p, &rq, PERIOD_WEEK, t, "UTC", &err),
	    TALLY_EUSAGE);
	assert_non_null(strstr(strbuf_str(&err), "2026-W54"));

	memset(&rq, 0, sizeof(rq));
	strbuf_reset(&err);
	rq.days = 3;
	assert_int_equal(period_resolve(&p, &rq, PERIOD_DAY, t, "UTC", &err), 0);
	assert_string_equal(p.label, "2026-11-17T100000-3d");

	strbuf_reset(&err);
	assert_int_equal(period_resolve(&p, &rq, PERIOD_DAY, t, "Nowhere/Land",
	    &err), TALLY_EUSAGE);
	assert_non_null(strstr(strbuf_str(&err), "time zone"));
	strbuf_release(&err);
}

static void
test_tz_restored(void **state)
{
	struct period p;

	(void)state;
	assert_int_equal(setenv("TZ", "America/New_York", 1), 0);
	assert_int_equal(period_week(&p, "2026-W13", BERLIN), 0);
	assert_string_equal(getenv("TZ"), "America/New_York");
	assert_int_equal(unsetenv("TZ"), 0);
	assert_int_equal(period_week(&p, "2026-W13", BERLIN), 0);
	assert_null(getenv("TZ"));
}

static void
test_calendar(void **state)
{
	struct period_date d = { 1970, 1, 1 }, e;

	(void)state;
	assert_int_equal(period_days(d), 0);
	d.year = 2000;
	d.month = 2;
	d.day = 29;
	e = period_from_days(period_days(d));
	assert_int_equal(e.year, 2000);
	assert_int_equal(e.month, 2);
	assert_int_equal(e.day, 29);
	d.year = 1899;
	d.month = 12;
	d.day = 30;
	assert_int_equal(period_days(d), -25569);	/* Excel's epoch */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tz_valid),
		cmocka_unit_test(test_parse_instant),
		cmocka_unit_test(test_parse_instant_us),
		cmocka_unit_test(test_window_us),
		cmocka_unit_test(test_week_utc),
		cmocka_unit_test(test_week_berlin_dst),
		cmocka_unit_test(test_week_crossing_month),
		cmocka_unit_test(test_month),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_last_complete),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_tz_restored),
		cmocka_unit_test(test_calendar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
