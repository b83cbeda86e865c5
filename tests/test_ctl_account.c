/*
 * test_ctl_account.c - `tallyctl account ...` against a real database:
 * every verb, its refusals, its audit rows, and CSV import edge cases.
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
#include "support/ctl_support.h"
#include "support/tfile.h"

static char *tmpdir;

static void
test_add(void **state)
{
	/* arguments to `account add`, each wrong (NULL-padded) */
	static const char *const bad[][3] = {
		{ "not-an-email", NULL, NULL },
		{ "b@x.io", "--max-seats", "0" },
		{ "b@x.io", "--status", "SUSPENDED" },
		{ "b@x.io", "--bogus", NULL },
	};
	struct ctl_run r = { 0 };

	(void)state;
	ctl_expect(&r, 0, "A@x.io", ctl_account, "account", "add", "A@x.io",
	    "--max-seats", "3", "--note", "family, shared", "--actor", "alice",
	    "--reason", "new stock", NULL);
	assert_string_equal(q("SELECT email || '|' || max_seats || '|' || status"
	    " || '|' || note FROM pool_accounts"), "A@x.io|3|AVAILABLE|family, shared");
	/* audited in the same transaction, with the row as JSON */
	assert_string_equal(q("SELECT actor || '|' || reason || '|' ||"
	    " (after->>'email') || '|' || (before IS NULL)::text || '|' || entity_id"
	    " FROM audit_log WHERE action = 'account.add'"),
	    "alice|new stock|A@x.io|true|1");

	/* the same email in another case is the same account */
	ctl_expect(&r, 65, "already exists", ctl_account, "account", "add",
	    "a@X.IO", NULL);
	/* bad input is a usage error before the database sees it */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ctl_run(&r, ctl_account, "account", "add",
		    bad[i][0], bad[i][1], bad[i][2], NULL), 64);
	assert_int_equal(qll("SELECT count(*) FROM pool_accounts"), 1);
	assert_int_equal(qll("SELECT count(*) FROM audit_log WHERE action = 'account.add'"), 1);
	ctl_run_release(&r);
}

static void
test_add_dry_run_and_json(void **state)
{
	struct ctl_run r = { 0 };
	long long audits = qll("SELECT count(*) FROM audit_log");

	(void)state;
	assert_int_equal(ctl_run(&r, ctl_account, "account", "add", "dry@x.io",
	    "--dry-run", "--json", NULL), 0);
	/* shows the row it would have made, then rolls it back */
	assert_non_null(strstr(strbuf_str(&r.out), "\"email\":\"dry@x.io\""));
	assert_non_null(strstr(strbuf_str(&r.err), "dry run: nothing was changed"));
	assert_int_equal(qll("SELECT count(*) FROM pool_accounts"), 0);
	assert_int_equal(qll("SELECT count(*) FROM audit_log"), audits);
	ctl_run_release(&r);
}

static void
test_list_show(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	ctl_run(&r, ctl_account, "account", "add", "one@x.io", NULL);
	ctl_run(&r, ctl_account, "account", "add", "two@x.io", "--max-seats", "2",
	    "--note", "=cmd()", NULL);
	ctl_run(&r, ctl_account, "account", "suspend", "one@x.io", "--note", "pw", NULL);

	ctl_expect(&r, 0, "(2 rows)", ctl_account, "account", "list", NULL);
	ctl_expect(&r, 0, "\"email\":\"one@x.io\"", ctl_account, "account",
	    "list", "--status", "suspended", "--json", NULL);
	assert_null(strstr(strbuf_str(&r.out), "two@x.io"));
	/* CSV: a note that looks like a formula is neutralised */
	ctl_expect(&r, 0, "\"'=cmd()\"", ctl_account, "account", "list",
	    "--csv", NULL);
	assert_int_equal(ctl_run(&r, ctl_account, "account", "list", "--status",
	    "BOGUS", NULL), 64);
	ctl_expect(&r, 0, "two@x.io", ctl_account, "account", "list",
	    "--search", "TWO", "--csv", NULL);
	assert_null(strstr(strbuf_str(&r.out), "one@x.io"));

	ctl_expect(&r, 0, "two@x.io", ctl_account, "account", "show", "2",
	    NULL);
	assert_non_null(strstr(strbuf_str(&r.out), "assignments"));
	ctl_expect(&r, 0, "{\"account\":{\"id\":2,", ctl_account, "account",
	    "show", "TWO@x.io", "--json", NULL);
	assert_non_null(strstr(strbuf_str(&r.out), "\"assignments\":[]"));
	ctl_expect(&r, 65, "no account 'nobody@x.io'", ctl_account, "account",
	    "show", "nobody@x.io", NULL);
	ctl_run_release(&r);
}

