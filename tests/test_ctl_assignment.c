/*
 * test_ctl_assignment.c - `tallyctl assignment ...` against a real
 * database: assign (named account, by policy, for an order), extend,
 * revoke, release, list filters, every refusal, seat counters and audit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/account.h"
#include "ctl/assignment.h"
#include "support/ctl_support.h"

static void
add_account(const char *email, const char *max_seats)
{
	struct ctl_run r = { 0 };

	if (max_seats != NULL)
		ctl_run(&r, ctl_account, "account", "add", email, "--max-seats",
		    max_seats, NULL);
	else
		ctl_run(&r, ctl_account, "account", "add", email, NULL);
	assert_int_equal(r.rc, 0);
	ctl_run_release(&r);
}

static void
test_assign_named_and_full(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	add_account("solo@x.io", NULL);
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "assign",
	    "--account", "solo@x.io", "--customer", "Cust@x.io", "--days", "30",
	    "--actor", "carol", "--reason", "manual sale", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.err), "customer Cust@x.io: new"));
	assert_string_equal(q("SELECT status || '|' || current_seats_used FROM"
	    " pool_accounts"), "ASSIGNED|1");
	assert_string_equal(q("SELECT status || '|' || (ends_at - starts_at)::text"
	    " FROM assignments"), "ACTIVE|30 days");
	assert_string_equal(q("SELECT actor || '|' || reason || '|' ||"
	    " (after->>'customer_email') || '|' || (after->>'status') FROM audit_log"
	    " WHERE action = 'assignment.assign'"),
	    "carol|manual sale|Cust@x.io|ACTIVE");

	/* the account is full now: refused, with the count */
	ctl_expect(&r, 65, "is full: 1 of 1 seats in use", ctl_assignment,
	    "assignment", "assign", "--account", "1", "--customer",
	    "other@x.io", "--days", "30", NULL);
	/* nothing left in the pool either */
	ctl_expect(&r, 65, "no account in the pool has a free seat",
	    ctl_assignment, "assignment", "assign", "--customer", "other@x.io",
	    "--days", "30", NULL);
	/* a refused assign leaves nothing behind, not even the customer */
	assert_int_equal(qll("SELECT count(*) FROM customers"), 1);
	assert_int_equal(qll("SELECT count(*) FROM assignments"), 1);
	ctl_run_release(&r);
}

static void
test_assign_policy_suspended_dry_run(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	add_account("single@x.io", NULL);
	add_account("multi@x.io", "3");
	add_account("sus@x.io", "5");
	ctl_run(&r, ctl_account, "account", "suspend", "sus@x.io", "--note", "x", NULL);
	/* suspended: refused by name */
	ctl_expect(&r, 65, "is suspended", ctl_assignment, "assignment",
	    "assign", "--account", "sus@x.io", "--customer", "c@x.io", "--days",
	    "7", NULL);
	/* by policy: a multi-seat account before a single-user one */
	ctl_expect(&r, 0, "\"account\":\"multi@x.io\"", ctl_assignment,
	    "assignment", "assign", "--account", "auto", "--customer", "c@x.io",
	    "--days", "7", "--json", NULL);
	/* dry run: shown, then rolled back */
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "assign",
	    "--customer", "d@x.io", "--days", "7", "--dry-run", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.err), "dry run"));
	assert_int_equal(qll("SELECT count(*) FROM assignments"), 1);
	assert_int_equal(qll("SELECT count(*) FROM customers WHERE email = 'd@x.io'"), 0);
	/* a start in the future, and bad input */
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "assign",
	    "--customer", "e@x.io", "--days", "10", "--starts",
	    "2030-01-01T00:00:00Z", NULL), 0);
	assert_string_equal(q("SELECT ends_at AT TIME ZONE 'UTC' FROM assignments"
	    " ORDER BY id DESC LIMIT 1"), "2030-01-11 00:00:00");
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "assign",
	    "--customer", "e@x.io", "--days", "10", "--starts", "tomorrowish", NULL),
	    65);
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "assign",
	    "--customer", "e@x.io", "--days", "0", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "assign",
	    "--days", "3", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "assign",
	    "--customer", "e@x.io", "--days", "3", "--account", "nope@x.io", NULL), 65);
	ctl_run_release(&r);
}

