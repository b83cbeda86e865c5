/*
 * xlsxout_time.c - Excel serial dates from PostgreSQL's ISO text (see
 * xlsxout.h).
 */
#include <stdbool.h>
#include <string.h>

#include "base/err.h"
#include "base/period.h"
#include "out/xlsxout.h"

static bool
ndigits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

static const unsigned char mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	31, 30, 31 };

/* "YYYY-MM-DD" at s: days since Excel's epoch 1899-12-30. */
static int
parse_ymd(const char *s, long *serial_days)
{
	static const struct period_date epoch = { 1899, 12, 30 };
	struct period_date date;
	int y, m, d;

	if (!ndigits(s, 4, &y) || s[4] != '-' || !ndigits(s + 5, 2, &m) ||
	    s[7] != '-' || !ndigits(s + 8, 2, &d))
		return TALLY_EDATA;
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return TALLY_EDATA;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return TALLY_EDATA;
	/* Excel's serials before 1900-03-01 carry its 1900 leap-year bug */
	if (y < 1900 || (y == 1900 && m < 3))
		return TALLY_EDATA;
	date.year = y;
	date.month = m;
	date.day = d;
	*serial_days = period_days(date) - period_days(epoch);
	return 0;
}

int
xlsxout_parse_date(const char *s, double *serial)
{
	long days;

	if (strlen(s) != 10 || parse_ymd(s, &days) != 0)
		return TALLY_EDATA;
	*serial = (double)days;
	return 0;
}

int
xlsxout_parse_timestamp(const char *s, double *serial)
{
	long days;
	int h, mi, sec, v;
	double frac = 0.0, scale = 0.1;
	const char *p;

	if (strlen(s) < 19 || parse_ymd(s, &days) != 0 || s[10] != ' ' ||
	    !ndigits(s + 11, 2, &h) || s[13] != ':' || !ndigits(s + 14, 2, &mi) ||
	    s[16] != ':' || !ndigits(s + 17, 2, &sec))
		return TALLY_EDATA;
	if (h > 23 || mi > 59 || sec > 60)
		return TALLY_EDATA;
	p = s + 19;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10.0;
		}
	}
	/* an offset: +HH, +HH:MM, +HH:MM:SS; nothing else may follow */
	if (*p == '+' || *p == '-') {
		if (!ndigits(p + 1, 2, &v))
			return TALLY_EDATA;
		p += 3;
		while (*p == ':' && ndigits(p + 1, 2, &v))
			p += 3;
	}
	if (*p != '\0')
		return TALLY_EDATA;
	*serial = (double)days + ((double)h * 3600.0 + mi * 60.0 + sec + frac) /
	    86400.0;
	return 0;
}