/* A full single-user account with one ACTIVE assignment (as allocate
 * would have made it). */
static void
make_full_account(const char *email)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	    "INSERT INTO pool_accounts (email) VALUES ('%s');"
	    "INSERT INTO customers (email) VALUES ('c-%s');"
	    "INSERT INTO assignments (account_id, customer_id, starts_at, ends_at)"
	    " SELECT a.id, c.id, now(), now() + interval '30 days'"
	    " FROM pool_accounts a, customers c"
	    " WHERE a.email = '%s' AND c.email = 'c-%s'", email, email, email, email);
	x(sql);
}

static void
test_suspend_reactivate(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	make_full_account("full@x.io");
	assert_string_equal(q("SELECT status FROM pool_accounts"), "ASSIGNED");

	/* --note is required */
	assert_int_equal(ctl_run(&r, ctl_account, "account", "suspend", "full@x.io",
	    NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_account, "account", "suspend", "full@x.io",
	    "--note", "password leaked", "--actor", "bob", NULL), 0);
	/* suspended: the existing assignment is kept, seats unchanged */
	assert_string_equal(q("SELECT status || '|' || current_seats_used || '|' || note"
	    " FROM pool_accounts"), "SUSPENDED|1|password leaked");
	assert_string_equal(q("SELECT status FROM assignments"), "ACTIVE");
	assert_string_equal(q("SELECT actor || '|' || reason || '|' ||"
	    " (before->>'status') || '>' || (after->>'status') FROM audit_log"
	    " WHERE action = 'account.suspend' ORDER BY id DESC LIMIT 1"),
	    "bob|password leaked|ASSIGNED>SUSPENDED");
	/* twice is refused */
	ctl_expect(&r, 65, "already suspended", ctl_account, "account",
	    "suspend", "full@x.io", "--note", "again", NULL);

	/* back to ASSIGNED, not AVAILABLE: its one seat is still in use */
	assert_int_equal(ctl_run(&r, ctl_account, "account", "reactivate", "1",
	    "--note", "password changed", NULL), 0);
	assert_string_equal(q("SELECT status || '|' || note FROM pool_accounts"),
	    "ASSIGNED|password changed");
	assert_string_equal(q("SELECT (before->>'status') || '>' || (after->>'status')"
	    " FROM audit_log WHERE action = 'account.reactivate' ORDER BY id DESC"
	    " LIMIT 1"), "SUSPENDED>ASSIGNED");
	/* reactivating an account that is not suspended is refused */
	ctl_expect(&r, 65, "not suspended", ctl_account, "account",
	    "reactivate", "1", NULL);
	assert_int_equal(ctl_run(&r, ctl_account, "account", "reactivate", "99",
	    NULL), 65);
	ctl_run_release(&r);
}

static void
test_update(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	make_full_account("m@x.io");
	x("UPDATE pool_accounts SET max_seats = 2");
	x("INSERT INTO customers (email) VALUES ('c2@x.io');"
	    "INSERT INTO assignments (account_id, customer_id, starts_at, ends_at)"
	    " SELECT 1, id, now(), now() + interval '1 day' FROM customers"
	    " WHERE email = 'c2@x.io'");
	assert_string_equal(q("SELECT status || current_seats_used FROM pool_accounts"),
	    "ASSIGNED2");

	/* below the seats in use: refused with the count */
	ctl_expect(&r, 65, "2 seats in use", ctl_account, "account", "update",
	    "m@x.io", "--max-seats", "1", NULL);
	assert_int_equal(ctl_run(&r, ctl_account, "account", "update", "m@x.io",
	    "--max-seats", "single", NULL), 65);
	/* raising the capacity of a full account makes it AVAILABLE */
	assert_int_equal(ctl_run(&r, ctl_account, "account", "update", "m@x.io",
	    "--max-seats", "5", "--note", "bigger plan", "--reason", "upgrade",
	    NULL), 0);
	assert_string_equal(q("SELECT max_seats || status || note FROM pool_accounts"),
	    "5AVAILABLEbigger plan");
	assert_string_equal(q("SELECT reason || '|' || (before->>'max_seats') || '>'"
	    " || (after->>'max_seats') FROM audit_log WHERE action = 'account.update'"),
	    "upgrade|2>5");
	/* email change, and a clash with another account */
	ctl_run(&r, ctl_account, "account", "add", "other@x.io", NULL);
	ctl_expect(&r, 65, "already exists", ctl_account, "account", "update",
	    "1", "--email", "OTHER@x.io", NULL);
	assert_int_equal(ctl_run(&r, ctl_account, "account", "update", "1",
	    "--email", "renamed@x.io", NULL), 0);
	assert_string_equal(q("SELECT email FROM pool_accounts WHERE id = 1"),
	    "renamed@x.io");
	/* nothing to change, bad values */
	assert_int_equal(ctl_run(&r, ctl_account, "account", "update", "1", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_account, "account", "update", "1",
	    "--max-seats", "", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_account, "account", "update", "1",
	    "--max-seats", "10001", NULL), 64);
	ctl_run_release(&r);
}