static void
test_assign_for_order(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	add_account("solo@x.io", "2");
	x("INSERT INTO customers (email) VALUES ('buyer@x.io');"
	    "INSERT INTO products (sku, name, kind, duration_days, credits,"
	    " price_minor, currency)"
	    " VALUES ('seat30', 'Seat 30', 'SEAT', 30, NULL, 1000, 'USD'),"
	    "        ('cr100', 'Credits', 'CREDITS', NULL, 100, 500, 'USD');"
	    "INSERT INTO orders (source, provider_ref, customer_id, product_id,"
	    " amount_minor, currency, status, paid_at)"
	    " VALUES ('stripe', 'pi_1', 1, 1, 1000, 'USD', 'PAID', now()),"
	    "        ('stripe', 'pi_2', 1, 2, 500, 'USD', 'PAID', now());"
	    "INSERT INTO fulfil_queue (order_id) VALUES (1), (2)");
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "assign",
	    "--customer", "buyer@x.io", "--days", "30", "--order", "1", NULL), 0);
	/* the order is fulfilled by this seat and left the allocator's queue */
	assert_string_equal(q("SELECT kind || '|' || assignment_id FROM fulfilments"
	    " WHERE order_id = 1"), "SEAT|1");
	assert_int_equal(qll("SELECT count(*) FROM fulfil_queue WHERE order_id = 1"), 0);
	assert_string_equal(q("SELECT order_id FROM assignments"), "1");
	/* twice: refused */
	ctl_expect(&r, 65, "already fulfilled", ctl_assignment, "assignment",
	    "assign", "--customer", "buyer@x.io", "--days", "30", "--order",
	    "1", NULL);
	/* a credit package is not a seat */
	ctl_expect(&r, 65, "not for a seat plan", ctl_assignment, "assignment",
	    "assign", "--customer", "buyer@x.io", "--days", "30", "--order",
	    "2", NULL);
	assert_int_equal(qll("SELECT count(*) FROM fulfil_queue WHERE order_id = 2"), 1);
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "assign",
	    "--customer", "buyer@x.io", "--days", "30", "--order", "99", NULL), 65);
	ctl_run_release(&r);
}

static void
test_extend(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	add_account("a@x.io", "3");
	ctl_run(&r, ctl_assignment, "assignment", "assign", "--customer", "c@x.io",
	    "--days", "10", NULL);
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "extend", "1",
	    "--days", "5", "--reason", "goodwill", NULL), 0);
	assert_string_equal(q("SELECT (ends_at - starts_at)::text FROM assignments"),
	    "15 days");
	assert_string_equal(q("SELECT reason || '|' || ((after->>'ends_at')::timestamptz"
	    " - (before->>'ends_at')::timestamptz)::text FROM audit_log"
	    " WHERE action = 'assignment.extend'"), "goodwill|5 days");
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "extend", "1",
	    NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "extend", "x",
	    "--days", "1", NULL), 64);
	ctl_expect(&r, 65, "no assignment 42", ctl_assignment, "assignment",
	    "extend", "42", "--days", "1", NULL);

	/* expired (by tally-expire): refused */
	x("UPDATE assignments SET status = 'EXPIRED', ended_at = now()");
	ctl_expect(&r, 65, "assignment 1 is EXPIRED", ctl_assignment,
	    "assignment", "extend", "1", "--days", "5", NULL);
	/* past its end but not yet expired: refused too, whatever expire did */
	x("INSERT INTO assignments (account_id, customer_id, starts_at, ends_at)"
	    " VALUES (1, 1, now() - interval '10 days', now() - interval '1 hour')");
	ctl_expect(&r, 65, "cannot be extended", ctl_assignment, "assignment",
	    "extend", "2", "--days", "5", NULL);
	assert_int_equal(qll("SELECT count(*) FROM audit_log WHERE action ="
	    " 'assignment.extend'"), 1);
	ctl_run_release(&r);
}

