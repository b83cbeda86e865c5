/*
 * test_ops.c - the operations layer itself (lib/ops), called as the admin
 * API will call it, against a real database: the audit row is written
 * with the actor in the change's own transaction; a dry run keeps nothing
 * yet answers what would have been; each class of failure comes with its
 * code, message and field; a bad request never touches the database; a
 * paid order's seat cannot be handed to someone else; a retried credit
 * adjustment gives nothing twice; and an extend and a revoke of one
 * assignment at the same time stay consistent whichever comes first
 * (ordered with a row lock and pg_blocking_pids, never with sleeps).
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

#include <jansson.h>

#include "base/err.h"
#include "base/strbuf.h"
#include "ops/account.h"
#include "ops/assignment.h"
#include "ops/audit.h"
#include "ops/ops.h"
#include "ops/user.h"
#include "pg/db.h"
#include "support/testdb.h"

static char *url;		/* the test database */
static struct db *tdb;		/* superuser: fixtures and checks */

static struct db *
connect_admin(void)
{
	struct db *db = NULL;

	assert_int_equal(db_connect_url(&db, url, "test_ops", "tally_admin"), 0);
	return db;
}

/* One value from the test database, "" for NULL (static buffer). */
static const char *
q(const char *sql, const char *param)
{
	return testdb_value(tdb, sql, param);
}

static long long
qll(const char *sql, const char *param)
{
	return strtoll(q(sql, param), NULL, 10);
}

static void
x(const char *sql)
{
	testdb_ok(tdb, sql);
}

static int
setup(void **state)
{
	(void)state;
	testdb_create(&url, &tdb);
	/* a way to make the audit insert fail, to see what else survives */
	x("CREATE FUNCTION test_fail_audit() RETURNS trigger LANGUAGE plpgsql AS"
	  " $$BEGIN RAISE EXCEPTION 'audit refused for the test'; END$$;"
	  "CREATE TRIGGER test_fail_audit BEFORE INSERT ON audit_log FOR EACH ROW"
	  " WHEN (NEW.actor = 'test:fail-audit') EXECUTE FUNCTION test_fail_audit()");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	db_free(tdb);
	free(url);
	return 0;
}

static int
reset(void **state)
{
	(void)state;
	testdb_empty_sales(tdb);
	return 0;
}

static const char *
item_str(const json_t *out, const char *key)
{
	return json_string_value(json_object_get(json_object_get(out, "item"),
	    key));
}

static long long
item_int(const json_t *out, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(out, "item"),
	    key));
}

static long long
add_account(struct ops *o, const char *email, const char *max_seats)
{
	struct ops_account_req req = { .email = email, .max_seats = max_seats };
	json_t *out = NULL;
	long long id;

	assert_int_equal(ops_account_add(o, &req, &out), 0);
	id = item_int(out, "id");
	json_decref(out);
	return id;
}

static long long
assign(struct ops *o, const char *account, const char *customer, int days)
{
	struct ops_assignment_req req = { .account = account,
	    .customer = customer, .days = days };
	json_t *out = NULL;
	long long id;

	assert_int_equal(ops_assignment_assign(o, &req, &out), 0);
	id = item_int(out, "id");
	json_decref(out);
	return id;
}

/* --- audit: the actor, in the change's own transaction -------------------- */

