/*
 * money.h - amounts are int64 minor units plus an ISO 4217 code; never a
 * float.  Decimal strings from providers ("150000.00", "19.99", "1500") are
 * parsed exactly; arithmetic is overflow-checked.
 */
#ifndef TALLY_MONEY_H
#define TALLY_MONEY_H

#include <stdint.h>
#include <stddef.h>

/* Minor-unit exponent of an ISO 4217 code (case-insensitive): USD 2,
 * JPY 0, IDR 2, KWD 3, ...; 2 for three letters that are no active code
 * (as SQL's tally_currency_exponent() reads them); -1 when not three
 * letters. */
int money_exponent(const char *currency);
/* True for an active ISO 4217 code (any case) with a minor unit: what an
 * admin may price a product or state a cost in. */
int money_currency_valid(const char *currency);
/* Upper-case a 3-letter code into out[4]; TALLY_EDATA if not 3 letters. */
int money_currency_normalize(const char *in, char out[4]);

/*
 * Parse a decimal string in major units ("19.99", "-5", "150000.00",
 * "1,234.50" is rejected) into minor units at the given exponent.  More
 * fractional digits than the exponent are accepted only when they are
 * zeros ("150000.000" for IDR); otherwise TALLY_EDATA.  Overflow:
 * TALLY_ERANGE.
 */
int money_parse_major(const char *s, int exponent, int64_t *minor);
/* Same, but the string is already in minor units (an integer). */
int money_parse_minor(const char *s, int64_t *minor);
/* Format minor units as a major-unit decimal ("19.99", "-0.05", "1500"
 * for exponent 0) into buf; TALLY_ERANGE if buf is too small. */
int money_format(int64_t minor, int exponent, char *buf, size_t bufsz);

/* Overflow-checked: 0 or TALLY_ERANGE (*out untouched on overflow). */
int money_add(int64_t a, int64_t b, int64_t *out);
int money_sub(int64_t a, int64_t b, int64_t *out);
int money_mul(int64_t a, int64_t b, int64_t *out);

#endif
