/*
 * test_ops_pages.c - what the panel's pages added to the operations
 * layer, against a real database: ops_model_usage (calls, errors, mean
 * processing time in a window, last use ever) and the case list's status
 * and severity filters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ctl/case.h"
#include "ctl/misc.h"
#include "ops/case.h"
#include "ops/model.h"
#include "support/ctl_support.h"

static int
setup(void **state)
{
	(void)state;
	ctl_test_setup_db();
	return 0;
}

/* The item of list whose key is value. */
static const json_t *
find(const json_t *list, const char *key, const char *value)
{
	const json_t *it;
	size_t i;

	json_array_foreach(json_object_get(list, "items"), i, it)
		if (strcmp(json_string_value(json_object_get(it, key)), value) == 0)
			return it;
	fail_msg("no %s %s", key, value);
	return NULL;
}

static void
test_model_usage(void **state)
{
	struct ops_model_usage_req req = { .days = 7 };
	struct ops o;
	json_t *out = NULL;
	const json_t *m;

	(void)state;
	x("INSERT INTO app_users (external_id) VALUES ('u1');"
	    "INSERT INTO models (name, credit_cost) VALUES ('flux', 2),"
	    " ('idle', 1);"
	    "INSERT INTO usage_events (event_id, user_id, model_id, kind,"
	    " started_at, duration_ms, credits, status)"
	    " SELECT 'e' || g, 1, m.id, 'generate', now() - (g || ' days')::interval,"
	    "  100 * g, 2, CASE WHEN g = 2 THEN 'error' ELSE 'ok' END"
	    " FROM models m, generate_series(1, 3) g WHERE m.name = 'flux';"
	    /* outside the window: not counted, but the last use of nothing */
	    "INSERT INTO usage_events (event_id, user_id, model_id, kind,"
	    " started_at, duration_ms, credits, status)"
	    " SELECT 'old', 1, m.id, 'edit', now() - interval '30 days', 5000, 2,"
	    "  'ok' FROM models m WHERE m.name = 'flux'");
	ops_init(&o, tdb, "test", false);
	assert_int_equal(ops_model_usage(&o, &req, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "total")), 2);
	m = find(out, "name", "flux");
	assert_int_equal(json_integer_value(json_object_get(m, "calls")), 3);
	assert_int_equal(json_integer_value(json_object_get(m, "errors")), 1);
	assert_string_equal(json_string_value(json_object_get(m, "avg_ms")),
	    "200.0");
	assert_non_null(json_string_value(json_object_get(m, "last_used")));
	m = find(out, "name", "idle");
	assert_int_equal(json_integer_value(json_object_get(m, "calls")), 0);
	assert_true(json_is_null(json_object_get(m, "avg_ms")));
	assert_true(json_is_null(json_object_get(m, "last_used")));
	json_decref(out);
	/* a longer window takes the old call in */
	req.days = 60;
	assert_int_equal(ops_model_usage(&o, &req, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(find(out, "name",
	    "flux"), "calls")), 4);
	json_decref(out);
	req.days = 0;		/* not given: 30 */
	assert_int_equal(ops_model_usage(&o, &req, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(find(out, "name",
	    "flux"), "calls")), 3);
	json_decref(out);
	req.days = 3661;
	assert_int_equal(ops_model_usage(&o, &req, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "days");
	ops_release(&o);
	/* tallyctl model usage */
	{
		struct ctl_run r = { 0 };

		ctl_expect(&r, 0, "\"name\":\"flux\","
		    "\"active\":true,\"credit_cost\":2,\"calls\":4,\"errors\":1",
		    ctl_model, "model", "usage", "--days", "60", "--json",
		    NULL);
		assert_int_equal(ctl_run(&r, ctl_model, "model", "usage", "--days",
		    "0", NULL), 64);
		ctl_run_release(&r);
	}
}

static long long
cases(struct ops *o, const char *status, const char *severity, bool open)
{
	struct ops_case_list_req req = { .status = status,
	    .severity = severity, .open = open };
	json_t *out = NULL;
	long long n;

	assert_int_equal(ops_case_list(o, &req, &out), 0);
	n = json_integer_value(json_object_get(out, "total"));
	json_decref(out);
	return n;
}

static void
test_case_filters(void **state)
{
	struct ops_case_list_req bad = { .severity = "fatal" };
	struct ops o;
	json_t *out = NULL;

	(void)state;
	x("INSERT INTO reconcile_cases (category, fingerprint, keys, status,"
	    " severity, first_seen, last_seen, closed_at) VALUES"
	    " ('PAID_NOT_FULFILLED', 'f1', '{}', 'OPEN', 'error', now(), now(),"
	    "  NULL),"
	    " ('MISSING_IN_SETTLEMENT', 'f2', '{}', 'OPEN', 'warning', now(),"
	    "  now(), NULL),"
	    " ('MISSING_IN_SETTLEMENT', 'f3', '{}', 'CLOSED', 'warning', now(),"
	    "  now(), now())");
	ops_init(&o, tdb, "test", false);
	assert_int_equal(cases(&o, NULL, NULL, false), 3);
	assert_int_equal(cases(&o, "open", NULL, false), 2);
	assert_int_equal(cases(&o, "CLOSED", "warning", false), 1);
	assert_int_equal(cases(&o, NULL, "warning", true), 1);
	assert_int_equal(cases(&o, NULL, "error", false), 1);
	assert_int_equal(ops_case_list(&o, &bad, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "severity");
	bad.severity = NULL;
	bad.status = "gone";
	assert_int_equal(ops_case_list(&o, &bad, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "status");
	bad.status = "CLOSED";
	bad.open = true;
	assert_int_equal(ops_case_list(&o, &bad, &out), TALLY_EUSAGE);
	ops_release(&o);
	/* tallyctl's options are the same filters */
	{
		struct ctl_run r = { 0 };

		ctl_expect(&r, 0, "\"CLOSED\"", ctl_case, "case", "list",
		    "--severity", "warning", "--status", "closed", "--json",
		    NULL);
		assert_null(strstr(strbuf_str(&r.out), "\"OPEN\""));
		assert_int_equal(ctl_run(&r, ctl_case, "case", "list", "--severity",
		    "fatal", NULL), 64);
		ctl_run_release(&r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_usage),
		cmocka_unit_test(test_case_filters),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
