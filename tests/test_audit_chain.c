/*
 * test_audit_chain.c - the keyed audit chain (lib/pg/audit.h) against a
 * real database: concurrent writers in READ COMMITTED and REPEATABLE READ
 * still make one chain with dense ids; a rolled-back row gives its id
 * back; rows from before the keyed chain verify as unkeyed and are sealed
 * by the first keyed row; an unkeyed row after keyed ones does not
 * verify; every batch run records the head (an anchor) in its job_runs
 * row and its log line.  The attacks through `tallyctl audit verify` are
 * in test_ctl_audit.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/strbuf.h"
#include "pg/audit.h"
#include "pg/db.h"
#include "pg/jobrun.h"
#include "support/testdb.h"

static char *url;
static struct db *su;

static int
fresh(void **state)
{
	(void)state;
	db_free(su);
	free(url);
	testdb_create(&url, &su);
	return 0;
}

static long long
value(const char *sql)
{
	return testdb_ll(su, sql);
}

/* One audit row in a transaction of its own. */
static void
record(struct db *db, const char *action, const char *entity_id)
{
	assert_int_equal(db_begin(db, DB_READ_COMMITTED), 0);
	assert_int_equal(audit_record(db, "tester", action, "t", entity_id,
	    NULL, NULL, NULL), 0);
	assert_int_equal(db_commit(db), 0);
}

/* Intact with rows rows, the first legacy of them unkeyed and vouched for
 * as the admin would, with the legacy boundary. */
static void
check_intact(long long rows, long long legacy)
{
	struct audit_check c;

	audit_check_init(&c);
	c.legacy_until = legacy;
	assert_int_equal(audit_verify_chain(su, NULL, 0, &c), 0);
	if (c.first_bad != 0)
		fail_msg("row %lld: %s", c.first_bad, c.problem.buf);
	assert_int_equal(c.rows, rows);
	assert_int_equal(c.legacy, legacy);
	assert_int_equal(c.head.id, value("SELECT max(id) FROM audit_log"));
	audit_check_release(&c);
}

/* The chain breaks first at row first_bad, for a reason that says
 * problem, with legacy_until as the admin's legacy boundary. */
static void
check_broken_until(long long legacy_until, long long first_bad,
    const char *problem)
{
	struct audit_check c;

	audit_check_init(&c);
	c.legacy_until = legacy_until;
	assert_int_equal(audit_verify_chain(su, NULL, 0, &c), 0);
	assert_int_equal(c.first_bad, first_bad);
	if (strstr(c.problem.buf, problem) == NULL)
		fail_msg("row %lld: %s; want \"%s\"", c.first_bad, c.problem.buf,
		    problem);
	audit_check_release(&c);
}

static void
check_broken(long long first_bad, const char *problem)
{
	check_broken_until(0, first_bad, problem);
}

struct writer {
	int n;
	enum db_isolation iso;
	int rows;
	int rc;
};

static int
write_one(struct db *db, void *arg)
{
	struct writer *w = arg;
	PGresult *res = NULL;
	char id[32];
	int rc;

	snprintf(id, sizeof(id), "%d", w->n);
	/* a read before the audit row, as real callers do: in REPEATABLE
	 * READ it fixes the snapshot */
	if ((rc = db_query(db, &res, "SELECT count(*) FROM audit_log", 0,
	    NULL)) != 0)
		return rc;
	PQclear(res);
	return audit_record(db, "writer", "test.write", "writer", id, NULL,
	    "{\"n\": 1}", NULL);
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct db *db = NULL;

	w->rc = db_connect_url(&db, url, "test_audit_chain", "tally_admin");
	for (int i = 0; w->rc == 0 && i < w->rows; i++)
		/* a REPEATABLE READ writer whose snapshot predates the head
		 * gets a serialization failure and is retried */
		w->rc = db_transaction(db, w->iso, 1000, write_one, w);
	if (w->rc != 0)
		fprintf(stderr, "writer %d: %s [%s]\n", w->n,
		    db != NULL ? db_errmsg(db) : "no connection",
		    db != NULL ? db_sqlstate(db) : "");
	db_free(db);
	return NULL;
}