static void
test_import_edge_cases(void **state)
{
	struct ctl_run r = { 0 };
	const char *path;

	(void)state;
	/* Excel "CSV UTF-8": BOM, CRLF, header in another case and order,
	 * quoted commas and line breaks, blank lines, padded fields */
	path = tfile_write(tmpdir, "good.csv",
	    "\xef\xbb\xbf" "Max_Seats,EMAIL,Note,status\r\n"
	    "\r\n"
	    "3,multi@x.io,\"Smith, John\",\r\n"
	    ",single@x.io,\"two\r\nlines\",AVAILABLE\r\n"
	    "\r\n"
	    "  ,  padded@x.io  ,,\r\n"
	    "1,sus@x.io,\"card \"\"expired\"\"\",suspended\r\n");
	assert_int_equal(ctl_run(&r, ctl_account, "account", "import", path,
	    "--actor", "importer", "--reason", "batch 7", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.err), "imported 4 accounts"));
	assert_int_equal(qll("SELECT count(*) FROM pool_accounts"), 4);
	assert_string_equal(q("SELECT string_agg(email || '/' || coalesce(max_seats::text,"
	    " '-') || '/' || status || '/' || note, ';' ORDER BY id) FROM pool_accounts"),
	    "multi@x.io/3/AVAILABLE/Smith, John;single@x.io/-/AVAILABLE/two\r\nlines;"
	    "padded@x.io/-/AVAILABLE/;sus@x.io/1/SUSPENDED/card \"expired\"");
	/* one audit row per account, naming the line it came from */
	assert_int_equal(qll("SELECT count(*) FROM audit_log WHERE action ="
	    " 'account.import'"), 4);
	assert_int_equal(qll("SELECT count(*) FROM audit_log WHERE action ="
	    " 'account.import' AND actor = 'importer' AND after->>'email' = 'sus@x.io'"
	    " AND reason LIKE 'batch 7 (%good.csv line 8)'"), 1);
	assert_int_equal(qll("SELECT count(*) FROM audit_log WHERE action ="
	    " 'account.import' AND reason LIKE '%good.csv line 3)'"), 1);
	ctl_run_release(&r);
}

static void
test_import_bad_value_names_line(void **state)
{
	struct ctl_run r = { 0 };
	long long audits = qll("SELECT count(*) FROM audit_log");
	const char *path;

	(void)state;
	path = tfile_write(tmpdir, "bad.csv",
	    "email,max_seats\n"
	    "ok1@x.io,2\n"
	    "\n"
	    "ok2@x.io,abc\n"
	    "bad email,1\n"
	    "ok3@x.io,\n");
	assert_int_equal(ctl_run(&r, ctl_account, "account", "import", path, NULL), 65);
	/* every bad line named, with the field; nothing imported */
	assert_non_null(strstr(strbuf_str(&r.err), "bad.csv:4: max_seats: \"abc\""));
	assert_non_null(strstr(strbuf_str(&r.err), "bad.csv:5: email: \"bad email\""));
	assert_non_null(strstr(strbuf_str(&r.err), "2 errors; nothing was imported"));
	assert_int_equal(qll("SELECT count(*) FROM pool_accounts"), 0);
	assert_int_equal(qll("SELECT count(*) FROM audit_log"), audits);
	ctl_run_release(&r);
}

