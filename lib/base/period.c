#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/err.h"
#include "base/period.h"
#include "base/strbuf.h"

long
period_days(struct period_date d)
{
	long y = d.year, era;
	unsigned m = (unsigned)d.month, yoe, doy, doe;

	/* H. Hinnant's days_from_civil: proleptic Gregorian, 1970-01-01 = 0 */
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + (unsigned)d.day - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

struct period_date
period_from_days(long z)
{
	struct period_date d;
	long era, y;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (long)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
	d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
	d.year = (int)(y + (d.month <= 2));
	return d;
}

/* 0 = Monday ... 6 = Sunday; 1970-01-01 was a Thursday. */
static int
weekday(long days)
{
	return (int)(((days % 7) + 7 + 3) % 7);
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : n[m - 1];
}

bool
period_tz_valid(const char *tz)
{
	const char *dir = getenv("TZDIR");
	struct strbuf path = STRBUF_INIT;
	struct stat st;
	bool ok;

	if (tz == NULL || tz[0] == '\0' || strlen(tz) > PERIOD_TZ_MAX ||
	    tz[0] == '/' || strstr(tz, "..") != NULL)
		return false;
	for (const char *p = tz; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			return false;
	strbuf_addf(&path, "%s/%s", dir != NULL && dir[0] != '\0' ? dir :
	    "/usr/share/zoneinfo", tz);
	ok = stat(strbuf_str(&path), &st) == 0 && S_ISREG(st.st_mode);
	strbuf_release(&path);
	return ok;
}

/*
 * Run the C library's zone conversions under TZ=tz.  The previous TZ is
 * put back afterwards, so the process's own notion of local time (log
 * stamps) is not disturbed.
 */
struct tz_scope {
	char *saved;
	bool had;
};

static void
tz_enter(struct tz_scope *g, const char *tz)
{
	const char *cur = getenv("TZ");

	g->had = cur != NULL;
	g->saved = cur != NULL ? xstrdup(cur) : NULL;
	setenv("TZ", tz, 1);
	tzset();
}

static void
tz_leave(struct tz_scope *g)
{
	if (g->had)
		setenv("TZ", g->saved, 1);
	else
		unsetenv("TZ");
	free(g->saved);
	tzset();
}

/*
 * The instant of a local wall-clock time in tz.  A time that does not
 * exist (skipped by a switch to summer time) becomes the instant the clock
 * jumped to; an ambiguous one (repeated at the switch back) is the
 * C library's choice of the two.
 */
static int
local_instant(const char *tz, struct period_date d, int h, int mi, int s,
    time_t *out)
{
	struct tz_scope g;
	struct tm tm;
	time_t t;

	if (!period_tz_valid(tz))
		return TALLY_EUSAGE;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = d.year - 1900;
	tm.tm_mon = d.month - 1;
	tm.tm_mday = d.day;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	tm.tm_isdst = -1;
	tz_enter(&g, tz);
	t = mktime(&tm);
	tz_leave(&g);
	if (t == (time_t)-1)
		return TALLY_ERANGE;
	*out = t;
	return 0;
}

static int
local_tm(time_t t, const char *tz, struct tm *tm)
{
	struct tz_scope g;
	struct tm *r;

	if (!period_tz_valid(tz))
		return TALLY_EUSAGE;
	tz_enter(&g, tz);
	r = localtime_r(&t, tm);
	tz_leave(&g);
	return r != NULL ? 0 : TALLY_ERANGE;
}

int
period_local_date(time_t t, const char *tz, struct period_date *d)
{
	struct tm tm;
	int rc;

	if ((rc = local_tm(t, tz, &tm)) != 0)
		return rc;
	d->year = tm.tm_year + 1900;
	d->month = tm.tm_mon + 1;
	d->day = tm.tm_mday;
	return 0;
}

void
period_format_utc_us(struct period_instant t, char buf[PERIOD_ISO_MAX])
{
	struct tm tm;
	char frac[8] = "";
	int n;

	if (gmtime_r(&t.sec, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	if (t.usec > 0 && t.usec < 1000000) {
		snprintf(frac, sizeof(frac), ".%06ld", t.usec);
		for (n = 6; frac[n] == '0'; n--)
			frac[n] = '\0';
	}
	snprintf(buf, PERIOD_ISO_MAX, "%04d-%02d-%02dT%02d:%02d:%02d%sZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, frac);
}

void
period_format_utc(time_t t, char buf[PERIOD_ISO_MAX])
{
	struct period_instant i = { t, 0 };

	period_format_utc_us(i, buf);
}

int
period_format_local(time_t t, const char *tz, char buf[PERIOD_ISO_MAX])
{
	struct tm tm;
	long off;
	int rc;

	if ((rc = local_tm(t, tz, &tm)) != 0)
		return rc;
	off = tm.tm_gmtoff;
	snprintf(buf, PERIOD_ISO_MAX, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 3600,
	    (labs(off) % 3600) / 60);
	return 0;
}

static bool
digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

static bool
date_valid(struct period_date d)
{
	return d.year >= 1 && d.year <= 9999 && d.month >= 1 && d.month <= 12 &&
	    d.day >= 1 && d.day <= month_days(d.year, d.month);
}

/* "YYYY-MM-DD" at the start of s; the caller checks what follows. */
static int
parse_date_prefix(const char *s, struct period_date *d)
{
	if (!digits(s, 4, &d->year) || s[4] != '-' ||
	    !digits(s + 5, 2, &d->month) || s[7] != '-' ||
	    !digits(s + 8, 2, &d->day) || !date_valid(*d))
		return TALLY_EUSAGE;
	return 0;
}

int
period_parse_date(const char *s, struct period_date *d)
{
	if (s == NULL || strlen(s) != 10)
		return TALLY_EUSAGE;
	return parse_date_prefix(s, d);
}

/* ".ffffff" at *p (1 to 6 digits) as microseconds; *p moves past it. */
static int
parse_fraction(const char **p, long *usec)
{
	const char *q = *p + 1;
	long v = 0;
	int n = 0;

	while (*q >= '0' && *q <= '9') {
		if (n == 6)
			return TALLY_EUSAGE;
		v = v * 10 + (*q++ - '0');
		n++;
	}
	if (n == 0)
		return TALLY_EUSAGE;
	for (; n < 6; n++)
		v *= 10;
	*usec = v;
	*p = q;
	return 0;
}

/* "Z", "+01", "+01:00", "+0100" at p, to the end: *sign 1 or -1. */
static int
parse_offset(const char *p, int *sign, int *oh, int *om)
{
	*oh = *om = 0;
	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
		*sign = 1;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return TALLY_EUSAGE;
	*sign = *p == '-' ? -1 : 1;
	if (!digits(p + 1, 2, oh))
		return TALLY_EUSAGE;
	p += 3;
	if (*p == ':')
		p++;
	if (*p != '\0' && (!digits(p, 2, om) || p[2] != '\0'))
		return TALLY_EUSAGE;
	if (*oh > 15 || *om > 59)
		return TALLY_EUSAGE;
	return 0;
}

int
period_parse_instant_us(const char *s, const char *tz,
    struct period_instant *out)
{
	struct period_date d;
	int h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0, rc;
	long usec = 0;
	const char *p;

	if (s == NULL || strlen(s) < 10 || parse_date_prefix(s, &d) != 0)
		return TALLY_EUSAGE;
	p = s + 10;
	if ((*p == 'T' || *p == ' ') && p[1] >= '0' && p[1] <= '9') {
		if (!digits(p + 1, 2, &h) || p[3] != ':' || !digits(p + 4, 2, &mi))
			return TALLY_EUSAGE;
		p += 6;
		if (*p == ':') {
			if (!digits(p + 1, 2, &sec))
				return TALLY_EUSAGE;
			p += 3;
			if (*p == '.' && parse_fraction(&p, &usec) != 0)
				return TALLY_EUSAGE;
		}
		if (h > 23 || mi > 59 || sec > 59)
			return TALLY_EUSAGE;
	}
	/* exports write "2026-11-03 05:00:00 +07:00" */
	if (*p == ' ' && strchr("Zz+-", p[1]) != NULL && p[1] != '\0')
		p++;
	if (*p != '\0' && parse_offset(p, &sign, &oh, &om) != 0)
		return TALLY_EUSAGE;
	/* UTC needs no zone file: a settlement export is parsed a million
	 * times without one */
	if (sign == 0 && strcmp(tz != NULL ? tz : "", "UTC") == 0)
		sign = 1, oh = om = 0;
	if (sign == 0) {
		if ((rc = local_instant(tz, d, h, mi, sec, &out->sec)) != 0)
			return rc;
	} else {
		out->sec = (time_t)(period_days(d) * 86400L + h * 3600L +
		    mi * 60L + sec) - sign * (time_t)(oh * 3600L + om * 60L);
	}
	out->usec = usec;
	return 0;
}

int
period_parse_instant(const char *s, const char *tz, time_t *out)
{
	struct period_instant t;
	int rc;

	if ((rc = period_parse_instant_us(s, tz, &t)) != 0)
		return rc;
	if (t.usec != 0)
		return TALLY_EUSAGE;
	*out = t.sec;
	return 0;
}

/* [first, end_day) as local midnights; last = end_day - 1. */
static int
span(struct period *p, enum period_kind kind, long first, long end_day,
    const char *tz)
{
	int rc;

	if (!period_tz_valid(tz))
		return TALLY_EUSAGE;
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	snprintf(p->tz, sizeof(p->tz), "%s", tz);
	p->first = period_from_days(first);
	p->last = period_from_days(end_day - 1);
	if ((rc = local_instant(tz, p->first, 0, 0, 0, &p->start)) != 0 ||
	    (rc = local_instant(tz, period_from_days(end_day), 0, 0, 0,
	    &p->end)) != 0)
		return rc;
	return 0;
}

int
period_day(struct period *p, struct period_date d, const char *tz)
{
	long n;
	int rc;

	if (!date_valid(d))
		return TALLY_EUSAGE;
	n = period_days(d);
	if ((rc = span(p, PERIOD_DAY, n, n + 1, tz)) != 0)
		return rc;
	snprintf(p->label, sizeof(p->label), "%04d-%02d-%02d", d.year, d.month,
	    d.day);
	return 0;
}

/* Monday of ISO week 1: the week that holds 4 January. */
static long
iso_week1(int year)
{
	struct period_date jan4 = { year, 1, 4 };
	long d = period_days(jan4);

	return d - weekday(d);
}

static int
week_of(struct period *p, int year, int week, const char *tz)
{
	long mon;
	int rc;

	mon = iso_week1(year) + 7L * (week - 1);
	if ((rc = span(p, PERIOD_WEEK, mon, mon + 7, tz)) != 0)
		return rc;
	snprintf(p->label, sizeof(p->label), "%04d-W%02d", year, week);
	return 0;
}

int
period_week(struct period *p, const char *spec, const char *tz)
{
	int year, week, weeks;

	if (spec == NULL || strlen(spec) != 8 || !digits(spec, 4, &year) ||
	    spec[4] != '-' || (spec[5] != 'W' && spec[5] != 'w') ||
	    !digits(spec + 6, 2, &week) || year < 1 || year > 9998)
		return TALLY_EUSAGE;
	weeks = (int)((iso_week1(year + 1) - iso_week1(year)) / 7);
	if (week < 1 || week > weeks)
		return TALLY_EUSAGE;
	return week_of(p, year, week, tz);
}

static int
month_of(struct period *p, int year, int month, const char *tz)
{
	struct period_date a = { year, month, 1 };
	struct period_date b = { month == 12 ? year + 1 : year,
		month == 12 ? 1 : month + 1, 1 };
	int rc;

	if ((rc = span(p, PERIOD_MONTH, period_days(a), period_days(b), tz)) != 0)
		return rc;
	snprintf(p->label, sizeof(p->label), "%04d-%02d", year, month);
	return 0;
}

int
period_month(struct period *p, const char *spec, const char *tz)
{
	int year, month;

	if (spec == NULL || strlen(spec) != 7 || !digits(spec, 4, &year) ||
	    spec[4] != '-' || !digits(spec + 5, 2, &month) || year < 1 ||
	    year > 9998 || month < 1 || month > 12)
		return TALLY_EUSAGE;
	return month_of(p, year, month, tz);
}

static int
range_days(struct period *p, long first, long last, const char *tz)
{
	int rc;

	if (first == last)
		return period_day(p, period_from_days(first), tz);
	if ((rc = span(p, PERIOD_RANGE, first, last + 1, tz)) != 0)
		return rc;
	snprintf(p->label, sizeof(p->label), "%04d-%02d-%02d_%04d-%02d-%02d",
	    p->first.year, p->first.month, p->first.day, p->last.year,
	    p->last.month, p->last.day);
	return 0;
}

int
period_range(struct period *p, const char *from, const char *to,
    const char *tz)
{
	struct period_date a, b;
	long first, last;

	if (period_parse_date(from, &a) != 0 || period_parse_date(to, &b) != 0)
		return TALLY_EUSAGE;
	first = period_days(a);
	last = period_days(b);
	if (last < first)
		return TALLY_EUSAGE;
	return range_days(p, first, last, tz);
}

int
period_window(struct period *p, time_t end, int days, const char *tz)
{
	struct period_instant e = { end, 0 };

	return period_window_us(p, e, days, tz);
}

int
period_window_us(struct period *p, struct period_instant end_us, int days,
    const char *tz)
{
	time_t end = end_us.sec;
	struct tm tm;
	struct period_date d, s;
	time_t midnight;
	int rc;

	if (days < 1 || days > 3660)
		return TALLY_EUSAGE;
	if ((rc = local_tm(end, tz, &tm)) != 0)
		return rc;
	d.year = tm.tm_year + 1900;
	d.month = tm.tm_mon + 1;
	d.day = tm.tm_mday;
	if ((rc = local_instant(tz, d, 0, 0, 0, &midnight)) != 0)
		return rc;
	/* ending at a local midnight: exactly the N whole days before it */
	if (midnight == end && end_us.usec == 0)
		return range_days(p, period_days(d) - days, period_days(d) - 1, tz);
	memset(p, 0, sizeof(*p));
	p->kind = PERIOD_WINDOW;
	snprintf(p->tz, sizeof(p->tz), "%s", tz);
	/* the same wall-clock time N calendar days earlier: DST-correct */
	s = period_from_days(period_days(d) - days);
	if ((rc = local_instant(tz, s, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    &p->start)) != 0)
		return rc;
	p->end = end;
	p->start_usec = p->end_usec = end_us.usec;
	p->first = s;
	p->last = d;
	snprintf(p->label, sizeof(p->label), "%04d-%02d-%02dT%02d%02d%02d-%dd",
	    d.year, d.month, d.day, tm.tm_hour, tm.tm_min, tm.tm_sec, days);
	return 0;
}

int
period_last(struct period *p, enum period_kind kind, time_t as_of,
    const char *tz)
{
	struct period_date d;
	long today;
	int rc;

	if ((rc = period_local_date(as_of, tz, &d)) != 0)
		return rc;
	today = period_days(d);
	switch (kind) {
	case PERIOD_DAY:
		return period_day(p, period_from_days(today - 1), tz);
	case PERIOD_WEEK: {
		long mon = today - weekday(today) - 7;
		struct period_date thu = period_from_days(mon + 3);
		/* the ISO year is the year of the week's Thursday */
		int week = (int)((mon - iso_week1(thu.year)) / 7) + 1;

		return week_of(p, thu.year, week, tz);
	}
	case PERIOD_MONTH:
		return d.month == 1 ? month_of(p, d.year - 1, 12, tz) :
		    month_of(p, d.year, d.month - 1, tz);
	case PERIOD_RANGE:
	case PERIOD_WINDOW:
		break;
	}
	return TALLY_EINTERNAL;
}

int
period_resolve(struct period *p, const struct period_request *rq,
    enum period_kind dflt, time_t as_of, const char *tz, struct strbuf *err)
{
	struct period_instant t = { as_of, 0 };

	return period_resolve_us(p, rq, dflt, t, tz, err);
}

int
period_resolve_us(struct period *p, const struct period_request *rq,
    enum period_kind dflt, struct period_instant as_of, const char *tz,
    struct strbuf *err)
{
	int given = 0, rc;

	if (!period_tz_valid(tz)) {
		strbuf_addf(err, "unknown time zone \"%s\"", tz != NULL ? tz : "");
		return TALLY_EUSAGE;
	}
	given = (rq->week != NULL) + (rq->month != NULL) +
	    (rq->from != NULL || rq->to != NULL) + (rq->days != 0);
	if (given > 1) {
		strbuf_addstr(err, "give at most one of --week, --month, "
		    "--from/--to, --days");
		return TALLY_EUSAGE;
	}
	if (rq->week != NULL) {
		if ((rc = period_week(p, rq->week, tz)) != 0)
			strbuf_addf(err, "bad --week \"%s\" (want an ISO week "
			    "like 2026-W47)", rq->week);
		return rc;
	}
	if (rq->month != NULL) {
		if ((rc = period_month(p, rq->month, tz)) != 0)
			strbuf_addf(err, "bad --month \"%s\" (want 2026-11)",
			    rq->month);
		return rc;
	}
	if (rq->from != NULL || rq->to != NULL) {
		if (rq->from == NULL || rq->to == NULL) {
			strbuf_addstr(err, "--from and --to go together");
			return TALLY_EUSAGE;
		}
		if ((rc = period_range(p, rq->from, rq->to, tz)) != 0)
			strbuf_addf(err, "bad --from/--to \"%s\" \"%s\" (want "
			    "dates YYYY-MM-DD, from <= to)", rq->from, rq->to);
		return rc;
	}
	if (rq->days != 0) {
		if ((rc = period_window_us(p, as_of, rq->days, tz)) != 0)
			strbuf_addf(err, "bad --days %d (want 1 to 3660)",
			    rq->days);
		return rc;
	}
	if ((rc = period_last(p, dflt, as_of.sec, tz)) != 0)
		strbuf_addstr(err, "cannot compute the default period");
	return rc;
}