static void
test_concurrent_writers(void **state)
{
	struct writer w[6];
	pthread_t t[6];

	(void)state;
	for (int i = 0; i < 6; i++) {
		w[i].n = i;
		w[i].iso = i % 2 == 0 ? DB_READ_COMMITTED : DB_REPEATABLE_READ;
		w[i].rows = 25;
		w[i].rc = -1;
		assert_int_equal(pthread_create(&t[i], NULL, writer_main, &w[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].rc, 0);
	}
	/* one chain, ids 1..150 without a gap */
	assert_int_equal(value("SELECT count(*) FROM audit_log"), 150);
	assert_int_equal(value("SELECT max(id) FROM audit_log"), 150);
	check_intact(150, 0);
}

static void
test_rollback_gives_the_id_back(void **state)
{
	struct db *db = NULL;

	(void)state;
	assert_int_equal(db_connect_url(&db, url, "test", "tally_admin"), 0);
	assert_int_equal(db_begin(db, DB_READ_COMMITTED), 0);
	assert_int_equal(audit_record(db, "a", "test.one", "t", "1", NULL, NULL,
	    NULL), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(db_begin(db, DB_READ_COMMITTED), 0);
	assert_int_equal(audit_record(db, "a", "test.gone", "t", "2", NULL, NULL,
	    NULL), 0);
	db_rollback(db);
	assert_int_equal(db_begin(db, DB_READ_COMMITTED), 0);
	assert_int_equal(audit_record(db, "a", "test.two", "t", "3", "why",
	    "{\"a\": [1, 2]}", "{\"b\": null}"), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(value("SELECT id FROM audit_log WHERE action ="
	    " 'test.two'"), 2);
	check_intact(2, 0);
	/* a row that skips the head is refused by the database itself */
	assert_int_not_equal(db_simple(su, "INSERT INTO audit_log (id, actor,"
	    " action, entity, prev_hash, hash) VALUES (9, 'x', 'y', 'z', '',"
	    " sha256(''))"), 0);
	assert_string_equal(db_sqlstate(su), "23514");
	db_free(db);
}

/* Rows from before migration 052 keep their unkeyed hashes, and stand
 * only when the admin vouches for them from outside the database. */
static void
test_legacy_rows(void **state)
{
	struct db *db = NULL;

	(void)state;
	/* a writer without a MAC gets the unkeyed hash while no keyed row
	 * exists, as every row had */
	assert_int_equal(db_simple(su, "INSERT INTO audit_log (actor, action,"
	    " entity, entity_id, after) VALUES ('old', 'account.add',"
	    " 'account', '1', '{\"id\": 1}'), ('old', 'account.add',"
	    " 'account', '2', NULL)"), 0);
	/* anyone who can write the table could have computed them */
	check_broken(1, "2 unkeyed rows (ids 1..2)");
	check_broken_until(1, 2, "2 unkeyed rows (ids 1..2) but --legacy-until 1");
	check_intact(2, 2);
	assert_int_equal(db_connect_url(&db, url, "test", "tally_batch"), 0);
	record(db, "account.add", "3");
	check_intact(3, 2);
	check_broken(1, "2 unkeyed rows (ids 1..2)");
	/* the first keyed row seals them: recomputing them is found */
	assert_int_equal(db_simple(su, "ALTER TABLE audit_log DISABLE TRIGGER"
	    " USER; UPDATE audit_log SET actor = 'other' WHERE id = 1;"
	    " UPDATE audit_log SET hash = sha256(prev_hash ||"
	    " tally_audit_content(audit_log)) WHERE id = 1;"
	    " UPDATE audit_log l SET prev_hash = p.hash, hash ="
	    " sha256(p.hash || tally_audit_content(l)) FROM audit_log p"
	    " WHERE l.id = 2 AND p.id = 1;"
	    " ALTER TABLE audit_log ENABLE TRIGGER USER"), 0);
	check_broken_until(2, 3, "previous hash does not match");
	/* once a keyed row exists, the database refuses a row without a MAC */
	db_free(db);
	fresh(NULL);
	assert_int_equal(db_connect_url(&db, url, "test", "tally_batch"), 0);
	record(db, "account.add", "1");
	assert_int_not_equal(db_simple(su, "INSERT INTO audit_log (actor,"
	    " action, entity) VALUES ('x', 'account.add', 'account')"), 0);
	assert_string_equal(db_sqlstate(su), "23514");
	assert_non_null(strstr(db_errmsg(su), "without a MAC after the keyed"));
	assert_int_not_equal(db_simple(su, "INSERT INTO audit_log (actor,"
	    " action, entity, prev_hash, hash) VALUES ('x', 'account.add',"
	    " 'account', '', '')"), 0);
	/* the owner, triggers off, can still add one: verify finds it */
	assert_int_equal(db_simple(su, "ALTER TABLE audit_log DISABLE TRIGGER"
	    " USER; INSERT INTO audit_log (id, actor, action, entity, prev_hash,"
	    " hash) SELECT 2, 'x', 'account.add', 'account', hash, '' FROM"
	    " audit_log WHERE id = 1; UPDATE audit_log SET hash = sha256("
	    "prev_hash || tally_audit_content(audit_log)) WHERE id = 2;"
	    " ALTER TABLE audit_log ENABLE TRIGGER USER"), 0);
	check_broken_until(5, 2, "an unkeyed row after keyed ones");
	db_free(db);
}

/* Every batch run leaves the head in its job_runs row and its log line. */
static void
test_jobrun_anchor(void **state)
{
	struct db *db = NULL;
	struct jobrun *jr = NULL;
	struct audit_anchor head, given;
	struct audit_check c;
	char text[AUDIT_ANCHOR_TEXT], want[AUDIT_ANCHOR_TEXT + 64], log[4096];
	FILE *f = tmpfile();
	int saved;
	size_t n;

	(void)state;
	assert_non_null(f);
	assert_int_equal(db_connect_url(&db, url, "test", "tally_batch"), 0);
	/* an empty log has no head: the run records none */
	assert_int_equal(jobrun_start(db, "tally-test", NULL, &jr), 0);
	assert_int_equal(jobrun_finish(jr, 0, NULL), 0);
	assert_int_equal(value("SELECT count(*) FROM job_runs WHERE"
	    " audit_anchor_id IS NULL"), 1);
	for (int i = 0; i < 3; i++)
		record(db, "test.x", NULL);
	assert_int_equal(audit_head(db, &head), 0);
	assert_int_equal(head.id, 3);
	audit_anchor_format(&head, text, sizeof(text));
	assert_true(audit_anchor_parse(text, &given));
	assert_int_equal(given.id, 3);
	assert_memory_equal(given.mac, head.mac, AUDIT_MAC_LEN);
	assert_false(audit_anchor_parse("3:zz", &given));
	assert_false(audit_anchor_parse("x:00", &given));
	/* the run's log line, on stderr */
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(f), 2);
	assert_int_equal(jobrun_start(db, "tally-test", NULL, &jr), 0);
	assert_int_equal(jobrun_finish(jr, TALLY_EPROBLEMS, "found some"), 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(log, 1, sizeof(log) - 1, f);
	log[n] = '\0';
	fclose(f);
	snprintf(want, sizeof(want), "PROBLEMS; audit anchor %s", text);
	if (strstr(log, want) == NULL)
		fail_msg("no '%s' in the log: %s", want, log);
	assert_int_equal(value("SELECT audit_anchor_id FROM job_runs"
	    " WHERE status = 'PROBLEMS'"), 3);
	assert_int_equal(value("SELECT count(*) FROM job_runs j, audit_log l"
	    " WHERE j.audit_anchor_id = l.id AND j.audit_anchor_mac = l.hash"), 1);
	/* verify reaches it */
	audit_check_init(&c);
	assert_int_equal(audit_verify_chain(su, NULL, 0, &c), 0);
	assert_int_equal(c.first_bad, 0);
	assert_int_equal(c.anchors, 1);
	assert_non_null(strstr(c.reached.buf, "(job_runs "));
	audit_check_release(&c);
	db_free(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_concurrent_writers, fresh),
		cmocka_unit_test_setup(test_rollback_gives_the_id_back, fresh),
		cmocka_unit_test_setup(test_legacy_rows, fresh),
		cmocka_unit_test_setup(test_jobrun_anchor, fresh),
	};
	int rc;

	testdb_require();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	db_free(su);
	free(url);
	return rc;
}
