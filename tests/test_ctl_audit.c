/*
 * test_ctl_audit.c - `tallyctl audit list | verify | anchor` against a
 * real database: paging and filters over rows written by real commands,
 * and the attacks of issue 11 found by verify: a row edited, the chain
 * recomputed after it, rows removed in the middle, the newest rows removed
 * (against the job_runs anchor and an anchor kept outside), rows written
 * with another key, every hash recomputed unkeyed from row 1.  The
 * attacker is the superuser, who disables the triggers that make the log
 * append-only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/account.h"
#include "ctl/audit.h"
#include "support/ctl_support.h"

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
	ctl_expect(&r, 0, "page 1 of 1 (7 entries", ctl_audit, "audit", "list",
	    NULL);
	assert_non_null(strstr(strbuf_str(&r.out), "max_seats: null -> 4"));
	assert_true(strstr(strbuf_str(&r.out), "account.update") <
	    strstr(strbuf_str(&r.out), "account.suspend"));
	/* pages */
	ctl_expect(&r, 0, "(1 row)", ctl_audit, "audit", "list", "--per-page",
	    "3", "--page", "3", NULL);
	assert_non_null(strstr(strbuf_str(&r.out), "page 3 of 3 (7 entries"));
	assert_non_null(strstr(strbuf_str(&r.out), "h1@x.io"));
	/* filters; the JSON has the whole documents */
	ctl_expect(&r, 0, "\"action\":\"account.suspend\"", ctl_audit, "audit",
	    "list", "--actor", "hal", "--json", NULL);
	assert_non_null(strstr(strbuf_str(&r.out), "\"reason\":\"lost password\""));
	assert_non_null(strstr(strbuf_str(&r.out), "\"before\":{"));
	assert_null(strstr(strbuf_str(&r.out), "account.add"));
	ctl_expect(&r, 0, "\"account.suspend\"", ctl_audit, "audit", "list",
	    "--entity", "account", "--entity-id", "2", "--csv", NULL);
	assert_non_null(strstr(strbuf_str(&r.out), "\"account.add\""));
	assert_null(strstr(strbuf_str(&r.out), "account.update"));
	ctl_expect(&r, 0, "page 1 of 3 (5 entries", ctl_audit, "audit", "list",
	    "--action", "account.add", "--per-page", "2", NULL);
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "list", "--page", "0", NULL),
	    64);
	ctl_run_release(&r);
}

/* A new database with an empty audit log. */
static void
fresh_db(void)
{
	db_free(tdb);
	tdb = NULL;
	ctl_test_setup_db();
}

/* A new database with the seven changes of make_history(). */
static void
fresh_history(void)
{
	fresh_db();
	make_history();
}

/* An attacker who owns the database: triggers off, change, triggers on. */
static void
as_superuser(const char *sql, long long id)
{
	char ids[32];
	const char *param[1] = { ids };

	snprintf(ids, sizeof(ids), "%lld", id);
	x("ALTER TABLE audit_log DISABLE TRIGGER USER");
	if (db_command(tdb, NULL, sql, strstr(sql, "$1") != NULL ? 1 : 0,
	    param) != 0) {
		fprintf(stderr, "%s: %s\n", sql, db_errmsg(tdb));
		abort();
	}
	x("ALTER TABLE audit_log ENABLE TRIGGER USER");
}

/*
 * The old attack: edit a row, then recompute every hash from it on as the
 * unkeyed chain did (sha256 of the previous hash and the content), and
 * move the head along.  Without the key the MACs cannot be recomputed.
 */
#define RECOMPUTE_FROM \
	"DO $$ DECLARE r audit_log; p bytea; BEGIN" \
	" FOR r IN SELECT * FROM audit_log WHERE id >= %lld ORDER BY id LOOP" \
	"  SELECT hash INTO p FROM audit_log WHERE id = r.id - 1;" \
	"  r.prev_hash := coalesce(p, '\\x'::bytea);" \
	"  UPDATE audit_log SET prev_hash = r.prev_hash," \
	"   hash = sha256(r.prev_hash || tally_audit_content(r)) WHERE id = r.id;" \
	" END LOOP;" \
	" UPDATE audit_head SET (id, hash) = (SELECT id, hash FROM audit_log" \
	"  ORDER BY id DESC LIMIT 1); END $$"