static void
test_audit_same_transaction(void **state)
{
	struct db *db = connect_admin();
	struct ops o;
	struct ops_account_req req = { .email = "audited@x.io", .reason = "r1" };
	json_t *out = NULL;
	long long id;
	char idbuf[24];

	(void)state;
	ops_init(&o, db, "token:alice", false);
	assert_int_equal(ops_account_add(&o, &req, &out), 0);
	id = item_int(out, "id");
	assert_string_equal(item_str(out, "email"), "audited@x.io");
	assert_true(json_is_false(json_object_get(out, "dry_run")));
	json_decref(out);
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	/* the actor and reason as given, the row after as JSON */
	assert_string_equal(q("SELECT actor || '|' || reason || '|' ||"
	    " (after->>'email') FROM audit_log WHERE action = 'account.add'"
	    " AND entity_id = $1", idbuf), "token:alice|r1|audited@x.io");
	/* written by the very transaction that wrote the account */
	assert_int_equal(qll("SELECT count(*) FROM audit_log l, pool_accounts a"
	    " WHERE l.action = 'account.add' AND l.entity_id = $1"
	    " AND a.id = $1::bigint AND l.xmin = a.xmin", idbuf), 1);

	/* an audit row that cannot be written takes the change with it */
	o.actor = "test:fail-audit";
	req.email = "unaudited@x.io";
	assert_int_not_equal(ops_account_add(&o, &req, &out), 0);
	assert_null(out);
	assert_non_null(strstr(strbuf_str(&o.err), "writing the audit log"));
	assert_int_equal(qll("SELECT count(*) FROM pool_accounts WHERE email ="
	    " 'unaudited@x.io'", NULL), 0);
	/* and a change through another path too: a revoke */
	o.actor = "token:alice";
	id = assign(&o, NULL, "c@x.io", 10);
	{
		struct ops_assignment_req r = { .id = id, .reason = "x" };

		o.actor = "test:fail-audit";
		assert_int_not_equal(ops_assignment_revoke(&o, &r, &out), 0);
		snprintf(idbuf, sizeof(idbuf), "%lld", id);
		assert_string_equal(q("SELECT status FROM assignments WHERE id ="
		    " $1::bigint", idbuf), "ACTIVE");
		assert_int_equal(qll("SELECT current_seats_used FROM pool_accounts"
		    " WHERE email = 'audited@x.io'", NULL), 1);
	}
	ops_release(&o);
	db_free(db);
}

/* --- dry run: the answer, and nothing kept -------------------------------- */

static void
test_dry_run(void **state)
{
	struct db *db = connect_admin();
	struct ops o;
	struct ops_account_req req = { .email = "dry@x.io", .max_seats = "4" };
	struct ops_assignment_req ext = { .days = 7, .reason = "goodwill" };
	json_t *out = NULL;
	long long audits, asg;
	char ends[64], idbuf[24];

	(void)state;
	ops_init(&o, db, "token:bob", false);
	add_account(&o, "real@x.io", "2");
	asg = assign(&o, "real@x.io", "c@x.io", 10);
	snprintf(idbuf, sizeof(idbuf), "%lld", asg);
	snprintf(ends, sizeof(ends), "%s", q("SELECT ends_at::text FROM"
	    " assignments WHERE id = $1::bigint", idbuf));
	audits = qll("SELECT count(*) FROM audit_log", NULL);

	o.dry_run = true;
	assert_int_equal(ops_account_add(&o, &req, &out), 0);
	/* what would have been: the row as the database would have made it */
	assert_string_equal(item_str(out, "email"), "dry@x.io");
	assert_int_equal(item_int(out, "max_seats"), 4);
	assert_int_equal(item_int(out, "seats_free"), 4);
	assert_true(json_is_true(json_object_get(out, "dry_run")));
	json_decref(out);
	ext.id = asg;
	assert_int_equal(ops_assignment_extend(&o, &ext, &out), 0);
	assert_string_not_equal(item_str(out, "ends_at"), ends);
	json_decref(out);

	/* nothing kept: no account, no later end, no audit row */
	assert_int_equal(qll("SELECT count(*) FROM pool_accounts WHERE email ="
	    " 'dry@x.io'", NULL), 0);
	assert_string_equal(q("SELECT ends_at::text FROM assignments WHERE id ="
	    " $1::bigint", idbuf), ends);
	assert_int_equal(qll("SELECT count(*) FROM audit_log", NULL), audits);
	ops_release(&o);
	db_free(db);
}

/* --- failures: code, message, field ------------------------------------- */

static int connects;

static int
counting_connect(struct db **db, void *arg)
{
	(void)arg;
	connects++;
	return db_connect_url(db, url, "test_ops", "tally_admin");
}

