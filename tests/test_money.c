#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "base/money.h"

static void
test_exponents(void **state)
{
	(void)state;
	assert_int_equal(money_exponent("USD"), 2);
	assert_int_equal(money_exponent("usd"), 2);
	assert_int_equal(money_exponent("IDR"), 2);	/* ISO 4217 says 2 */
	assert_int_equal(money_exponent("JPY"), 0);
	assert_int_equal(money_exponent("KWD"), 3);
	assert_int_equal(money_exponent("US"), -1);
	assert_int_equal(money_exponent("USDX"), -1);
	assert_int_equal(money_exponent("U$D"), -1);
	assert_int_equal(money_exponent(NULL), -1);
	/* three letters that are no currency: read as SQL reads them */
	assert_int_equal(money_exponent("ABC"), 2);
	assert_int_equal(money_exponent("CLF"), 4);
	assert_int_equal(money_exponent("xof"), 0);
}

/* Only active ISO 4217 codes are currencies an admin may enter. */
static void
test_currency_valid(void **state)
{
	static const char *const yes[] = { "USD", "eur", "IDR", "JPY", "KWD",
	    "CLF", "AED", "ZWG", "XCG", "ZMW", "VES" };
	static const char *const no[] = { "ABC", "XXX", "XAU", "XTS", "HRK",
	    "CUC", "BGN", "US", "USDX", "U$D", "", "ÉUR" };

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!money_currency_valid(yes[i]))
			fail_msg("%s should be a currency", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (money_currency_valid(no[i]))
			fail_msg("'%s' should not be a currency", no[i]);
	assert_false(money_currency_valid(NULL));
}

static void
test_parse_major(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(money_parse_major("19.99", 2, &v), 0);
	assert_int_equal(v, 1999);
	assert_int_equal(money_parse_major("150000.00", 2, &v), 0);
	assert_int_equal(v, 15000000);
	assert_int_equal(money_parse_major("150000", 2, &v), 0);
	assert_int_equal(v, 15000000);
	assert_int_equal(money_parse_major("0.5", 2, &v), 0);
	assert_int_equal(v, 50);
	assert_int_equal(money_parse_major("-0.05", 2, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(money_parse_major("1500", 0, &v), 0);
	assert_int_equal(v, 1500);
	/* trailing zeros beyond the exponent are exact; other digits are not */
	assert_int_equal(money_parse_major("150000.000", 2, &v), 0);
	assert_int_equal(v, 15000000);
	assert_int_equal(money_parse_major("1.005", 2, &v), TALLY_EDATA);
	assert_int_equal(money_parse_major("1500.5", 0, &v), TALLY_EDATA);
	assert_int_equal(money_parse_major("1.234", 3, &v), 0);
	assert_int_equal(v, 1234);
	/* malformed */
	assert_int_equal(money_parse_major("", 2, &v), TALLY_EDATA);
	assert_int_equal(money_parse_major("-", 2, &v), TALLY_EDATA);
	assert_int_equal(money_parse_major("5.", 2, &v), TALLY_EDATA);
	assert_int_equal(money_parse_major(".5", 2, &v), TALLY_EDATA);
	assert_int_equal(money_parse_major("1,234.50", 2, &v), TALLY_EDATA);
	assert_int_equal(money_parse_major("1.2.3", 2, &v), TALLY_EDATA);
	assert_int_equal(money_parse_major(" 5", 2, &v), TALLY_EDATA);
	assert_int_equal(money_parse_major("1e3", 2, &v), TALLY_EDATA);
	/* limits: exactly INT64_MAX and INT64_MIN, then one past */
	assert_int_equal(money_parse_major("92233720368547758.07", 2, &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(money_parse_major("-92233720368547758.08", 2, &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(money_parse_major("92233720368547758.08", 2, &v),
	    TALLY_ERANGE);
	assert_int_equal(money_parse_major("99999999999999999999", 0, &v),
	    TALLY_ERANGE);
}

static void
test_parse_minor(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(money_parse_minor("1999", &v), 0);
	assert_int_equal(v, 1999);
	assert_int_equal(money_parse_minor("19.99", &v), TALLY_EDATA);
	assert_int_equal(money_parse_minor("abc", &v), TALLY_EDATA);
}

static void
test_format(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(money_format(1999, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "19.99");
	assert_int_equal(money_format(-5, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "-0.05");
	assert_int_equal(money_format(0, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0.00");
	assert_int_equal(money_format(1500, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1500");
	assert_int_equal(money_format(15000000, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "150000.00");
	assert_int_equal(money_format(INT64_MIN, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "-92233720368547758.08");
	assert_int_equal(money_format(1234, 3, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1.234");
	assert_int_equal(money_format(1999, 2, buf, 5), TALLY_ERANGE);
}

static void
test_roundtrip(void **state)
{
	static const int64_t values[] = { 0, 1, -1, 99, 100, 101, 123456789,
		-987654321, INT64_MAX, INT64_MIN };
	char buf[32];
	int64_t back;
	size_t i;
	int e;

	(void)state;
	for (e = 0; e <= 3; e++)
		for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
			assert_int_equal(money_format(values[i], e, buf,
			    sizeof(buf)), 0);
			assert_int_equal(money_parse_major(buf, e, &back), 0);
			assert_true(back == values[i]);
		}
}

static void
test_arithmetic(void **state)
{
	int64_t r = 7;

	(void)state;
	assert_int_equal(money_add(1, 2, &r), 0);
	assert_int_equal(r, 3);
	assert_int_equal(money_add(INT64_MAX, 1, &r), TALLY_ERANGE);
	assert_int_equal(r, 3);	/* untouched on overflow */
	assert_int_equal(money_sub(INT64_MIN, 1, &r), TALLY_ERANGE);
	assert_int_equal(money_sub(5, 7, &r), 0);
	assert_int_equal(r, -2);
	assert_int_equal(money_mul(INT64_MAX / 2 + 1, 2, &r), TALLY_ERANGE);
	assert_int_equal(money_mul(1999, 3, &r), 0);
	assert_int_equal(r, 5997);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exponents),
		cmocka_unit_test(test_currency_valid),
		cmocka_unit_test(test_parse_major),
		cmocka_unit_test(test_parse_minor),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_arithmetic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
