/*
 * test_provenance.c - the attacks of issue 11 on what tally received and
 * on who may change it, each tried the way an attacker would and each
 * refused:
 *   - a program's session (the receiver's) tries to gain rights with
 *     RESET ROLE, SET ROLE and SET SESSION AUTHORIZATION;
 *   - the batch and admin roles try to rewrite a delivery's signed bytes
 *     or to insert an unsigned one; the report role tries to read them;
 *     the owner and a superuser try to edit or delete one.
 * The audit chain's attacks are in test_audit_chain.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/db.h"
#include "support/testdb.h"

static char *url;
static struct db *su;		/* the owner (a superuser in the test cluster) */

static const char *const roles[] = {
	"tally_receiver", "tally_batch", "tally_admin", "tally_report",
};

static struct db *
login(const char *role)
{
	struct db *db = NULL;

	if (db_connect_url(&db, url, "test_provenance", role) != 0)
		fail_msg("cannot log in as %s", role);
	return db;
}

#define ok testdb_ok
#define refused testdb_refused

/* Each statement of sqls (up to a NULL) refused for want of privilege. */
static void
denied(struct db *db, const char *const *sqls)
{
	for (; *sqls != NULL; sqls++)
		refused(db, *sqls, "42501");
}

static char *
text(struct db *db, const char *sql)
{
	char *v = NULL;

	if (db_query_value(db, &v, sql, 0, NULL) != 0)
		fail_msg("%s: %s", sql, db_errmsg(db));
	return v;
}

static void
expect(struct db *db, const char *sql, const char *want)
{
	char *v = text(db, sql);

	if (v == NULL || strcmp(v, want) != 0)
		fail_msg("%s: got %s, want %s", sql, v != NULL ? v : "NULL", want);
	free(v);
}

static int
setup(void **state)
{
	(void)state;
	testdb_create(&url, &su);
	ok(su, "INSERT INTO raw_events (source, scheme, event_key, content_type,"
	    " sig_headers, body, payload) VALUES ('stripe', 'stripe', 'evt_1',"
	    " 'application/json', '{\"stripe-signature\":\"t=1,v1=ab\"}',"
	    " convert_to('{\"id\":\"evt_1\",\"amount\":100}', 'UTF8'),"
	    " '{\"id\":\"evt_1\",\"amount\":100}')");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	db_free(su);
	free(url);
	return 0;
}

/* Every program role logs in as itself and holds nothing else. */
static void
test_roles_log_in_as_themselves(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		struct db *db = login(roles[i]);
		char want[64];

		snprintf(want, sizeof(want), "%s %s", roles[i], roles[i]);
		expect(db, "SELECT session_user || ' ' || current_user", want);
		expect(db, "SELECT (rolsuper OR rolcreaterole OR rolcreatedb OR"
		    " rolreplication OR rolbypassrls)::text FROM pg_roles"
		    " WHERE rolname = session_user", "false");
		/* a member of no role: nothing to SET ROLE to */
		expect(db, "SELECT count(*) FROM pg_auth_members m"
		    " JOIN pg_roles r ON r.oid = m.member"
		    " WHERE r.rolname = session_user", "0");
		db_free(db);
	}
}

/* The attack: the receiver's session tries to become someone else. */
static void
test_receiver_cannot_gain_rights(void **state)
{
	struct db *db = login("tally_receiver");

	(void)state;
	refused(db, "SELECT body FROM raw_events", "42501");
	ok(db, "RESET ROLE");
	expect(db, "SELECT current_user", "tally_receiver");
	denied(db, (const char *const[]){
		"SELECT body FROM raw_events",
		"SET ROLE tally",
		"SET ROLE tally_batch",
		"SET ROLE tally_admin",
		"SET SESSION AUTHORIZATION tally",
		"SET SESSION AUTHORIZATION tally_batch",
		NULL });
	expect(db, "SELECT current_user", "tally_receiver");
	denied(db, (const char *const[]){
		"SELECT * FROM customers",
		"INSERT INTO audit_log (actor, action, entity) VALUES"
		    " ('x', 'y', 'z')",
		"UPDATE raw_events SET status = 'DONE'",
		NULL });
	/* what it is for still works */
	ok(db, "INSERT INTO raw_events (source, scheme, event_key, body,"
	    " payload) VALUES ('stripe', 'stripe', 'evt_rx', '\\x7b7d', '{}')"
	    " ON CONFLICT DO NOTHING RETURNING source, event_key");
	refused(db, "INSERT INTO raw_events (source, scheme, event_key, body,"
	    " payload, status) VALUES ('s', 'stripe', 'evt_rx2', '', '{}',"
	    " 'DONE')", "42501");
	db_free(db);
}

/* The attack: a batch or admin session rewrites what a provider signed,
 * or stores a delivery nobody signed. */