static void
test_usage_errors_need_no_database(void **state)
{
	struct ops o;
	struct ops_account_req bad_seats = { .email = "a@x.io", .max_seats = "0" };
	struct ops_account_req bad_email = { .email = "not an email" };
	struct ops_account_list_req bad_status = { .status = "LOST" };
	struct ops_account_list_req big_page = { .page = { 1, 501, 0 } };
	struct ops_assignment_req no_days = { .id = 1 };
	struct ops_assignment_req no_reason = { .id = 1 };
	struct ops_user_credit_req zero = { .user = "u", .reason = "r" };
	json_t *out = NULL;

	(void)state;
	ops_init(&o, NULL, "token:carol", false);
	o.connect = counting_connect;
	connects = 0;
	assert_int_equal(ops_account_add(&o, &bad_seats, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "max_seats");
	assert_non_null(strstr(strbuf_str(&o.err), "max_seats must be"));
	assert_int_equal(ops_account_add(&o, &bad_email, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "email");
	assert_int_equal(ops_account_list(&o, &bad_status, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "status");
	/* the API's page size has a ceiling */
	assert_int_equal(ops_account_list(&o, &big_page, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "per_page");
	assert_int_equal(ops_assignment_extend(&o, &no_days, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "days");
	assert_int_equal(ops_assignment_revoke(&o, &no_reason, &out),
	    TALLY_EUSAGE);
	assert_string_equal(o.field, "reason");
	assert_int_equal(ops_user_credit(&o, &zero, &out), TALLY_EUSAGE);
	assert_string_equal(o.field, "delta");
	assert_null(out);
	/* none of them asked for the database */
	assert_int_equal(connects, 0);

	/* a good request connects, once */
	big_page.page.per_page = 500;
	assert_int_equal(ops_account_list(&o, &big_page, &out), 0);
	assert_null(o.field);
	assert_int_equal(strbuf_str(&o.err)[0], '\0');
	assert_int_equal(connects, 1);
	json_decref(out);
	db_free(o.db);
	ops_release(&o);
}

static void
test_not_found_conflict_refused(void **state)
{
	struct db *db = connect_admin();
	struct ops o;
	struct ops_account_req nobody = { .account = "nobody@x.io",
	    .note = "why" };
	struct ops_account_req dup = { .email = "ONE@x.io" };
	struct ops_account_req one = { .account = "one@x.io", .note = "leak" };
	struct ops_assignment_req missing = { .id = 999, .days = 1 };
	struct ops_assignment_req to_full = { .account = "one@x.io",
	    .customer = "second@x.io", .days = 3 };
	struct ops_assignment_req revoke = { .reason = "refund" };
	json_t *out = NULL;

	(void)state;
	ops_init(&o, db, "token:dave", false);
	add_account(&o, "one@x.io", NULL);

	assert_int_equal(ops_account_suspend(&o, &nobody, &out), TALLY_ENOTFOUND);
	assert_string_equal(o.field, "account");
	assert_string_equal(strbuf_str(&o.err), "no account 'nobody@x.io'");
	assert_int_equal(ops_assignment_extend(&o, &missing, &out),
	    TALLY_ENOTFOUND);
	assert_string_equal(strbuf_str(&o.err), "no assignment 999");

	/* the same email in another case */
	assert_int_equal(ops_account_add(&o, &dup, &out), TALLY_ECONFLICT);
	assert_string_equal(o.field, "email");
	assert_non_null(strstr(strbuf_str(&o.err), "already exists"));
	/* a full single-user account */
	revoke.id = assign(&o, "one@x.io", "first@x.io", 3);
	assert_int_equal(ops_assignment_assign(&o, &to_full, &out),
	    TALLY_ECONFLICT);
	assert_non_null(strstr(strbuf_str(&o.err), "is full: 1 of 1 seats in use"));
	assert_int_equal(qll("SELECT count(*) FROM customers WHERE email ="
	    " 'second@x.io'", NULL), 0);

	/* refused by a rule: twice the same */
	assert_int_equal(ops_account_suspend(&o, &one, &out), 0);
	json_decref(out);
	assert_int_equal(ops_account_suspend(&o, &one, &out), TALLY_EREFUSED);
	assert_non_null(strstr(strbuf_str(&o.err), "already suspended"));
	assert_int_equal(ops_assignment_revoke(&o, &revoke, &out), 0);
	json_decref(out);
	assert_int_equal(ops_assignment_revoke(&o, &revoke, &out),
	    TALLY_EREFUSED);
	assert_non_null(strstr(strbuf_str(&o.err), "already revoked"));
	assert_null(out);
	/* a success clears the last failure */
	assert_int_equal(ops_account_reactivate(&o, &one, &out), 0);
	assert_int_equal(strbuf_str(&o.err)[0], '\0');
	json_decref(out);
	ops_release(&o);
	db_free(db);
}

/* --- import: rows from CSV bytes, all or nothing, lines named ------------- */

static void
test_import_csv(void **state)
{
	static const char bad[] =
	    "email,max_seats,status,note\n"
	    "ok@x.io,2,,\n"
	    "broken,1,,\n"
	    "bad@x.io,x,,\n"
	    "sus@x.io,,SUSPENDED,\n"
	    "twice@x.io,,,\n"
	    "TWICE@x.io,,,\n";
	static const char malformed[] = "email\n\"a@x.io\n";
	static const char good[] =
	    "\xef\xbb\xbf" "email,note\r\n"
	    "exists@x.io,\r\n";
	struct db *db = connect_admin();
	struct ops o;
	struct ops_account_rows rows = { 0 };
	struct ops_account_import_req req = { .source = "body" };
	struct strbuf err = STRBUF_INIT;
	json_t *out = NULL, *e;
	size_t i;

	(void)state;
	ops_init(&o, db, "token:erin", false);
	assert_int_equal(ops_account_csv_parse(bad, sizeof(bad) - 1, "body",
	    &rows, &err), 0);
	assert_int_equal(rows.n, 6);
	req.rows = rows.rows;
	req.nrows = rows.n;
	assert_int_equal(ops_account_import(&o, &req, &out), TALLY_EDATA);
	assert_string_equal(strbuf_str(&o.err), "4 errors; nothing was imported");
	/* in line order, each with its field */
	{
		static const struct { long long line; const char *field; } want[] = {
			{ 3, "email" }, { 4, "max_seats" }, { 5, "note" },
			{ 7, "email" },
		};

		assert_int_equal(json_array_size(o.errors), 4);
		json_array_foreach(o.errors, i, e) {
			assert_int_equal(json_integer_value(json_object_get(e,
			    "line")), want[i].line);
			assert_string_equal(json_string_value(json_object_get(e,
			    "field")), want[i].field);
		}
		assert_non_null(strstr(json_string_value(json_object_get(
		    json_array_get(o.errors, 3), "message")),
		    "is a duplicate of line 6"));
	}
	assert_int_equal(qll("SELECT count(*) FROM pool_accounts", NULL), 0);
	ops_account_rows_release(&rows);

	/* an email already in the pool is found inside the transaction */
	add_account(&o, "EXISTS@x.io", NULL);
	assert_int_equal(ops_account_csv_parse(good, sizeof(good) - 1, "body",
	    &rows, &err), 0);
	req.rows = rows.rows;
	req.nrows = rows.n;
	assert_int_equal(ops_account_import(&o, &req, &out), TALLY_EDATA);
	assert_non_null(strstr(json_string_value(json_object_get(
	    json_array_get(o.errors, 0), "message")), "already exists"));
	ops_account_rows_release(&rows);

	/* a malformed body names its line and gives no rows to import */
	assert_int_equal(ops_account_csv_parse(malformed, sizeof(malformed) - 1,
	    "body", &rows, &err), TALLY_EDATA);
	assert_non_null(strstr(strbuf_str(&err), "body:2:"));
	ops_account_rows_release(&rows);
	strbuf_release(&err);
	ops_release(&o);
	db_free(db);
}

/* --- a paid order's seat goes to whoever paid --------------------------- */

static void
test_assign_for_order(void **state)
{
	struct db *db = connect_admin();
	struct ops o;
	struct ops_assignment_req req = { .order_id = 1 };
	json_t *out = NULL;

	(void)state;
	x("INSERT INTO customers (email) VALUES ('payer@x.io');"
	  "INSERT INTO products (sku, name, kind, duration_days, price_minor,"
	  " currency) VALUES ('seat14', 'Seat 14', 'SEAT', 14, 900, 'USD');"
	  "INSERT INTO orders (source, provider_ref, customer_id, product_id,"
	  " amount_minor, currency, status, paid_at)"
	  " VALUES ('stripe', 'pi_7', 1, 1, 900, 'USD', 'PAID', now());"
	  "INSERT INTO fulfil_queue (order_id) VALUES (1)");
	ops_init(&o, db, "token:hal", false);
	add_account(&o, "pool@x.io", "5");
	/* naming someone else for it is refused, and leaves nothing */
	req.customer = "friend@x.io";
	req.days = 30;
	assert_int_equal(ops_assignment_assign(&o, &req, &out), TALLY_EREFUSED);
	assert_string_equal(o.field, "customer");
	assert_non_null(strstr(strbuf_str(&o.err), "paid by payer@x.io"));
	assert_int_equal(qll("SELECT count(*) FROM customers", NULL), 1);
	assert_int_equal(qll("SELECT count(*) FROM fulfil_queue", NULL), 1);
	assert_int_equal(qll("SELECT count(*) FROM assignments", NULL), 0);
	/* the order alone: its customer, its plan's days */
	req.customer = NULL;
	req.days = 0;
	assert_int_equal(ops_assignment_assign(&o, &req, &out), 0);
	assert_string_equal(item_str(out, "customer"), "payer@x.io");
	assert_true(json_is_false(json_object_get(out, "new_customer")));
	json_decref(out);
	assert_string_equal(q("SELECT (ends_at - starts_at)::text || '|' ||"
	    " order_id FROM assignments", NULL), "14 days|1");
	assert_int_equal(qll("SELECT count(*) FROM fulfilments WHERE"
	    " order_id = 1", NULL), 1);
	ops_release(&o);
	db_free(db);
}

/* --- credits: by id, and a retried request ------------------------------ */

static void
test_credit_replay(void **state)
{
	struct db *db = connect_admin();
	struct ops o;
	struct ops_user_credit_req req = { .delta = 40, .reason = "ticket 7",
	    .request_id = "req-credit-1" };
	json_t *out = NULL;
	char id[24];

	(void)state;
	x("INSERT INTO app_users (external_id, email) VALUES ('u_replay', 'r@x.io')");
	snprintf(id, sizeof(id), "%s", q("SELECT id FROM app_users WHERE"
	    " external_id = 'u_replay'", NULL));
	req.id = strtoll(id, NULL, 10);
	ops_init(&o, db, "token:gil", false);
	assert_int_equal(ops_user_credit(&o, &req, &out), 0);
	assert_int_equal(item_int(out, "balance"), 40);
	assert_true(json_is_false(json_object_get(out, "replay")));
	json_decref(out);
	/* the same request again: nothing more, and said so */
	assert_int_equal(ops_user_credit(&o, &req, &out), 0);
	assert_true(json_is_true(json_object_get(out, "replay")));
	assert_true(json_is_null(json_object_get(out, "item")));
	json_decref(out);
	assert_int_equal(qll("SELECT sum(delta) FROM credit_ledger WHERE"
	    " user_id = $1::bigint", id), 40);
	assert_int_equal(qll("SELECT count(*) FROM audit_log WHERE action ="
	    " 'user.credit' AND actor = 'token:gil'", NULL), 1);
	/* the same id for another amount is refused */
	req.delta = 41;
	assert_int_equal(ops_user_credit(&o, &req, &out), TALLY_EREFUSED);
	assert_string_equal(o.field, "request_id");
	req.id = 999999;
	assert_int_equal(ops_user_credit(&o, &req, &out), TALLY_ENOTFOUND);
	assert_string_equal(strbuf_str(&o.err), "no user 999999");
	ops_release(&o);
	db_free(db);
}

/* --- lists: pages and totals --------------------------------------------- */

static void
test_list_pages(void **state)
{
	struct db *db = connect_admin();
	struct ops o;
	struct ops_account_list_req req = { .page = { 2, 2, 0 } };
	struct ops_audit_list_req audit = { .actor = "token:fay",
	    .page = { 1, 3, 0 } };
	json_t *out = NULL;
	char email[32];

	(void)state;
	ops_init(&o, db, "token:fay", false);
	for (int i = 1; i <= 5; i++) {
		snprintf(email, sizeof(email), "p%d@x.io", i);
		add_account(&o, email, NULL);
	}
	assert_int_equal(ops_account_list(&o, &req, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "total")), 5);
	assert_int_equal(json_integer_value(json_object_get(out, "page")), 2);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(out, "items"), 0), "email")), "p3@x.io");
	/* the columns, in display order, with their types */
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(out, "columns"), 0), "type")), "integer");
	json_decref(out);
	/* past the end: no items, the total still told */
	req.page.page = 4;
	assert_int_equal(ops_account_list(&o, &req, &out), 0);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "total")), 5);
	json_decref(out);
	assert_int_equal(ops_audit_list(&o, &audit, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "total")), 5);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 3);
	json_decref(out);
	ops_release(&o);
	db_free(db);
}