/* The superuser recomputes every hash from row from on, unkeyed. */
static void
recompute_from(long long from)
{
	char sql[1024];

	snprintf(sql, sizeof(sql), RECOMPUTE_FROM, from);
	x("ALTER TABLE audit_log DISABLE TRIGGER USER");
	x(sql);
	x("ALTER TABLE audit_log ENABLE TRIGGER USER");
}

static void
test_verify_intact_then_altered(void **state)
{
	struct ctl_run r = { 0 };
	long long victim;
	char sql[1024];

	(void)state;
	ctl_expect(&r, 0, "audit log intact: 7 rows checked", ctl_audit,
	    "audit", "verify", NULL);

	/* a superuser rewrites history: the suspension's reason */
	victim = qll("SELECT id FROM audit_log WHERE action = 'account.suspend'");
	as_superuser("UPDATE audit_log SET reason = 'routine' WHERE id = $1::bigint",
	    victim);
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", NULL), 1);
	snprintf(sql, sizeof(sql), "audit log BROKEN at row %lld: row content does "
	    "not match its MAC", victim);
	assert_non_null(strstr(strbuf_str(&r.out), sql));
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", "--json", NULL), 1);
	snprintf(sql, sizeof(sql), "\"intact\":false,\"rows_checked\":%lld,"
	    "\"first_bad\":%lld,", victim - 1, victim);
	assert_non_null(strstr(strbuf_str(&r.out), sql));

	/* ... and recomputes the chain after it, as before: still found */
	recompute_from(victim);
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", NULL), 1);
	snprintf(sql, sizeof(sql), "audit log BROKEN at row %lld: an unkeyed row "
	    "after keyed ones (written without the audit key)", victim);
	assert_non_null(strstr(strbuf_str(&r.out), sql));

	/* putting the old text back is not enough: the MACs are gone */
	as_superuser("UPDATE audit_log SET reason = 'lost password' WHERE id ="
	    " $1::bigint", victim);
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", NULL), 1);
	ctl_run_release(&r);
}

static void
test_verify_removed(void **state)
{
	struct ctl_run r = { 0 };
	char sql[256];

	(void)state;
	/* a fresh history: the previous test broke this one for good */
	fresh_history();
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", NULL), 0);
	/* removing a row in the middle breaks the link of the next */
	as_superuser("DELETE FROM audit_log WHERE id = $1::bigint", 3);
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", "--csv", NULL), 1);
	assert_non_null(strstr(strbuf_str(&r.out), "false,2,4,\"previous hash "
	    "does not match row 2"));
	assert_non_null(strstr(strbuf_str(&r.err), "audit log: row 4"));
	/* removing the first row too */
	fresh_history();
	as_superuser("DELETE FROM audit_log WHERE id = $1::bigint", 1);
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", NULL), 1);
	snprintf(sql, sizeof(sql), "BROKEN at row 2: it is the first row but "
	    "names a previous hash");
	assert_non_null(strstr(strbuf_str(&r.out), sql));
	ctl_run_release(&r);
}

/* The newest rows removed, and the head moved back to match: only an
 * anchor outside audit_log can tell. */
