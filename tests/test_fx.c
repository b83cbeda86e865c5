/*
 * test_fx.c - exchange rates (sql/060_fx_rates.sql) through the operation
 * (lib/ops/fx.c) and through `tallyctl fx` (lib/ctl/fx.c), against a real
 * PostgreSQL: a rate is recorded and audited in one transaction, bad input
 * is refused field by field with nothing written, setting a day again
 * adds a row that replaces the earlier one (the table is append-only, so
 * a report rerun at an earlier as-of still sees the old rate), a dry run
 * keeps nothing, and the command line prints and exits as tallyctl does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "base/err.h"
#include "ctl/fx.h"
#include "ops/fx.h"
#include "ops/ops.h"
#include "support/ctl_support.h"

static struct db *adm;		/* as tally_admin, like tallyctl */

static json_t *
set_ok(const char *from, const char *to, const char *rate, const char *day,
    bool dry)
{
	struct ops_fx_set_req rq = { from, to, rate, day, "test" };
	struct ops o;
	json_t *out = NULL;

	ops_init(&o, adm, "admin:ana", dry);
	if (ops_fx_set(&o, &rq, &out) != 0)
		fail_msg("fx set %s %s %s: %s", from, to, rate,
		    strbuf_str(&o.err));
	ops_release(&o);
	return out;
}

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A field of a change's item ({"item": {...}, ...}). */
static const char *
item(json_t *out, const char *key)
{
	return jstr(json_object_get(out, "item"), key);
}

static void
test_set_and_audit(void **state)
{
	json_t *out;

	(void)state;
	out = set_ok("eur", "usd", "1.08", "2026-03-01", false);
	assert_string_equal(item(out, "from"), "EUR");
	assert_string_equal(item(out, "to"), "USD");
	assert_string_equal(item(out, "rate"), "1.08");
	assert_string_equal(item(out, "valid_from"), "2026-03-01");
	assert_string_equal(item(out, "created_by"), "admin:ana");
	assert_true(json_is_false(json_object_get(out, "dry_run")));
	assert_true(json_is_null(json_object_get(out, "replaces")));
	json_decref(out);
	assert_string_equal(q("SELECT concat_ws(' ', from_currency, to_currency,"
	    " rate, valid_from) FROM fx_rates"),
	    "EUR USD 1.080000000000 2026-03-01");
	/* audited in the same transaction: who, what, before and after */
	assert_string_equal(q("SELECT concat_ws(' ', actor, entity, entity_id,"
	    " reason, before IS NULL, after->>'rate') FROM audit_log"
	    " WHERE action = 'fx.set'"), "admin:ana fx_rate EUR/USD test t 1.08");

	/* the same day again: a new row replaces the old one from then on */
	out = set_ok("EUR", "USD", "1.10", "2026-03-01", false);
	assert_string_equal(jstr(out, "replaces"), "1.08");
	json_decref(out);
	assert_int_equal(qll("SELECT count(*) FROM fx_rates"), 2);
	assert_string_equal(q("SELECT before->>'rate' FROM audit_log WHERE"
	    " action = 'fx.set' ORDER BY id DESC LIMIT 1"), "1.08");
	assert_string_equal(q("SELECT label FROM tally_fx('EUR', 'USD',"
	    " '2026-03-31', now())"), "1 EUR = 1.1 USD");
	/* a later day does not replace anything */
	out = set_ok("EUR", "USD", "1.2", "2026-04-01", false);
	assert_true(json_is_null(json_object_get(out, "replaces")));
	json_decref(out);
	assert_string_equal(q("SELECT rate FROM tally_fx('EUR', 'USD',"
	    " '2026-03-31', now())"), "1.100000000000");
	/* nobody rewrites a rate in place, not even tallyctl's role */
	assert_int_not_equal(db_command(adm, NULL, "UPDATE fx_rates"
	    " SET rate = 9", 0, NULL), 0);
	assert_int_not_equal(db_command(adm, NULL, "DELETE FROM fx_rates", 0,
	    NULL), 0);
	assert_int_equal(qll("SELECT count(*) FROM fx_rates WHERE rate = 9"), 0);
}

static void
expect_refused(const char *from, const char *to, const char *rate,
    const char *day, const char *field, const char *needle)
{
	struct ops_fx_set_req rq = { from, to, rate, day, NULL };
	struct ops o;
	json_t *out = NULL;
	long long before = qll("SELECT count(*) FROM fx_rates") +
	    qll("SELECT count(*) FROM audit_log");

	ops_init(&o, adm, "admin:ana", false);
	assert_int_equal(ops_fx_set(&o, &rq, &out), TALLY_EUSAGE);
	assert_null(out);
	assert_non_null(o.field);
	assert_string_equal(o.field, field);
	if (strstr(strbuf_str(&o.err), needle) == NULL)
		fail_msg("\"%s\" does not mention \"%s\"", strbuf_str(&o.err),
		    needle);
	ops_release(&o);
	assert_int_equal(qll("SELECT count(*) FROM fx_rates") +
	    qll("SELECT count(*) FROM audit_log"), before);
}