static void
test_revoke_release(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	add_account("solo@x.io", NULL);
	add_account("pair@x.io", "2");
	ctl_run(&r, ctl_assignment, "assignment", "assign", "--account", "1",
	    "--customer", "c1@x.io", "--days", "30", NULL);
	ctl_run(&r, ctl_assignment, "assignment", "assign", "--account", "2",
	    "--customer", "c2@x.io", "--days", "30", NULL);
	assert_string_equal(q("SELECT string_agg(status || current_seats_used, ','"
	    " ORDER BY id) FROM pool_accounts"), "ASSIGNED1,AVAILABLE1");

	/* revoke needs a reason */
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "revoke", "1",
	    NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "revoke", "1",
	    "--reason", "chargeback", "--actor", "dave", NULL), 0);
	/* the seat is free at once */
	assert_string_equal(q("SELECT status || current_seats_used FROM pool_accounts"
	    " WHERE id = 1"), "AVAILABLE0");
	assert_string_equal(q("SELECT status || '|' || reason || '|' ||"
	    " (ended_at IS NOT NULL)::text FROM assignments WHERE id = 1"),
	    "REVOKED|chargeback|true");
	assert_string_equal(q("SELECT actor || '|' || (before->>'status') || '>' ||"
	    " (after->>'status') FROM audit_log WHERE action = 'assignment.revoke'"),
	    "dave|ACTIVE>REVOKED");
	/* twice: refused, saying when and why */
	ctl_expect(&r, 65, "already revoked", ctl_assignment, "assignment",
	    "revoke", "1", "--reason", "again", NULL);
	assert_non_null(strstr(strbuf_str(&r.err), "(chargeback)"));
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "release", "1",
	    NULL), 65);
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "extend", "1",
	    "--days", "3", NULL), 65);

	/* release: EXPIRED now, with the default reason */
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "release", "2",
	    NULL), 0);
	assert_string_equal(q("SELECT status || '|' || reason FROM assignments"
	    " WHERE id = 2"), "EXPIRED|released early by an admin");
	assert_string_equal(q("SELECT status || current_seats_used FROM pool_accounts"
	    " WHERE id = 2"), "AVAILABLE0");
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "release", "2",
	    NULL), 65);
	ctl_expect(&r, 65, "is EXPIRED", ctl_assignment, "assignment", "revoke",
	    "2", "--reason", "x", NULL);
	/* dry run of a revoke changes nothing */
	ctl_run(&r, ctl_assignment, "assignment", "assign", "--account", "1",
	    "--customer", "c3@x.io", "--days", "30", NULL);
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "revoke", "3",
	    "--reason", "test", "--dry-run", NULL), 0);
	assert_string_equal(q("SELECT status FROM assignments WHERE id = 3"), "ACTIVE");
	assert_int_equal(qll("SELECT count(*) FROM audit_log WHERE action ="
	    " 'assignment.revoke'"), 1);
	ctl_run_release(&r);
}

