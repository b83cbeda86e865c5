/*
 * test_ctl_audit.c - `tallyctl audit list | verify` against a real
 * database: paging and filters over rows written by real commands, and a
 * tampered or removed row found by verify (the triggers that make the log
 * append-only are disabled by the superuser, as an attacker with that
 * power would).
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
#include "ctl/audit.h"
#include "support/ctl_support.h"

static int
setup(void **state)
{
	(void)state;
	ctl_test_setup_db();
	return 0;
}

/* Seven audited changes by two actors. */
static void
make_history(void)
{
	struct ctl_run r = { 0 };
	char email[32];

	for (int i = 1; i <= 5; i++) {
		snprintf(email, sizeof(email), "h%d@x.io", i);
		ctl_run(&r, ctl_account, "account", "add", email, "--actor", "gil", NULL);
		assert_int_equal(r.rc, 0);
	}
	ctl_run(&r, ctl_account, "account", "suspend", "h2@x.io", "--note",
	    "lost password", "--actor", "hal", NULL);
	assert_int_equal(r.rc, 0);
	ctl_run(&r, ctl_account, "account", "update", "h3@x.io", "--max-seats", "4",
	    "--actor", "hal", NULL);
	assert_int_equal(r.rc, 0);
	ctl_run_release(&r);
}

static void
test_list(void **state)
{
	struct ctl_run r = { 0 };

	(void)state;
	make_history();
	/* newest first, with what changed */
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "list", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.out), "page 1 of 1 (7 entries"));
	assert_non_null(strstr(strbuf_str(&r.out), "max_seats: null -> 4"));
	assert_true(strstr(strbuf_str(&r.out), "account.update") <
	    strstr(strbuf_str(&r.out), "account.suspend"));
	/* pages */
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "list", "--per-page", "3",
	    "--page", "3", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.out), "(1 row)"));
	assert_non_null(strstr(strbuf_str(&r.out), "page 3 of 3 (7 entries"));
	assert_non_null(strstr(strbuf_str(&r.out), "h1@x.io"));
	/* filters; the JSON has the whole documents */
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "list", "--actor", "hal",
	    "--json", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.out), "\"action\":\"account.suspend\""));
	assert_non_null(strstr(strbuf_str(&r.out), "\"reason\":\"lost password\""));
	assert_non_null(strstr(strbuf_str(&r.out), "\"before\":{"));
	assert_null(strstr(strbuf_str(&r.out), "account.add"));
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "list", "--entity",
	    "account", "--entity-id", "2", "--csv", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.out), "\"account.suspend\""));
	assert_non_null(strstr(strbuf_str(&r.out), "\"account.add\""));
	assert_null(strstr(strbuf_str(&r.out), "account.update"));
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "list", "--action",
	    "account.add", "--per-page", "2", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.out), "page 1 of 3 (5 entries"));
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "list", "--page", "0", NULL),
	    64);
	ctl_run_release(&r);
}

static void
test_verify_intact_then_altered(void **state)
{
	struct ctl_run r = { 0 };
	long long victim;
	char sql[256], id[32];
	const char *param[1];

	(void)state;
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", NULL), 0);
	assert_non_null(strstr(strbuf_str(&r.out), "audit log intact: 7 rows checked"));

	/* a superuser rewrites history: the suspension's reason */
	victim = qll("SELECT id FROM audit_log WHERE action = 'account.suspend'");
	x("ALTER TABLE audit_log DISABLE TRIGGER USER");
	snprintf(id, sizeof(id), "%lld", victim);
	param[0] = id;
	assert_int_equal(db_command(tdb, NULL, "UPDATE audit_log SET reason ="
	    " 'routine' WHERE id = $1::bigint", 1, param), 0);
	x("ALTER TABLE audit_log ENABLE TRIGGER USER");

	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", NULL), 1);
	snprintf(sql, sizeof(sql), "audit log BROKEN at row %lld: row content does "
	    "not match its hash (altered)", victim);
	assert_non_null(strstr(strbuf_str(&r.out), sql));
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", "--json", NULL), 1);
	snprintf(sql, sizeof(sql), "\"intact\":false,\"rows_checked\":7,"
	    "\"first_bad\":%lld,", victim);
	assert_non_null(strstr(strbuf_str(&r.out), sql));

	/* putting the old text back makes it whole again */
	x("ALTER TABLE audit_log DISABLE TRIGGER USER");
	snprintf(id, sizeof(id), "%lld", victim);
	param[0] = id;
	assert_int_equal(db_command(tdb, NULL, "UPDATE audit_log SET reason ="
	    " 'lost password' WHERE id = $1::bigint", 1, param), 0);
	x("ALTER TABLE audit_log ENABLE TRIGGER USER");
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", NULL), 0);
	ctl_run_release(&r);
}

static void
test_verify_removed(void **state)
{
	struct ctl_run r = { 0 };
	long long first;
	char sql[256], id[32];
	const char *param[1];

	(void)state;
	/* removing the first account.add row breaks the link of the next */
	first = qll("SELECT min(id) FROM audit_log");
	x("ALTER TABLE audit_log DISABLE TRIGGER USER");
	snprintf(id, sizeof(id), "%lld", first);
	param[0] = id;
	assert_int_equal(db_command(tdb, NULL, "DELETE FROM audit_log WHERE id ="
	    " $1::bigint", 1, param), 0);
	x("ALTER TABLE audit_log ENABLE TRIGGER USER");
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", "--csv", NULL), 1);
	snprintf(sql, sizeof(sql), "false,6,%lld,\"previous hash does not match",
	    first + 1);
	assert_non_null(strstr(strbuf_str(&r.out), sql));
	assert_non_null(strstr(strbuf_str(&r.err), "audit log: row"));
	ctl_run_release(&r);
}

int
main(void)
{
	/* in order: each builds on the history the previous one left */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_verify_intact_then_altered),
		cmocka_unit_test(test_verify_removed),
	};

	testdb_require();
	return cmocka_run_group_tests(tests, setup, NULL);
}