static void
test_bad_input(void **state)
{
	(void)state;
	expect_refused("EURO", "USD", "1", "2026-03-01", "from", "EURO");
	expect_refused("EUR", NULL, "1", "2026-03-01", "to", "required");
	expect_refused("EUR", "eur", "1", "2026-03-01", "to", "same");
	expect_refused("EUR", "USD", "abc", "2026-03-01", "rate", "abc");
	expect_refused("EUR", "USD", "0", "2026-03-01", "rate", "positive");
	expect_refused("EUR", "USD", "0.000", "2026-03-01", "rate", "positive");
	expect_refused("EUR", "USD", "-1.08", "2026-03-01", "rate", "-1.08");
	expect_refused("EUR", "USD", "1e3", "2026-03-01", "rate", "1e3");
	expect_refused("EUR", "USD", ".5", "2026-03-01", "rate", ".5");
	expect_refused("EUR", "USD", "5.", "2026-03-01", "rate", "5.");
	expect_refused("EUR", "USD", "1.0000000000001", "2026-03-01", "rate",
	    "12 after");
	expect_refused("EUR", "USD", "1234567890123456789", "2026-03-01",
	    "rate", "18 digits");
	expect_refused("EUR", "USD", "1.08", "2026-02-30", "valid_from",
	    "2026-02-30");
	expect_refused("EUR", "USD", "1.08", NULL, "valid_from", "YYYY-MM-DD");
	assert_int_equal(ops_fx_rate_valid("0.000000000001"), 0);
	assert_int_equal(ops_fx_rate_valid("123456789012345678.5"), 0);
}

static void
test_dry_run(void **state)
{
	json_t *out;

	(void)state;
	out = set_ok("USD", "IDR", "16000", "2026-02-15", true);
	assert_string_equal(item(out, "rate"), "16000");
	assert_true(json_is_true(json_object_get(out, "dry_run")));
	json_decref(out);
	assert_int_equal(qll("SELECT count(*) FROM fx_rates WHERE"
	    " to_currency = 'IDR'"), 0);
	assert_int_equal(qll("SELECT count(*) FROM audit_log WHERE"
	    " entity_id = 'USD/IDR'"), 0);
}

static void
test_list(void **state)
{
	struct ops_fx_list_req rq = { "eur", NULL, { 0, 0, 0 } };
	struct ops o;
	json_t *out = NULL, *items, *first, *second;

	(void)state;
	ops_init(&o, adm, "admin:ana", false);
	assert_int_equal(ops_fx_list(&o, &rq, &out), 0);
	/* test_set_and_audit's three EUR/USD rows, latest day first */
	items = json_object_get(out, "items");
	assert_int_equal(json_array_size(items), 3);
	assert_int_equal(json_integer_value(json_object_get(out, "total")), 3);
	first = json_array_get(items, 0);
	assert_string_equal(jstr(first, "valid_from"), "2026-04-01");
	assert_true(json_is_true(json_object_get(first, "in_force")));
	second = json_array_get(items, 1);
	assert_string_equal(jstr(second, "rate"), "1.1");
	assert_true(json_is_true(json_object_get(second, "in_force")));
	assert_true(json_is_false(json_object_get(json_array_get(items, 2),
	    "in_force")));
	json_decref(out);
	rq.from = "XX";
	assert_int_equal(ops_fx_list(&o, &rq, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "from");
	ops_release(&o);
}

/* The terminal face: arguments, output, exit statuses. */
static void
test_command_line(void **state)
{
	struct ctl_run r;
	json_error_t jerr;
	json_t *j;

	(void)state;
	memset(&r, 0, sizeof(r));
	strbuf_init(&r.out);
	strbuf_init(&r.err);
	ctl_expect(&r, 0, "1.27", ctl_fx, "fx", "set", "GBP", "USD", "1.27",
	    "--from", "2026-03-01", "--actor", "cli-test", NULL);
	assert_string_equal(q("SELECT actor FROM audit_log WHERE entity_id ="
	    " 'GBP/USD'"), "cli-test");
	/* --from is required: which day the rate starts matters */
	ctl_expect(&r, 64, "--from", ctl_fx, "fx", "set", "GBP", "USD", "1.27",
	    NULL);
	ctl_expect(&r, 64, "rate", ctl_fx, "fx", "set", "GBP", "USD", "x",
	    "--from", "2026-03-01", NULL);
	assert_int_equal(ctl_run(&r, ctl_fx, "fx", "set", "GBP", "USD", "1.3",
	    "--from", "2026-03-02", "--dry-run", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.err), "dry run"));
	assert_int_equal(qll("SELECT count(*) FROM fx_rates WHERE"
	    " from_currency = 'GBP'"), 1);
	assert_int_equal(ctl_run(&r, ctl_fx, "fx", "list", "--from", "GBP",
	    "--json", NULL), 0);
	j = json_loads(strbuf_str(&r.out), 0, &jerr);
	assert_non_null(j);
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(jstr(json_array_get(j, 0), "rate"), "1.27");
	json_decref(j);
	ctl_expect(&r, 0, "set", ctl_fx, "fx", "--help", NULL);
	ctl_run_release(&r);
}

static int
setup(void **state)
{
	const char *url;

	(void)state;
	testdb_require();
	ctl_test_setup_db();
	url = getenv("TALLY_DATABASE_URL");
	if (db_connect_url(&adm, url, "test_fx", "tally_admin") != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	db_free(adm);
	db_free(tdb);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_and_audit),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_command_line),
	};

	testdb_require();
	return cmocka_run_group_tests(tests, setup, teardown);
}
