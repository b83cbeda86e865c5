/*
 * period.h - report periods cut in a time zone.
 *
 * A period is a half-open interval of instants [start, end) and a label
 * for file names.  Calendar periods (a day, an ISO week, a month, a range
 * of days) start and end at local midnight in the report zone (TALLY_TZ,
 * default UTC), so a week in Europe/Berlin that contains the switch to
 * summer time is 167 hours long and its boundaries are 23:00 UTC before
 * and 22:00 UTC after.  The zone arithmetic is the C library's (mktime,
 * localtime_r with TZ set for the call) over the system's tzdata, the same
 * data PostgreSQL on Debian uses.
 *
 * Not thread-safe: the conversions set TZ for their duration.
 *
 * Labels:
 *   day     2026-11-16
 *   week    2026-W47             (ISO 8601 week: Monday to Monday)
 *   month   2026-11
 *   range   2026-11-01_2026-11-15 (both dates included; a single day is a day)
 *   window  2026-11-17T120000-7d  (the N days ending at an instant that is
 *                                  not a local midnight; at a midnight it is
 *                                  the range of those whole days)
 */
#ifndef TALLY_PERIOD_H
#define TALLY_PERIOD_H

#include <stdbool.h>
#include <time.h>

#include "base/strbuf.h"

#define PERIOD_TZ_MAX 64	/* longest zone name accepted */
#define PERIOD_ISO_MAX 64	/* buffer for a formatted instant */

enum period_kind {
	PERIOD_DAY,
	PERIOD_WEEK,
	PERIOD_MONTH,
	PERIOD_RANGE,
	PERIOD_WINDOW
};

struct period_date {
	int year;
	int month;		/* 1..12 */
	int day;		/* 1..31 */
};

/*
 * An instant to the microsecond, PostgreSQL's timestamptz precision: an
 * as-of taken from the database's now() or typed with a fraction of a
 * second keeps it wherever it goes.
 */
struct period_instant {
	time_t sec;		/* seconds since 1970-01-01 UTC */
	long usec;		/* and microseconds, 0..999999 */
};

struct period {
	enum period_kind kind;
	char label[48];		/* file-name safe, see above */
	time_t start;		/* inclusive */
	time_t end;		/* exclusive */
	long start_usec;	/* fractions of start and end: nonzero only */
	long end_usec;		/* for a window ending at such an as-of */
	struct period_date first;	/* local date of start */
	struct period_date last;	/* local date of the last day touched */
	char tz[PERIOD_TZ_MAX + 1];
};

/*
 * True for a zone name the system knows: an IANA name such as
 * "Europe/Berlin" or "UTC" with a file under $TZDIR (default
 * /usr/share/zoneinfo).  glibc silently treats an unknown TZ as UTC, which
 * would cut a report in the wrong zone without a word; this refuses it.
 */
bool period_tz_valid(const char *tz);

/*
 * An instant, the one grammar of every --as-of and of settlement files:
 *   2026-11-17                      local midnight in tz
 *   2026-11-17T10:30, 2026-11-17 10:30:15, 2026-11-17T10:30:15.25
 *                                   local wall-clock time in tz
 *   any of these followed, with or without a space, by Z, +01, +01:00,
 *   +0100 or -05:00                 that offset (tz is then unused)
 * A fraction of a second has 1 to 6 digits.  "now", "yesterday", week
 * days and month names are refused: a run's instant is written out.
 * TALLY_EUSAGE when malformed or not a real date or time, or (no offset)
 * when tz is not a zone period_tz_valid() knows.
 */
int period_parse_instant_us(const char *s, const char *tz,
    struct period_instant *out);
/* The same to the second: a fraction is refused, not cut off. */
int period_parse_instant(const char *s, const char *tz, time_t *out);
/* "2026-11-16T23:00:00Z", or "2026-11-16T23:00:00.25Z" with a fraction
 * (trailing zeros dropped): for SQL parameters, job_runs and manifests. */
void period_format_utc_us(struct period_instant t, char buf[PERIOD_ISO_MAX]);
void period_format_utc(time_t t, char buf[PERIOD_ISO_MAX]);
/* "2026-11-17T00:00:00+01:00": the instant as wall-clock time in tz. */
int period_format_local(time_t t, const char *tz, char buf[PERIOD_ISO_MAX]);
/* The local date of an instant in tz. */
int period_local_date(time_t t, const char *tz, struct period_date *d);

/* Each fills *p; TALLY_EUSAGE for a malformed or impossible spec. */
int period_day(struct period *p, struct period_date d, const char *tz);
int period_week(struct period *p, const char *spec, const char *tz);
int period_month(struct period *p, const char *spec, const char *tz);
int period_range(struct period *p, const char *from, const char *to,
    const char *tz);
int period_window(struct period *p, time_t end, int days, const char *tz);
/* The same ending at an instant with a fraction (start has it too). */
int period_window_us(struct period *p, struct period_instant end, int days,
    const char *tz);
/* The last complete day, ISO week or month at as_of (previous day, the
 * week before as_of's week, the month before as_of's month). */
int period_last(struct period *p, enum period_kind kind, time_t as_of,
    const char *tz);

/* What a command line asked for; NULL / 0 when not given. */
struct period_request {
	const char *week;	/* 2026-W47 */
	const char *month;	/* 2026-11 */
	const char *from;	/* 2026-11-01, with to */
	const char *to;		/* 2026-11-15, included */
	int days;		/* N days ending at as_of */
};

/*
 * At most one of week, month, from+to, days; none: period_last(dflt).
 * Messages for the user go to err.  TALLY_EUSAGE on conflict or bad specs.
 */
int period_resolve_us(struct period *p, const struct period_request *rq,
    enum period_kind dflt, struct period_instant as_of, const char *tz,
    struct strbuf *err);
/* The same at a whole second. */
int period_resolve(struct period *p, const struct period_request *rq,
    enum period_kind dflt, time_t as_of, const char *tz, struct strbuf *err);

/* Parse "YYYY-MM-DD" (a real calendar date). */
int period_parse_date(const char *s, struct period_date *d);

/* Calendar arithmetic (proleptic Gregorian): days since 1970-01-01 and
 * back. */
long period_days(struct period_date d);
struct period_date period_from_days(long days);

#endif
