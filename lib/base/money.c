#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/money.h"

/*
 * ISO 4217 codes whose minor unit is not 2.  Every other three-letter code
 * is taken to have two decimals, the overwhelmingly common case; the same
 * rule is in SQL (tally_currency_exponent in sql/001_core.sql).
 */
static const struct {
	char code[4];
	int exponent;
} exceptions[] = {
	{ "BIF", 0 }, { "CLP", 0 }, { "DJF", 0 }, { "GNF", 0 }, { "ISK", 0 },
	{ "JPY", 0 }, { "KMF", 0 }, { "KRW", 0 }, { "PYG", 0 }, { "RWF", 0 },
	{ "UGX", 0 }, { "UYI", 0 }, { "VND", 0 }, { "VUV", 0 }, { "XAF", 0 },
	{ "XOF", 0 }, { "XPF", 0 },
	{ "BHD", 3 }, { "IQD", 3 }, { "JOD", 3 }, { "KWD", 3 }, { "LYD", 3 },
	{ "OMR", 3 }, { "TND", 3 },
	{ "CLF", 4 }, { "UYW", 4 },
};

int
money_currency_normalize(const char *in, char out[4])
{
	int i;

	if (in == NULL)
		return TALLY_EDATA;
	for (i = 0; i < 3; i++) {
		if (!isalpha((unsigned char)in[i]) || ((unsigned char)in[i] & 0x80))
			return TALLY_EDATA;
		out[i] = (char)toupper((unsigned char)in[i]);
	}
	if (in[3] != '\0')
		return TALLY_EDATA;
	out[3] = '\0';
	return 0;
}

int
money_exponent(const char *currency)
{
	char c[4];
	size_t i;

	if (money_currency_normalize(currency, c) != 0)
		return -1;
	for (i = 0; i < sizeof(exceptions) / sizeof(exceptions[0]); i++)
		if (memcmp(exceptions[i].code, c, 4) == 0)
			return exceptions[i].exponent;
	return 2;
}

int
money_currency_valid(const char *currency)
{
	return money_exponent(currency) >= 0;
}

int
money_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return TALLY_ERANGE;
	*out = r;
	return 0;
}

int
money_sub(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_sub_overflow(a, b, &r))
		return TALLY_ERANGE;
	*out = r;
	return 0;
}

int
money_mul(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return TALLY_ERANGE;
	*out = r;
	return 0;
}

/*
 * Digits are accumulated as a negative number: INT64_MIN has no positive
 * counterpart, and "-9223372036854775808" minor units must parse.
 */
int
money_parse_major(const char *s, int exponent, int64_t *minor)
{
	int64_t acc = 0;
	int neg = 0, frac = -1, digits = 0;
	const char *p = s;

	if (s == NULL || exponent < 0 || exponent > 18)
		return TALLY_EDATA;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; *p != '\0'; p++) {
		if (*p == '.') {
			if (frac >= 0 || digits == 0)
				return TALLY_EDATA;
			frac = 0;
			continue;
		}
		if (*p < '0' || *p > '9')
			return TALLY_EDATA;
		if (frac >= 0 && frac >= exponent) {
			/* finer than the currency allows: only zeros are exact */
			if (*p != '0')
				return TALLY_EDATA;
			frac++;
			continue;
		}
		if (__builtin_mul_overflow(acc, 10, &acc) ||
		    __builtin_sub_overflow(acc, *p - '0', &acc))
			return TALLY_ERANGE;
		digits++;
		if (frac >= 0)
			frac++;
	}
	if (digits == 0 || frac == 0)
		return TALLY_EDATA;	/* "", "-", "5." */
	for (frac = frac < 0 ? 0 : (frac > exponent ? exponent : frac);
	    frac < exponent; frac++)
		if (__builtin_mul_overflow(acc, 10, &acc))
			return TALLY_ERANGE;
	if (!neg) {
		if (acc == INT64_MIN)
			return TALLY_ERANGE;
		acc = -acc;
	}
	*minor = acc;
	return 0;
}

int
money_parse_minor(const char *s, int64_t *minor)
{
	if (s == NULL || strchr(s, '.') != NULL)
		return TALLY_EDATA;
	return money_parse_major(s, 0, minor);
}

int
money_format(int64_t minor, int exponent, char *buf, size_t bufsz)
{
	char digits[32];
	uint64_t mag;
	int n, i, pos = 0, intlen;
	char out[48];

	if (exponent < 0 || exponent > 18)
		return TALLY_EDATA;
	mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
	n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)mag);
	if (minor < 0)
		out[pos++] = '-';
	intlen = n - exponent;
	if (intlen <= 0) {
		out[pos++] = '0';
	} else {
		memcpy(out + pos, digits, (size_t)intlen);
		pos += intlen;
	}
	if (exponent > 0) {
		out[pos++] = '.';
		for (i = intlen; i < 0; i++)
			out[pos++] = '0';
		for (i = intlen < 0 ? 0 : intlen; i < n; i++)
			out[pos++] = digits[i];
	}
	out[pos] = '\0';
	if ((size_t)pos + 1 > bufsz)
		return TALLY_ERANGE;
	memcpy(buf, out, (size_t)pos + 1);
	return 0;
}