/* --- concurrent extend and revoke of one assignment ---------------------- */

struct racer {
	struct db *db;
	long long pid;
	int (*op)(struct ops *, const struct ops_assignment_req *, json_t **);
	struct ops_assignment_req req;
	const char *actor;
	int rc;
	char err[256];
	pthread_t thread;
};

static void *
race(void *p)
{
	struct racer *r = p;
	struct ops o;
	json_t *out = NULL;

	ops_init(&o, r->db, r->actor, false);
	r->rc = r->op(&o, &r->req, &out);
	snprintf(r->err, sizeof(r->err), "%s", strbuf_str(&o.err));
	json_decref(out);
	ops_release(&o);
	return NULL;
}

static void
racer_start(struct racer *r, struct db *obs)
{
	char *v = NULL;
	char pid[24];
	const char *params[1] = { pid };

	r->db = connect_admin();
	assert_int_equal(db_query_value(r->db, &v, "SELECT pg_backend_pid()", 0,
	    NULL), 0);
	r->pid = strtoll(v, NULL, 10);
	free(v);
	assert_int_equal(pthread_create(&r->thread, NULL, race, r), 0);
	/* wait until it waits for the row: it is then in line */
	snprintf(pid, sizeof(pid), "%lld", r->pid);
	for (;;) {
		assert_int_equal(db_query_value(obs, &v, "SELECT"
		    " cardinality(pg_blocking_pids($1::integer))", 1, params), 0);
		if (strcmp(v, "0") != 0)
			break;
		free(v);
		v = NULL;
	}
	free(v);
}