static void
test_list(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	add_account("pool@x.io", "10");
	ctl_run(&r, ctl_assignment, "assignment", "assign", "--customer", "soon@x.io",
	    "--days", "2", NULL);
	ctl_run(&r, ctl_assignment, "assignment", "assign", "--customer", "late@x.io",
	    "--days", "20", NULL);
	ctl_run(&r, ctl_assignment, "assignment", "assign", "--customer", "gone@x.io",
	    "--days", "1", NULL);
	ctl_run(&r, ctl_assignment, "assignment", "revoke", "3", "--reason", "r", NULL);

	ctl_expect(&r, 0, "\"late@x.io\"", ctl_assignment, "assignment", "list",
	    "--csv", NULL);
	assert_non_null(strstr(strbuf_str(&r.out), "\"gone@x.io\""));
	/* ending within 3 days: only the ACTIVE 2-day one */
	ctl_expect(&r, 0, "\"soon@x.io\"", ctl_assignment, "assignment", "list",
	    "--ending-soon", "3", "--csv", NULL);
	assert_null(strstr(strbuf_str(&r.out), "late@x.io"));
	assert_null(strstr(strbuf_str(&r.out), "gone@x.io"));
	/* as of 19 days from now, the 20-day one ends within 3 days too */
	{
		char *asof = xstrdup(q("SELECT (now() + interval '19 days')::text"));

		assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "list",
		    "--ending-soon", "3", "--as-of", asof, "--csv", NULL), 0);
		free(asof);
	}
	assert_non_null(strstr(strbuf_str(&r.out), "late@x.io"));
	ctl_expect(&r, 0, "\"status\":\"REVOKED\"", ctl_assignment,
	    "assignment", "list", "--customer", "GONE@x.io", "--json", NULL);
	ctl_expect(&r, 0, "(1 row)", ctl_assignment, "assignment", "list",
	    "--status", "revoked", "--account", "pool@x.io", NULL);
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "list",
	    "--status", "gone", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "list",
	    "--ending-soon", "3", "--as-of", "not a time", NULL), 64);
	/* the batch programs' grammar: "yesterday" is refused before any
	 * query, naming the option */
	ctl_expect(&r, 64, "as-of", ctl_assignment, "assignment", "list",
	    "--as-of", "yesterday", NULL);
	assert_non_null(strstr(strbuf_str(&r.err), "yesterday"));
	/* the account shows its assignments, active first */
	ctl_expect(&r, 0, "soon@x.io", ctl_account, "account", "show",
	    "pool@x.io", NULL);
	ctl_run_release(&r);
}

/* The local time, in zone, of the 20-day seat's end less 3 days and
 * minutes (static buffer). */
static const char *
local_before_end(const char *zone, int minutes)
{
	char arg[96];

	/* one parameter carries both: "ZONE MINUTES" */
	snprintf(arg, sizeof(arg), "%s %d", zone, minutes);
	return testdb_value(tdb, "SELECT to_char((ends_at - interval '3 days'"
	    " + make_interval(mins => split_part($1, ' ', 2)::int))"
	    " AT TIME ZONE split_part($1, ' ', 1),"
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS') FROM assignments s JOIN customers c"
	    " ON c.id = s.customer_id WHERE c.email = 'late@x.io'", arg);
}

/*
 * --as-of without an offset is a wall-clock time in the configured zone
 * (Asia/Jakarta: UTC+7, no summer time).  Read as UTC, the earlier of the
 * two would be 7 hours later and list the seat too.
 */
static void
test_list_as_of_zone(void **state)
{
	struct ctl_run r = { 0 };
	char *asof;

	(void)state;
	setenv("TALLY_TZ", "Asia/Jakarta", 1);
	add_account("zone@x.io", "10");
	ctl_run(&r, ctl_assignment, "assignment", "assign", "--customer",
	    "late@x.io", "--days", "20", NULL);
	assert_int_equal(r.rc, 0);

	asof = xstrdup(local_before_end("Asia/Jakarta", -60));
	assert_int_equal(ctl_run(&r, ctl_assignment, "assignment", "list",
	    "--ending-soon", "3", "--as-of", asof, "--csv", NULL), 0);
	free(asof);
	assert_null(strstr(strbuf_str(&r.out), "late@x.io"));

	asof = xstrdup(local_before_end("Asia/Jakarta", 60));
	ctl_expect(&r, 0, "late@x.io", ctl_assignment, "assignment", "list",
	    "--ending-soon", "3", "--as-of", asof, "--csv", NULL);
	free(asof);
	unsetenv("TALLY_TZ");
	ctl_run_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_assign_named_and_full, ctl_test_reset),
		cmocka_unit_test_setup(test_assign_policy_suspended_dry_run, ctl_test_reset),
		cmocka_unit_test_setup(test_assign_for_order, ctl_test_reset),
		cmocka_unit_test_setup(test_extend, ctl_test_reset),
		cmocka_unit_test_setup(test_revoke_release, ctl_test_reset),
		cmocka_unit_test_setup(test_list, ctl_test_reset),
		cmocka_unit_test_setup(test_list_as_of_zone, ctl_test_reset),
	};

	testdb_require();
	return cmocka_run_group_tests(tests, ctl_test_setup, NULL);
}