static void
test_import_duplicates(void **state)
{
	struct ctl_run r = { 0 };
	const char *path;

	(void)state;
	path = tfile_write(tmpdir, "dup.csv",
	    "email,note\n"
	    "a@x.io,first\n"
	    "b@x.io,\n"
	    "c@x.io,\n"
	    "A@X.IO,again\n");
	assert_int_equal(ctl_run(&r, ctl_account, "account", "import", path, NULL), 65);
	/* both lines named */
	assert_non_null(strstr(strbuf_str(&r.err),
	    "dup.csv:5: email: A@X.IO is a duplicate of line 2"));
	assert_int_equal(qll("SELECT count(*) FROM pool_accounts"), 0);

	/* against the pool: the line and the existing account */
	ctl_run(&r, ctl_account, "account", "add", "C@x.io", NULL);
	path = tfile_write(tmpdir, "dup2.csv", "email\nnew@x.io\nc@x.io\n");
	ctl_expect(&r, 65,
	    "dup2.csv:3: email: c@x.io already exists (account 1, C@x.io)",
	    ctl_account, "account", "import", path, NULL);
	assert_int_equal(qll("SELECT count(*) FROM pool_accounts"), 1);
	ctl_run_release(&r);
}

static void
test_import_malformed(void **state)
{
	struct ctl_run r = { 0 };
	const char *path;

	(void)state;
	path = tfile_write(tmpdir, "quote.csv", "email,note\na@x.io,ok\nb@x.io,bro\"ken\n");
	ctl_expect(&r, 65, "quote.csv:3: malformed quoting", ctl_account,
	    "account", "import", path, NULL);
	path = tfile_write(tmpdir, "nohdr.csv", "note,max_seats\nx,1\n");
	ctl_expect(&r, 65, "missing column \"email\"", ctl_account, "account",
	    "import", path, NULL);
	path = tfile_write(tmpdir, "typo.csv", "email,max_seat\na@x.io,1\n");
	ctl_expect(&r, 65, "unknown column \"max_seat\"", ctl_account,
	    "account", "import", path, NULL);
	path = tfile_write(tmpdir, "status.csv", "email,status,note\na@x.io,ASSIGNED,\n"
	    "b@x.io,SUSPENDED,\n");
	ctl_expect(&r, 65, "status.csv:2: status:", ctl_account, "account",
	    "import", path, NULL);
	assert_non_null(strstr(strbuf_str(&r.err), "status.csv:3: note:"));
	assert_int_equal(ctl_run(&r, ctl_account, "account", "import",
	    "/nonexistent.csv", NULL), 69);
	assert_int_equal(qll("SELECT count(*) FROM pool_accounts"), 0);
	ctl_run_release(&r);
}

static void
test_import_dry_run(void **state)
{
	struct ctl_run r = { 0 };
	const char *path;

	(void)state;
	path = tfile_write(tmpdir, "dry.csv", "email\nd1@x.io\nd2@x.io\n");
	assert_int_equal(ctl_run(&r, ctl_account, "account", "import", path,
	    "--dry-run", "--csv", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.err), "would import 2 accounts"));
	assert_non_null(strstr(strbuf_str(&r.out), "\"d2@x.io\""));
	assert_int_equal(qll("SELECT count(*) FROM pool_accounts"), 0);
	assert_int_equal(qll("SELECT count(*) FROM audit_log WHERE after->>'email'"
	    " = 'd1@x.io'"), 0);
	ctl_run_release(&r);
}

static void
test_help_and_usage(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	ctl_expect(&r, 0, "account import FILE.csv", ctl_account, "account",
	    "--help", NULL);
	ctl_expect(&r, 0, "current\nassignments are kept", ctl_account,
	    "account", "suspend", "--help", NULL);
	assert_int_equal(ctl_run(&r, ctl_account, "account", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_account, "account", "frobnicate", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_account, "account", "show", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_account, "account", "show", "a", "b", NULL),
	    64);
	ctl_run_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_add, ctl_test_reset),
		cmocka_unit_test_setup(test_add_dry_run_and_json, ctl_test_reset),
		cmocka_unit_test_setup(test_list_show, ctl_test_reset),
		cmocka_unit_test_setup(test_suspend_reactivate, ctl_test_reset),
		cmocka_unit_test_setup(test_update, ctl_test_reset),
		cmocka_unit_test_setup(test_import_edge_cases, ctl_test_reset),
		cmocka_unit_test_setup(test_import_bad_value_names_line, ctl_test_reset),
		cmocka_unit_test_setup(test_import_duplicates, ctl_test_reset),
		cmocka_unit_test_setup(test_import_malformed, ctl_test_reset),
		cmocka_unit_test_setup(test_import_dry_run, ctl_test_reset),
		cmocka_unit_test(test_help_and_usage),
	};
	int rc;

	testdb_require();
	tmpdir = tfile_tempdir("tally-ctl-account.");
	rc = cmocka_run_group_tests(tests, ctl_test_setup, NULL);
	tfile_remove_tree(tmpdir);
	free(tmpdir);
	return rc;
}