/*
 * The row is held by a third transaction; first and second line up for
 * it in that order (each seen blocked before the next starts); the holder
 * lets go.  Returns the assignment's id.
 */
static long long
run_race(struct racer *first, struct racer *second)
{
	struct db *obs = NULL;
	PGresult *held = NULL;
	struct ops o;
	long long id;
	char idbuf[24];
	const char *params[1] = { idbuf };

	assert_int_equal(db_connect_url(&obs, url, "test_ops_observer", NULL), 0);
	ops_init(&o, tdb, "token:setup", false);
	add_account(&o, "race@x.io", "3");
	id = assign(&o, "race@x.io", "racer@x.io", 10);
	ops_release(&o);
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	first->req.id = second->req.id = id;

	assert_int_equal(db_begin(tdb, DB_READ_COMMITTED), 0);
	assert_int_equal(db_query(tdb, &held, "SELECT 1 FROM assignments"
	    " WHERE id = $1::bigint FOR UPDATE", 1, params), 0);
	PQclear(held);
	racer_start(first, obs);
	racer_start(second, obs);
	assert_int_equal(db_commit(tdb), 0);
	pthread_join(first->thread, NULL);
	pthread_join(second->thread, NULL);
	db_free(first->db);
	db_free(second->db);
	db_free(obs);
	return id;
}