static void
test_verify_truncated(void **state)
{
	struct ctl_run r = { 0 };
	char anchor[160];

	(void)state;
	fresh_history();
	/* the admin keeps the head somewhere else */
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "anchor", NULL), 0);
	snprintf(anchor, sizeof(anchor), "%.*s", (int)strcspn(strbuf_str(&r.out),
	    "\n"), strbuf_str(&r.out));
	assert_memory_equal(anchor, "7:", 2);
	assert_int_equal(strlen(anchor), 2 + 64);
	ctl_expect(&r, 0, "reaches anchor 7:", ctl_audit, "audit", "verify",
	    "--anchor", anchor, NULL);
	/* a batch run finished: its job_runs row holds the head too */
	x("INSERT INTO job_runs (program, status, audit_anchor_id,"
	    " audit_anchor_mac) SELECT 'tally-allocate', 'OK', id, hash"
	    " FROM audit_log ORDER BY id DESC LIMIT 1");

	/* the superuser removes the last two rows and moves the head back */
	as_superuser("DELETE FROM audit_log WHERE id > $1::bigint", 5);
	x("UPDATE audit_head SET (id, hash) = (SELECT id, hash FROM audit_log"
	    " ORDER BY id DESC LIMIT 1)");
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", NULL), 1);
	assert_non_null(strstr(strbuf_str(&r.out), "BROKEN at row 6: the chain "
	    "ends at row 5 but anchor 7:"));
	assert_non_null(strstr(strbuf_str(&r.out), "(job_runs "));
	/* ... and the job_runs anchors too: the admin's copy still finds it */
	x("UPDATE job_runs SET audit_anchor_id = NULL, audit_anchor_mac = NULL");
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", NULL), 0);
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", "--anchor",
	    anchor, NULL), 1);
	assert_non_null(strstr(strbuf_str(&r.out), "the newest rows were removed"));
	assert_non_null(strstr(strbuf_str(&r.out), "(--anchor)"));
	/* a new row written since does not paper over the gap: row 6 is not
	 * the one the anchor recorded, and neither is the new row 7 */
	ctl_run(&r, ctl_account, "account", "add", "late@x.io", "--actor", "gil",
	    NULL);
	assert_int_equal(r.rc, 0);
	ctl_run(&r, ctl_account, "account", "add", "later@x.io", "--actor", "gil",
	    NULL);
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", "--anchor",
	    anchor, NULL), 1);
	assert_non_null(strstr(strbuf_str(&r.out), "BROKEN at row 7: the chain "
	    "was rewritten"));
	/* a malformed anchor is a usage error */
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", "--anchor",
	    "7:abc", NULL), 64);
	ctl_run_release(&r);
}

/* Rows written with another key (an attacker with INSERT rights but not
 * the key) do not verify. */
