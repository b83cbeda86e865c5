#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/money.h"

/*
 * ISO 4217 List One as of 2026: every active currency code with its minor
 * unit (the exponent), sorted for bsearch().  Left out: the codes with no
 * minor unit (gold, silver, platinum, palladium, the bond-market units,
 * XDR, XSU, XUA, XTS and XXX), which no product is priced in, and the
 * codes withdrawn since 2021 (CUC, HRK, SLL, ANG, ZWL, BGN).  A code not
 * here is no currency for an admin to enter (money_currency_valid()); one
 * a provider or a settlement file sends is still read with two decimals,
 * the rule tally_currency_exponent() applies in SQL (sql/001_core.sql),
 * whose exceptions are exactly the entries here that are not 2.
 */
struct iso_currency {
	char code[4];
	int exponent;
};

static const struct iso_currency iso4217[] = {
	{ "AED", 2 }, { "AFN", 2 }, { "ALL", 2 }, { "AMD", 2 }, { "AOA", 2 },
	{ "ARS", 2 }, { "AUD", 2 }, { "AWG", 2 }, { "AZN", 2 }, { "BAM", 2 },
	{ "BBD", 2 }, { "BDT", 2 }, { "BHD", 3 }, { "BIF", 0 },
	{ "BMD", 2 }, { "BND", 2 }, { "BOB", 2 }, { "BOV", 2 }, { "BRL", 2 },
	{ "BSD", 2 }, { "BTN", 2 }, { "BWP", 2 }, { "BYN", 2 }, { "BZD", 2 },
	{ "CAD", 2 }, { "CDF", 2 }, { "CHE", 2 }, { "CHF", 2 }, { "CHW", 2 },
	{ "CLF", 4 }, { "CLP", 0 }, { "CNY", 2 }, { "COP", 2 }, { "COU", 2 },
	{ "CRC", 2 }, { "CUP", 2 }, { "CVE", 2 }, { "CZK", 2 }, { "DJF", 0 },
	{ "DKK", 2 }, { "DOP", 2 }, { "DZD", 2 }, { "EGP", 2 }, { "ERN", 2 },
	{ "ETB", 2 }, { "EUR", 2 }, { "FJD", 2 }, { "FKP", 2 }, { "GBP", 2 },
	{ "GEL", 2 }, { "GHS", 2 }, { "GIP", 2 }, { "GMD", 2 }, { "GNF", 0 },
	{ "GTQ", 2 }, { "GYD", 2 }, { "HKD", 2 }, { "HNL", 2 }, { "HTG", 2 },
	{ "HUF", 2 }, { "IDR", 2 }, { "ILS", 2 }, { "INR", 2 }, { "IQD", 3 },
	{ "IRR", 2 }, { "ISK", 0 }, { "JMD", 2 }, { "JOD", 3 }, { "JPY", 0 },
	{ "KES", 2 }, { "KGS", 2 }, { "KHR", 2 }, { "KMF", 0 }, { "KPW", 2 },
	{ "KRW", 0 }, { "KWD", 3 }, { "KYD", 2 }, { "KZT", 2 }, { "LAK", 2 },
	{ "LBP", 2 }, { "LKR", 2 }, { "LRD", 2 }, { "LSL", 2 }, { "LYD", 3 },
	{ "MAD", 2 }, { "MDL", 2 }, { "MGA", 2 }, { "MKD", 2 }, { "MMK", 2 },
	{ "MNT", 2 }, { "MOP", 2 }, { "MRU", 2 }, { "MUR", 2 }, { "MVR", 2 },
	{ "MWK", 2 }, { "MXN", 2 }, { "MXV", 2 }, { "MYR", 2 }, { "MZN", 2 },
	{ "NAD", 2 }, { "NGN", 2 }, { "NIO", 2 }, { "NOK", 2 }, { "NPR", 2 },
	{ "NZD", 2 }, { "OMR", 3 }, { "PAB", 2 }, { "PEN", 2 }, { "PGK", 2 },
	{ "PHP", 2 }, { "PKR", 2 }, { "PLN", 2 }, { "PYG", 0 }, { "QAR", 2 },
	{ "RON", 2 }, { "RSD", 2 }, { "RUB", 2 }, { "RWF", 0 }, { "SAR", 2 },
	{ "SBD", 2 }, { "SCR", 2 }, { "SDG", 2 }, { "SEK", 2 }, { "SGD", 2 },
	{ "SHP", 2 }, { "SLE", 2 }, { "SOS", 2 }, { "SRD", 2 }, { "SSP", 2 },
	{ "STN", 2 }, { "SVC", 2 }, { "SYP", 2 }, { "SZL", 2 }, { "THB", 2 },
	{ "TJS", 2 }, { "TMT", 2 }, { "TND", 3 }, { "TOP", 2 }, { "TRY", 2 },
	{ "TTD", 2 }, { "TWD", 2 }, { "TZS", 2 }, { "UAH", 2 }, { "UGX", 0 },
	{ "USD", 2 }, { "USN", 2 }, { "UYI", 0 }, { "UYU", 2 }, { "UYW", 4 },
	{ "UZS", 2 }, { "VED", 2 }, { "VES", 2 }, { "VND", 0 }, { "VUV", 0 },
	{ "WST", 2 }, { "XAF", 0 }, { "XCD", 2 }, { "XCG", 2 }, { "XOF", 0 },
	{ "XPF", 0 }, { "YER", 2 }, { "ZAR", 2 }, { "ZMW", 2 }, { "ZWG", 2 },
};

static int
iso_cmp(const void *key, const void *elem)
{
	return memcmp(key, ((const struct iso_currency *)elem)->code, 4);
}

static const struct iso_currency *
iso_find(const char *currency)
{
	char c[4];

	if (money_currency_normalize(currency, c) != 0)
		return NULL;
	return bsearch(c, iso4217, sizeof(iso4217) / sizeof(iso4217[0]),
	    sizeof(iso4217[0]), iso_cmp);
}

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
	const struct iso_currency *c;
	char code[4];

	if (money_currency_normalize(currency, code) != 0)
		return -1;
	c = iso_find(code);
	return c != NULL ? c->exponent : 2;
}

int
money_currency_valid(const char *currency)
{
	return iso_find(currency) != NULL;
}

/* The three differ only in the compiler's overflow-checked operation. */
#define CHECKED(name, op) \
int \
name(int64_t a, int64_t b, int64_t *out) \
{ \
	int64_t r; \
\
	if (op(a, b, &r)) \
		return TALLY_ERANGE; \
	*out = r; \
	return 0; \
}
CHECKED(money_add, __builtin_add_overflow)
CHECKED(money_sub, __builtin_sub_overflow)
CHECKED(money_mul, __builtin_mul_overflow)
#undef CHECKED

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