static void
test_extend_then_revoke(void **state)
{
	struct racer ext = { .op = ops_assignment_extend, .actor = "token:ext",
	    .req = { .days = 5, .reason = "goodwill" } };
	struct racer rev = { .op = ops_assignment_revoke, .actor = "token:rev",
	    .req = { .reason = "chargeback" } };
	char id[24];

	(void)state;
	snprintf(id, sizeof(id), "%lld", run_race(&ext, &rev));
	assert_int_equal(ext.rc, 0);
	assert_int_equal(rev.rc, 0);
	/* both happened, one after the other: revoked, with the later end */
	assert_string_equal(q("SELECT status || '|' || (ends_at - starts_at)::text"
	    " FROM assignments WHERE id = $1::bigint", id), "REVOKED|15 days");
	/* the revoke saw the extend: its before is the extend's after */
	assert_int_equal(qll("SELECT count(*) FROM audit_log e, audit_log r"
	    " WHERE e.action = 'assignment.extend' AND e.entity_id = $1"
	    " AND r.action = 'assignment.revoke' AND r.entity_id = $1"
	    " AND e.actor = 'token:ext' AND r.actor = 'token:rev'"
	    " AND r.before->'ends_at' = e.after->'ends_at' AND r.id > e.id", id),
	    1);
	/* the seat is free, counted once */
	assert_int_equal(qll("SELECT current_seats_used FROM pool_accounts", NULL),
	    0);
}

