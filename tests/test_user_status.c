/*
 * test_user_status.c - a user's status (sql/073_user_status.sql):
 * ops_user_status against a real database (audit row, dry run, each
 * refusal), ops_user_show, the list's column, and `tallyctl user status`.
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
#include "ctl/misc.h"
#include "ops/user.h"
#include "support/ctl_support.h"

static int
setup(void **state)
{
	(void)state;
	ctl_test_setup_db();
	x("INSERT INTO app_users (external_id, email) VALUES"
	    " ('u_1', 'one@x.io'), ('u_2', 'two@x.io');"
	    "INSERT INTO credit_ledger (user_id, delta, kind, ref)"
	    " VALUES (1, 40, 'PURCHASE', 'o1')");
	return 0;
}

static void
test_op(void **state)
{
	struct ops o;
	struct ops_user_status_req req = { .id = 1, .status = "suspended",
	    .reason = "chargeback <script>" };
	json_t *out = NULL;
	const json_t *item;

	(void)state;
	assert_string_equal(q("SELECT status FROM app_users WHERE id = 1"),
	    "active");
	ops_init(&o, tdb, "admin:zoe", true);
	/* a dry run answers what would be and keeps nothing */
	assert_int_equal(ops_user_status(&o, &req, &out), 0);
	assert_true(json_is_true(json_object_get(out, "dry_run")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(out,
	    "item"), "status")), "suspended");
	json_decref(out);
	assert_string_equal(q("SELECT status FROM app_users WHERE id = 1"),
	    "active");
	assert_int_equal(qll("SELECT count(*) FROM audit_log"), 0);

	o.dry_run = false;
	assert_int_equal(ops_user_status(&o, &req, &out), 0);
	item = json_object_get(out, "item");
	assert_string_equal(json_string_value(json_object_get(item, "status")),
	    "suspended");
	assert_string_equal(json_string_value(json_object_get(item,
	    "status_reason")), "chargeback <script>");
	assert_non_null(json_string_value(json_object_get(item,
	    "status_changed_at")));
	json_decref(out);
	assert_string_equal(q("SELECT actor || '|' || entity || '|' || entity_id"
	    " || '|' || reason || '|' || (before->>'status') || '>' ||"
	    " (after->>'status') FROM audit_log WHERE action = 'user.status'"),
	    "admin:zoe|user|1|chargeback <script>|active>suspended");

	/* refusals: unchanged, unknown status, no reason, no such user */
	assert_int_equal(ops_user_status(&o, &req, &out), TALLY_EREFUSED);
	assert_string_equal(o.field, "status");
	assert_null(out);
	req.status = "banned";
	assert_int_equal(ops_user_status(&o, &req, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "status");
	req.status = "active";
	req.reason = "";
	assert_int_equal(ops_user_status(&o, &req, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "reason");
	req.reason = "ok";
	req.id = 99;
	assert_int_equal(ops_user_status(&o, &req, &out), TALLY_ENOTFOUND);
	req.id = 0;
	assert_int_equal(ops_user_status(&o, &req, &out), TALLY_EUSAGE);
	assert_int_equal(qll("SELECT count(*) FROM audit_log"), 1);

	/* show: the user with balance, status and ledger */
	assert_int_equal(ops_user_show(&o, 1, &out), 0);
	item = json_object_get(out, "item");
	assert_int_equal(json_integer_value(json_object_get(item, "balance")), 40);
	assert_string_equal(json_string_value(json_object_get(item, "status")),
	    "suspended");
	assert_int_equal(json_array_size(json_object_get(json_object_get(out,
	    "ledger"), "items")), 1);
	json_decref(out);
	assert_int_equal(ops_user_show(&o, 77, &out), TALLY_ENOTFOUND);

	/* the list carries the status */
	{
		struct ops_user_list_req lq = { .sort = "email" };

		assert_int_equal(ops_user_list(&o, &lq, &out), 0);
		assert_string_equal(json_string_value(json_object_get(
		    json_array_get(json_object_get(out, "items"), 0), "status")),
		    "suspended");
		json_decref(out);
	}
	ops_release(&o);
}

static void
test_ctl(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	/* by external id, by email, by id */
	assert_int_equal(ctl_run(&r, ctl_user, "user", "status", "u_2",
	    "suspended", "--reason", "abuse", "--actor", "fay", NULL), 0);
	assert_string_equal(q("SELECT status || '|' || status_reason FROM"
	    " app_users WHERE id = 2"), "suspended|abuse");
	assert_string_equal(q("SELECT actor FROM audit_log WHERE action ="
	    " 'user.status' AND entity_id = '2'"), "fay");
	ctl_expect(&r, 65, "already", ctl_user, "user", "status", "TWO@x.io",
	    "suspended", "--reason", "again", NULL);
	assert_int_equal(ctl_run(&r, ctl_user, "user", "status", "2", "active",
	    "--reason", "appeal upheld", "--dry-run", NULL), 0);
	assert_string_equal(q("SELECT status FROM app_users WHERE id = 2"),
	    "suspended");
	ctl_expect(&r, 0, "\"status\":\"active\"", ctl_user, "user", "status",
	    "2", "active", "--reason", "appeal upheld", "--json", NULL);
	assert_string_equal(q("SELECT status FROM app_users WHERE id = 2"),
	    "active");
	/* usage: a bad status, no reason, no status */
	assert_int_equal(ctl_run(&r, ctl_user, "user", "status", "u_2", "gone",
	    "--reason", "x", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_user, "user", "status", "u_2",
	    "suspended", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_user, "user", "status", "u_2", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_user, "user", "status", "nobody",
	    "active", "--reason", "x", NULL), 65);
	ctl_run_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_op),
		cmocka_unit_test(test_ctl),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