static void
test_verify_other_key(void **state)
{
	struct ctl_run r = { 0 };
	char dir[] = "/tmp/tally-audit-XXXXXX", path[64], cmd[512];
	char *ctl = testdb_program("tallyctl");
	FILE *f;

	(void)state;
	fresh_history();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/other.key", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n",
	    f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	/* the real program, as an attacker would run it: the key is loaded
	 * once per process */
	snprintf(cmd, sizeof(cmd), "TALLY_AUDIT_KEY_FILE=%s %s account add "
	    "forged@x.io --actor gil >/dev/null", path, ctl);
	assert_int_equal(testdb_system(cmd), 0);
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", NULL), 1);
	assert_non_null(strstr(strbuf_str(&r.out), "BROKEN at row 8: row content "
	    "does not match its MAC"));
	/* without a key, nothing can be verified or written: exit 78 */
	snprintf(cmd, sizeof(cmd), "TALLY_AUDIT_KEY_FILE=/nonexistent/audit.key "
	    "%s audit verify 2>/dev/null", ctl);
	assert_int_equal(testdb_system(cmd), 78);
	snprintf(cmd, sizeof(cmd), "TALLY_AUDIT_KEY_FILE=/nonexistent/audit.key "
	    "%s account add nokey@x.io 2>/dev/null", ctl);
	assert_int_equal(testdb_system(cmd), 78);
	assert_int_equal(qll("SELECT count(*) FROM pool_accounts WHERE email ="
	    " 'nokey@x.io'"), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(ctl);
	ctl_run_release(&r);
}

/* Row edited's actor changed, every hash from row from on recomputed
 * unkeyed: verify --legacy-until legacy_until says want. */
static void
rewritten(struct ctl_run *r, long long edited, long long from,
    const char *legacy_until, const char *want)
{
	as_superuser("UPDATE audit_log SET actor = 'mallory' WHERE id ="
	    " $1::bigint", edited);
	recompute_from(from);
	assert_int_equal(ctl_run(r, ctl_audit, "audit", "verify",
	    "--legacy-until", legacy_until, NULL), 1);
	if (strstr(strbuf_str(&r->out), want) == NULL)
		fail_msg("verify said %s; want %s", strbuf_str(&r->out), want);
}

/*
 * The attack the unkeyed rows left open: every hash recomputed from row 1
 * with the old unkeyed scheme, so no keyed row is left to disagree.  An
 * unkeyed row stands only when the admin vouches for it from outside the
 * database (--legacy-until, or an anchor).
 */
static void
test_verify_unkeyed(void **state)
{
	struct ctl_run r = { 0 };
	char sql[1024], anchor[160];

	(void)state;
	fresh_db();
	for (int i = 1; i <= 3; i++) {
		snprintf(sql, sizeof(sql), "u%d@x.io", i);
		ctl_run(&r, ctl_account, "account", "add", sql, "--actor", "gil",
		    NULL);
		assert_int_equal(r.rc, 0);
	}
	as_superuser("UPDATE audit_log SET actor = 'mallory' WHERE id ="
	    " $1::bigint", 2);
	recompute_from(1);
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", NULL), 1);
	assert_non_null(strstr(strbuf_str(&r.out), "BROKEN at row 1: 3 unkeyed "
	    "rows (ids 1..3), which anyone who can write the table can "
	    "recompute"));
	assert_non_null(strstr(strbuf_str(&r.out), "--legacy-until ID"));
	assert_non_null(strstr(strbuf_str(&r.err), "audit log: row 1: 3 unkeyed"));

	/* rows from before the keyed chain: written without a MAC, then keyed
	 * ones; the admin noted the boundary (3) at the upgrade */
	fresh_db();
	x("INSERT INTO audit_log (actor, action, entity, entity_id) VALUES"
	    " ('old', 'account.add', 'account', '1'), ('old', 'account.add',"
	    " 'account', '2'), ('old', 'account.suspend', 'account', '1')");
	make_history();
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify", NULL), 1);
	assert_non_null(strstr(strbuf_str(&r.out), "BROKEN at row 1: 3 unkeyed "
	    "rows (ids 1..3)"));
	ctl_expect(&r, 0, "audit log intact: 10 rows checked (3 unkeyed",
	    ctl_audit, "audit", "verify", "--legacy-until", "3", NULL);
	ctl_expect(&r, 0, "audit log intact: 10 rows checked (3 unkeyed",
	    ctl_audit, "audit", "verify", "--legacy-until", "5", NULL);
	/* a boundary short of them names the first row past it */
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify",
	    "--legacy-until", "2", NULL), 1);
	assert_non_null(strstr(strbuf_str(&r.out), "BROKEN at row 3: 3 unkeyed "
	    "rows (ids 1..3) but --legacy-until 2"));
	/* an anchor kept outside covers the rows before it as well */
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "anchor", NULL), 0);
	snprintf(anchor, sizeof(anchor), "%.*s", (int)strcspn(strbuf_str(&r.out),
	    "\n"), strbuf_str(&r.out));
	ctl_expect(&r, 0, "reaches anchor 10:", ctl_audit, "audit", "verify",
	    "--anchor", anchor, NULL);
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify",
	    "--legacy-until", "x3", NULL), 64);
	assert_int_equal(ctl_run(&r, ctl_audit, "audit", "verify",
	    "--legacy-until", "0", NULL), 64);

	/* the boundary does not cover rows recomputed after it: from row 1 on,
	 * every row is unkeyed, and the keyed ones past 3 are gone */
	rewritten(&r, 9, 1, "3", "BROKEN at row 4: 10 unkeyed rows (ids 1..10)"
	    " but --legacy-until 3");
	/* recomputed from a row past the boundary: that row is the first
	 * unkeyed one after a keyed one */
	fresh_db();
	x("INSERT INTO audit_log (actor, action, entity) VALUES ('old',"
	    " 'account.add', 'account'), ('old', 'account.add', 'account')");
	make_history();
	rewritten(&r, 6, 6, "2", "BROKEN at row 6: an unkeyed row after keyed "
	    "ones");
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
		cmocka_unit_test(test_verify_truncated),
		cmocka_unit_test(test_verify_other_key),
		cmocka_unit_test(test_verify_unkeyed),
	};

	testdb_require();
	return cmocka_run_group_tests(tests, ctl_test_setup, NULL);
}