static void
test_revoke_then_extend(void **state)
{
	struct racer ext = { .op = ops_assignment_extend, .actor = "token:ext2",
	    .req = { .days = 5 } };
	struct racer rev = { .op = ops_assignment_revoke, .actor = "token:rev2",
	    .req = { .reason = "chargeback" } };
	char id[24];

	(void)state;
	snprintf(id, sizeof(id), "%lld", run_race(&rev, &ext));
	assert_int_equal(rev.rc, 0);
	/* the extend waited, then saw a revoked assignment */
	assert_int_equal(ext.rc, TALLY_EREFUSED);
	assert_non_null(strstr(ext.err, "is REVOKED"));
	assert_string_equal(q("SELECT status || '|' || (ends_at - starts_at)::text"
	    " FROM assignments WHERE id = $1::bigint", id), "REVOKED|10 days");
	/* the audit log is append-only: this test's rows are its actors' */
	assert_int_equal(qll("SELECT count(*) FROM audit_log"
	    " WHERE action = 'assignment.extend' AND actor = 'token:ext2'", NULL),
	    0);
	assert_int_equal(qll("SELECT count(*) FROM audit_log"
	    " WHERE action = 'assignment.revoke' AND actor = 'token:rev2'"
	    " AND entity_id = $1", id), 1);
	assert_int_equal(qll("SELECT current_seats_used FROM pool_accounts", NULL),
	    0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_audit_same_transaction, reset),
		cmocka_unit_test_setup(test_dry_run, reset),
		cmocka_unit_test_setup(test_usage_errors_need_no_database, reset),
		cmocka_unit_test_setup(test_not_found_conflict_refused, reset),
		cmocka_unit_test_setup(test_import_csv, reset),
		cmocka_unit_test_setup(test_assign_for_order, reset),
		cmocka_unit_test_setup(test_credit_replay, reset),
		cmocka_unit_test_setup(test_list_pages, reset),
		cmocka_unit_test_setup(test_extend_then_revoke, reset),
		cmocka_unit_test_setup(test_revoke_then_extend, reset),
	};

	testdb_require();
	return cmocka_run_group_tests(tests, setup, teardown);
}