static void
test_raw_events_batch_admin(void **state)
{
	static const char *const who[] = { "tally_batch", "tally_admin" };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct db *db = login(who[i]);

		refused(db, "UPDATE raw_events SET body = convert_to("
		    "'{\"id\":\"evt_1\",\"amount\":1}', 'UTF8')", "42501");
		refused(db, "UPDATE raw_events SET payload = '{\"amount\":1}'",
		    "42501");
		denied(db, (const char *const[]){
			"UPDATE raw_events SET event_key = 'evt_2'",
			"UPDATE raw_events SET source = 'midtrans'",
			"UPDATE raw_events SET sig_headers = '{}'",
			"UPDATE raw_events SET received_at = now()",
			"INSERT INTO raw_events (source, scheme, event_key,"
			    " body, payload) VALUES ('stripe', 'stripe', 'forged', '',"
			    " '{}')",
			"DELETE FROM raw_events",
			"TRUNCATE raw_events",
			NULL });
		/* what they may record about a delivery */
		ok(db, "UPDATE raw_events SET status = 'FAILED', attempts ="
		    " attempts + 1, processed_at = now(), error = 'x'"
		    " WHERE event_key = 'evt_1'");
		ok(db, "UPDATE raw_events SET status = 'NEW', error = NULL"
		    " WHERE event_key = 'evt_1' AND status = 'FAILED'");
		/* and they still read it, for processing and replay */
		expect(db, "SELECT convert_from(body, 'UTF8') FROM raw_events"
		    " WHERE event_key = 'evt_1'", "{\"id\":\"evt_1\",\"amount\":100}");
		db_free(db);
	}
}

/* Reports see what happened to deliveries, not what they said. */
static void
test_raw_events_report(void **state)
{
	struct db *db = login("tally_report");

	(void)state;
	denied(db, (const char *const[]){
		"SELECT body FROM raw_events",
		"SELECT sig_headers FROM raw_events",
		"SELECT payload FROM raw_events",
		"SELECT * FROM raw_events",
		NULL });
	expect(db, "SELECT count(*) FROM raw_events WHERE event_key = 'evt_1'",
	    "1");
	expect(db, "SELECT status FROM raw_events WHERE event_key = 'evt_1'",
	    "NEW");
	refused(db, "UPDATE raw_events SET status = 'DONE'", "42501");
	/* a report program may keep its own job_runs row */
	ok(db, "INSERT INTO job_runs (program) VALUES ('tally-weekly-report')");
	ok(db, "UPDATE job_runs SET status = 'OK', finished_at = now()"
	    " WHERE program = 'tally-weekly-report'");
	refused(db, "INSERT INTO customers (email) VALUES ('r@x.io')", "42501");
	db_free(db);
}

/*
 * sql is refused by raw_events' trigger itself: the owner (a superuser
 * here) has every grant, so the message is the trigger's, and with that
 * trigger off (rolled back) the same statement goes through.
 */
static void
trigger_refuses(const char *sql)
{
	if (db_simple(su, sql) == 0)
		fail_msg("accepted, should be refused: %s", sql);
	assert_string_equal(db_sqlstate(su), "42501");
	if (strstr(db_errmsg(su), "is kept as it arrived") == NULL)
		fail_msg("%s: refused, but not by the trigger: %s", sql,
		    db_errmsg(su));
	ok(su, "BEGIN");
	ok(su, "ALTER TABLE raw_events DISABLE TRIGGER raw_events_immutable");
	ok(su, sql);
	ok(su, "ROLLBACK");
}

/* Even the owner, a superuser here, cannot edit a delivery without first
 * disabling the trigger. */
static void
test_raw_events_owner(void **state)
{
	(void)state;
	expect(su, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
	    "t");
	trigger_refuses("UPDATE raw_events SET body = convert_to('{}', 'UTF8')");
	trigger_refuses("UPDATE raw_events SET payload = '{}'");
	trigger_refuses("UPDATE raw_events SET content_type = 'text/plain'");
	trigger_refuses("UPDATE raw_events SET source = 'midtrans'");
	trigger_refuses("UPDATE raw_events SET scheme = 'standard-webhooks'");
	trigger_refuses("UPDATE raw_events SET event_key = 'evt_forged'"
	    " WHERE event_key = 'evt_1'");
	trigger_refuses("UPDATE raw_events SET received_at = received_at -"
	    " interval '1 day'");
	trigger_refuses("UPDATE raw_events SET sig_headers ="
	    " '{\"stripe-signature\": \"t=1,v1=00\"}'");
	refused(su, "DELETE FROM raw_events WHERE event_key = 'evt_1'", "42501");
	refused(su, "TRUNCATE raw_events CASCADE", "42501");
	expect(su, "SELECT convert_from(body, 'UTF8') FROM raw_events"
	    " WHERE event_key = 'evt_1'", "{\"id\":\"evt_1\",\"amount\":100}");
	/* the columns it may change, it may */
	ok(su, "BEGIN");
	ok(su, "UPDATE raw_events SET status = 'DONE', processed_at = now(),"
	    " attempts = 1, error = NULL");
	ok(su, "ROLLBACK");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles_log_in_as_themselves),
		cmocka_unit_test(test_receiver_cannot_gain_rights),
		cmocka_unit_test(test_raw_events_batch_admin),
		cmocka_unit_test(test_raw_events_report),
		cmocka_unit_test(test_raw_events_owner),
	};

	testdb_require();
	return cmocka_run_group_tests(tests, setup, teardown);
}
