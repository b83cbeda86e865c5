/*
 * test_admin_api.c - tally-admin's JSON API over real HTTP on loopback,
 * against a real database: who may do what (missing, malformed, unknown,
 * wrong, revoked and expired tokens; a read token writing; the failure
 * rate limit), dry runs that keep nothing, Idempotency-Key replays (and
 * refusals, per token, under a race), pages with their total and Link,
 * problem+json for every class of failure, the access log, an import
 * all or nothing, every route's success path (its answer, the rows it
 * leaves, the token as the audit actor), empty filters that filter
 * nothing, and an extend and a revoke of one assignment at once
 * staying consistent (ordered with a row lock and pg_blocking_pids,
 * never with sleeps).
 */
#include <pthread.h>

#include "support/admin_test.h"

#define API "/api/admin"
#define JSON "application/json"

static char *t_read, *t_write, *t_admin;

static int
setup(void **state)
{
	t_setup(state);
	t_read = t_token("reader", "read");
	t_write = t_token("writer", "write");
	t_admin = t_token("boss", "admin");
	return 0;
}

static int
teardown(void **state)
{
	free(t_read);
	free(t_write);
	free(t_admin);
	return t_teardown(state);
}

/* POST an account with the write token; its id. */
static long long
account(const char *email, const char *seats)
{
	struct t_resp r;
	struct strbuf b = STRBUF_INIT;
	long long id;

	strbuf_addf(&b, "{\"email\":\"%s\",\"note\":\"n\",\"status\":\"AVAILABLE\","
	    "\"max_seats\":%s}", email, seats);
	if (t_http(&r, "POST", API "/chatgpt-accounts", t_write, JSON, b.buf,
	    NULL) != 201)
		fail_msg("add %s: %ld %s", email, r.status, strbuf_str(&r.body));
	id = json_integer_value(json_object_get(r.json, "id"));
	t_resp_free(&r);
	strbuf_release(&b);
	return id;
}

/* A seat by hand on account id; the assignment's id. */
static long long
assignment(long long account_id, const char *customer, int days)
{
	struct t_resp r;
	struct strbuf b = STRBUF_INIT;
	long long id;

	strbuf_addf(&b, "{\"account_id\":%lld,\"customer_email\":\"%s\","
	    "\"days\":%d}", account_id, customer, days);
	if (t_http(&r, "POST", API "/account-assignments", t_write, JSON, b.buf,
	    NULL) != 201)
		fail_msg("assign: %ld %s", r.status, strbuf_str(&r.body));
	id = json_integer_value(json_object_get(r.json, "id"));
	t_resp_free(&r);
	strbuf_release(&b);
	return id;
}

/* ---- who may do what ---- */

static void
test_auth_failures(void **state)
{
	struct t_resp r;
	char bad[OPS_TOKEN_LEN + 1], other[OPS_TOKEN_LEN + 1];
	char *revoked = t_token("gone", "write");
	char *expired = t_token("old", "write");

	(void)state;
	/* no credentials: 401 with the challenge, no error code */
	t_http(&r, "GET", API "/chatgpt-accounts", NULL, NULL, NULL, NULL);
	t_problem(&r, 401, "unauthorized", NULL);
	assert_string_equal(t_header(&r, "WWW-Authenticate"),
	    "Bearer realm=\"tally-admin\"");
	t_resp_free(&r);
	/* another scheme, a malformed token: invalid_token */
	t_http(&r, "GET", API "/chatgpt-accounts", NULL, NULL, NULL,
	    "Authorization: Basic d3JpdGVyOnB3", NULL);
	t_problem(&r, 401, "unauthorized", NULL);
	assert_string_equal(t_header(&r, "WWW-Authenticate"),
	    "Bearer realm=\"tally-admin\", error=\"invalid_token\"");
	t_resp_free(&r);
	t_expect_problem("GET", API "/chatgpt-accounts", "tly_nonsense", NULL,
	    NULL, 401, "unauthorized", NULL);
	/* the right key id with the last character of the secret changed:
	 * the hash comparison, not the lookup, refuses it */
	snprintf(bad, sizeof(bad), "%s", t_write);
	bad[OPS_TOKEN_LEN - 1] = bad[OPS_TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
	t_expect_problem("GET", API "/chatgpt-accounts", bad, NULL, NULL, 401,
	    "unauthorized", NULL);
	/* ...and the first character of the secret */
	snprintf(bad, sizeof(bad), "%s", t_write);
	bad[4 + OPS_TOKEN_KEY_LEN + 1] ^= 1;
	if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	    "-_", bad[4 + OPS_TOKEN_KEY_LEN + 1]) == NULL)
		bad[4 + OPS_TOKEN_KEY_LEN + 1] = 'x';
	t_expect_problem("GET", API "/chatgpt-accounts", bad, NULL, NULL, 401,
	    "unauthorized", NULL);
	/* a valid secret under another key id */
	snprintf(other, sizeof(other), "%s", t_write);
	memcpy(other + 4, t_read + 4, OPS_TOKEN_KEY_LEN);
	t_expect_problem("GET", API "/chatgpt-accounts", other, NULL, NULL, 401,
	    "unauthorized", NULL);
	/* two Authorization headers: which one counts cannot be known */
	{
		struct strbuf h = STRBUF_INIT;

		strbuf_addf(&h, "Authorization: Bearer %s", t_read);
		t_http(&r, "GET", API "/chatgpt-accounts", t_write, NULL, NULL,
		    h.buf, NULL);
		t_problem(&r, 401, "unauthorized", NULL);
		t_resp_free(&r);
		strbuf_release(&h);
	}
	/* revoked, then expired */
	{
		struct ops_token_req req = { .name = "gone", .reason = "test" };
		struct ops o;
		json_t *out = NULL;

		assert_int_equal(t_http(&r, "GET", API "/chatgpt-accounts", revoked,
		    NULL, NULL, NULL), 200);
		t_resp_free(&r);
		ops_init(&o, t_db, "test", false);
		assert_int_equal(ops_token_revoke(&o, &req, &out), 0);
		json_decref(out);
		ops_release(&o);
		t_expect_problem("GET", API "/chatgpt-accounts", revoked, NULL,
		    NULL, 401, "unauthorized", NULL);
	}
	t_x("UPDATE api_tokens SET expires_at = now() - interval '1 second'"
	    " WHERE name = 'old'");
	t_expect_problem("GET", API "/chatgpt-accounts", expired, NULL, NULL,
	    401, "unauthorized", NULL);
	/* the access log names the token a refused request tried */
	assert_int_equal(t_qll("SELECT count(*) FROM admin_access_log WHERE"
	    " status = 401 AND actor IN ('token:gone', 'token:old',"
	    " 'token:writer')", NULL), 4);
	/* nothing was let through or changed by any of it */
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log WHERE actor LIKE"
	    " 'token:%'", NULL), 0);
	free(revoked);
	free(expired);
}

static void
test_roles(void **state)
{
	struct t_resp r;
	const char *body = "{\"email\":\"r@pool.example\",\"max_seats\":null}";

	(void)state;
	/* read reads, and may not write: 403 */
	assert_int_equal(t_http(&r, "GET", API "/chatgpt-accounts", t_read, NULL,
	    NULL, NULL), 200);
	t_resp_free(&r);
	t_expect_problem("POST", API "/chatgpt-accounts", t_read, JSON, body,
	    403, "forbidden", NULL);
	assert_int_equal(t_qll("SELECT count(*) FROM pool_accounts", NULL), 0);
	/* write changes the pool, but gives no credits and reads no access
	 * log: those are admin's */
	assert_int_equal(t_http(&r, "POST", API "/chatgpt-accounts", t_write,
	    JSON, body, NULL), 201);
	t_resp_free(&r);
	t_expect_problem("POST", API "/users/1/credits", t_write, JSON,
	    "{\"delta\":5,\"reason\":\"gift\"}", 403, "forbidden", NULL);
	t_expect_problem("GET", API "/access-logs", t_write, NULL, NULL, 403,
	    "forbidden", NULL);
	assert_int_equal(t_http(&r, "GET", API "/access-logs", t_admin, NULL,
	    NULL, NULL), 200);
	t_resp_free(&r);
	/* the change is audited as the token */
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log WHERE actor ="
	    " 'token:writer' AND action = 'account.add'", NULL), 1);
	/* the token's use is stamped */
	assert_int_equal(t_qll("SELECT count(*) FROM api_tokens WHERE"
	    " last_used_at IS NOT NULL", NULL), 3);
}

/* A user's status: admin only, audited as the token, refused when it
 * is the status already, shown in the list. */
static void
test_user_status(void **state)
{
	const char *body = "{\"status\":\"suspended\",\"reason\":\"fraud\"}";
	struct t_resp r;

	(void)state;
	t_x("INSERT INTO app_users (external_id, email) VALUES ('u_1', 'a@x.io')");
	t_expect_problem("PUT", API "/users/1/status", t_write, JSON, body, 403,
	    "forbidden", NULL);
	assert_int_equal(t_http(&r, "PUT", API "/users/1/status", t_admin, JSON,
	    body, NULL), 200);
	assert_string_equal(json_string_value(json_object_get(r.json, "status")),
	    "suspended");
	t_resp_free(&r);
	assert_string_equal(t_q("SELECT actor || '|' || reason FROM audit_log"
	    " WHERE action = 'user.status'", NULL), "token:boss|fraud");
	t_expect_problem("PUT", API "/users/1/status", t_admin, JSON, body, 422,
	    "refused", "status");
	t_expect_problem("PUT", API "/users/1/status", t_admin, JSON,
	    "{\"status\":\"gone\",\"reason\":\"x\"}", 400, "bad-request",
	    "status");
	t_expect_problem("PUT", API "/users/9/status", t_admin, JSON, body, 404,
	    "not-found", NULL);
	assert_int_equal(t_http(&r, "GET", API "/users", t_read, NULL, NULL,
	    NULL), 200);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(r.json, "items"), 0), "status")), "suspended");
	t_resp_free(&r);
	/* one user, with its ledger; the models' usage */
	t_x("INSERT INTO credit_ledger (user_id, delta, kind, ref) VALUES"
	    " (1, 9, 'PURCHASE', 'o1'); INSERT INTO models (name) VALUES ('flux')");
	assert_int_equal(t_http(&r, "GET", API "/users/1", t_read, NULL, NULL,
	    NULL), 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "balance")),
	    9);
	assert_string_equal(json_string_value(json_object_get(r.json,
	    "status_reason")), "fraud");
	assert_int_equal(json_array_size(json_object_get(r.json, "ledger")), 1);
	t_resp_free(&r);
	t_expect_problem("GET", API "/users/x", t_read, NULL, NULL, 404,
	    "not-found", NULL);
	assert_int_equal(t_http(&r, "GET", API "/models/usage?days=7", t_read,
	    NULL, NULL, NULL), 200);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(r.json, "items"), 0), "calls")), 0);
	t_resp_free(&r);
	t_expect_problem("GET", API "/models/usage?days=0", t_read, NULL, NULL,
	    400, "bad-request", NULL);
}

/* Exchange rates: set by admin, read by all, through ops_fx_*. */
static void
test_fx(void **state)
{
	const char *body = "{\"from\":\"EUR\",\"to\":\"USD\",\"rate\":\"1.08\","
	    "\"valid_from\":\"2026-11-01\"}";
	struct t_resp r;

	(void)state;
	t_expect_problem("POST", API "/fx-rates", t_write, JSON, body, 403,
	    "forbidden", NULL);
	/* a float cannot carry a rate exactly */
	t_expect_problem("POST", API "/fx-rates", t_admin, JSON,
	    "{\"from\":\"EUR\",\"to\":\"USD\",\"rate\":1.08,"
	    "\"valid_from\":\"2026-11-01\"}", 400, "bad-request", NULL);
	assert_int_equal(t_http(&r, "POST", API "/fx-rates", t_admin, JSON, body,
	    NULL), 201);
	assert_string_equal(json_string_value(json_object_get(r.json, "rate")),
	    "1.08");
	t_resp_free(&r);
	t_http(&r, "GET", API "/fx-rates?from=EUR", t_read, NULL, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 1);
	t_resp_free(&r);
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log WHERE action ="
	    " 'fx.set' AND actor = 'token:boss'", NULL), 1);
}

/* ---- dry runs ---- */

static void
test_dry_run(void **state)
{
	struct t_resp r;
	long long acc, asg;
	char path[128];
	const char *ends;
	char before[64];

	(void)state;
	t_http(&r, "POST", API "/chatgpt-accounts?dry_run=true", t_write, JSON,
	    "{\"email\":\"dry@pool.example\",\"max_seats\":2}", NULL);
	assert_int_equal(r.status, 200);
	assert_true(json_is_true(json_object_get(r.json, "dry_run")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    r.json, "would_be"), "email")), "dry@pool.example");
	assert_string_equal(t_header(&r, "Location"), "");
	t_resp_free(&r);
	assert_int_equal(t_qll("SELECT count(*) FROM pool_accounts", NULL), 0);
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log WHERE entity ="
	    " 'account'", NULL), 0);

	acc = account("dry@pool.example", "2");
	asg = assignment(acc, "c@x.example", 10);
	snprintf(before, sizeof(before), "%s", t_q("SELECT ends_at::text FROM"
	    " assignments", NULL));
	snprintf(path, sizeof(path), API "/account-assignments/%lld/extend"
	    "?dry_run=true", asg);
	t_http(&r, "POST", path, t_write, JSON, "{\"additional_days\":5}", NULL);
	assert_int_equal(r.status, 200);
	ends = json_string_value(json_object_get(json_object_get(r.json,
	    "would_be"), "ends_at"));
	assert_non_null(ends);
	assert_string_not_equal(ends, before);
	t_resp_free(&r);
	assert_string_equal(t_q("SELECT ends_at::text FROM assignments", NULL),
	    before);
	snprintf(path, sizeof(path), API "/account-assignments/%lld/revoke"
	    "?dry_run=1", asg);
	assert_int_equal(t_http(&r, "POST", path, t_write, JSON,
	    "{\"reason\":\"test\"}", NULL), 200);
	t_resp_free(&r);
	assert_string_equal(t_q("SELECT status FROM assignments", NULL),
	    "ACTIVE");
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log WHERE action IN"
	    " ('assignment.extend', 'assignment.revoke')", NULL), 0);
	/* a refused dry run is refused like the real thing */
	snprintf(path, sizeof(path), API "/chatgpt-accounts/%lld?dry_run=true",
	    acc);
	t_expect_problem("PUT", path, t_write, JSON,
	    "{\"status\":\"AVAILABLE\"}", 422, "refused", NULL);
	t_expect_problem("POST", API "/chatgpt-accounts?dry_run=perhaps",
	    t_write, JSON, "{\"email\":\"x@pool.example\"}", 400, "bad-request",
	    "dry_run");
}

/* ---- Idempotency-Key ---- */

static void
test_idempotency(void **state)
{
	const char *body = "{\"email\":\"idem@pool.example\",\"max_seats\":3}";
	struct t_resp a, b, c;
	char *second = t_token("writer2", "write");
	char path[128];
	long long acc, asg;

	(void)state;
	t_http(&a, "POST", API "/chatgpt-accounts", t_write, JSON, body,
	    "Idempotency-Key: k-1", NULL);
	assert_int_equal(a.status, 201);
	t_http(&b, "POST", API "/chatgpt-accounts", t_write, JSON, body,
	    "Idempotency-Key: k-1", NULL);
	/* the first answer, byte for byte, said to be a replay */
	assert_int_equal(b.status, 201);
	assert_string_equal(strbuf_str(&b.body), strbuf_str(&a.body));
	assert_string_equal(t_header(&b, "Location"), t_header(&a, "Location"));
	assert_string_equal(t_header(&b, "Idempotent-Replayed"), "true");
	assert_string_equal(t_header(&a, "Idempotent-Replayed"), "");
	assert_int_equal(t_qll("SELECT count(*) FROM pool_accounts", NULL), 1);
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log WHERE entity ="
	    " 'account'", NULL), 1);
	/* the same key with another body: 422, nothing done */
	t_http(&c, "POST", API "/chatgpt-accounts", t_write, JSON,
	    "{\"email\":\"other@pool.example\"}", "Idempotency-Key: k-1", NULL);
	t_problem(&c, 422, "refused", NULL);
	assert_int_equal(t_qll("SELECT count(*) FROM pool_accounts", NULL), 1);
	t_resp_free(&a);
	t_resp_free(&b);
	t_resp_free(&c);
	/* ...or the same body on another path */
	t_http(&c, "POST", API "/chatgpt-accounts?dry_run=false", t_write, JSON,
	    body, "Idempotency-Key: k-1", NULL);
	t_problem(&c, 422, "refused", NULL);
	t_resp_free(&c);

	/* keys are per token: another token's k-2 is another key */
	acc = t_qll("SELECT id FROM pool_accounts", NULL);
	asg = assignment(acc, "c@x.example", 10);
	snprintf(path, sizeof(path), API "/account-assignments/%lld/extend", asg);
	assert_int_equal(t_http(&a, "POST", path, t_write, JSON,
	    "{\"additional_days\":1}", "Idempotency-Key: k-2", NULL), 200);
	assert_int_equal(t_http(&b, "POST", path, second, JSON,
	    "{\"additional_days\":1}", "Idempotency-Key: k-2", NULL), 200);
	assert_string_equal(t_header(&b, "Idempotent-Replayed"), "");
	assert_int_equal(t_http(&c, "POST", path, t_write, JSON,
	    "{\"additional_days\":1}", "Idempotency-Key: k-2", NULL), 200);
	assert_string_equal(t_header(&c, "Idempotent-Replayed"), "true");
	assert_string_equal(strbuf_str(&c.body), strbuf_str(&a.body));
	/* two extends happened (one per token), not three */
	assert_string_equal(t_q("SELECT (ends_at - starts_at)::text FROM"
	    " assignments", NULL), "12 days");
	t_resp_free(&a);
	t_resp_free(&b);
	t_resp_free(&c);
	/* a dry run neither replays nor records */
	assert_int_equal(t_http(&a, "POST", API "/chatgpt-accounts?dry_run=true",
	    t_write, JSON, "{\"email\":\"d@pool.example\"}",
	    "Idempotency-Key: k-3", NULL), 200);
	assert_int_equal(t_http(&b, "POST", API "/chatgpt-accounts", t_write,
	    JSON, "{\"email\":\"d@pool.example\"}", "Idempotency-Key: k-3",
	    NULL), 201);
	t_resp_free(&a);
	t_resp_free(&b);
	/* a failure is not kept: its retry is asked again */
	t_http(&a, "POST", API "/chatgpt-accounts", t_write, JSON,
	    "{\"email\":\"d@pool.example\"}", "Idempotency-Key: k-4", NULL);
	t_problem(&a, 409, "conflict", "email");
	t_resp_free(&a);
	assert_int_equal(t_qll("SELECT count(*) FROM admin_idempotency WHERE"
	    " key = 'k-4'", NULL), 0);
	/* a key of 256 characters is refused */
	{
		char h[300];

		snprintf(h, sizeof(h), "Idempotency-Key: %0256d", 7);
		t_http(&a, "POST", API "/chatgpt-accounts", t_write, JSON,
		    "{\"email\":\"e@pool.example\"}", h, NULL);
		t_problem(&a, 400, "bad-request", NULL);
		t_resp_free(&a);
	}
	/* keys expire */
	t_x("UPDATE admin_idempotency SET expires_at = now() - interval '1 s'"
	    " WHERE key = 'k-1'");
	t_http(&a, "POST", API "/chatgpt-accounts", t_write, JSON, body,
	    "Idempotency-Key: k-1", NULL);
	t_problem(&a, 409, "conflict", "email");
	t_resp_free(&a);
	free(second);
}

/* ---- pages ---- */

static void
test_pagination(void **state)
{
	struct t_resp r;
	char email[64];
	const char *link;

	(void)state;
	for (int i = 1; i <= 7; i++) {
		snprintf(email, sizeof(email), "p%d@pool.example", i);
		account(email, i % 2 ? "null" : "2");
	}
	t_http(&r, "GET", API "/chatgpt-accounts?status=AVAILABLE&per_page=3"
	    "&page=2", t_read, NULL, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 7);
	assert_int_equal(json_integer_value(json_object_get(r.json, "page")), 2);
	assert_int_equal(json_integer_value(json_object_get(r.json, "per_page")),
	    3);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(r.json, "items"), 0), "id")), 4);
	assert_null(json_object_get(r.json, "columns"));
	link = t_header(&r, "Link");
	assert_non_null(strstr(link, "</api/admin/chatgpt-accounts?page=1&"
	    "per_page=3&status=AVAILABLE>; rel=\"first\""));
	assert_non_null(strstr(link, "?page=1&per_page=3&status=AVAILABLE>; "
	    "rel=\"prev\""));
	assert_non_null(strstr(link, "?page=3&per_page=3&status=AVAILABLE>; "
	    "rel=\"next\""));
	assert_non_null(strstr(link, "?page=3&per_page=3&status=AVAILABLE>; "
	    "rel=\"last\""));
	t_resp_free(&r);
	t_http(&r, "GET", API "/chatgpt-accounts?per_page=3&page=3", t_read,
	    NULL, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
	assert_null(strstr(t_header(&r, "Link"), "rel=\"next\""));
	t_resp_free(&r);
	/* past the end: an empty page, not an error */
	t_http(&r, "GET", API "/chatgpt-accounts?page=9", t_read, NULL, NULL,
	    NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
	t_resp_free(&r);
	t_expect_problem("GET", API "/chatgpt-accounts?per_page=501", t_read,
	    NULL, NULL, 400, "bad-request", "per_page");
	t_expect_problem("GET", API "/chatgpt-accounts?page=0", t_read, NULL,
	    NULL, 400, "bad-request", "page");
	/* a query value cannot smuggle a header through the Link it is
	 * copied into: CR LF is encoded, and no header is added */
	t_http(&r, "GET", API "/chatgpt-accounts?search=%0D%0AX-Injected:%20yes",
	    t_read, NULL, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(t_header(&r, "X-Injected"), "");
	assert_non_null(strstr(t_header(&r, "Link"),
	    "search=%0D%0AX-Injected%3A%20yes"));
	t_resp_free(&r);
	/* HEAD answers like GET, without a body */
	assert_int_equal(t_http(&r, "HEAD", API "/chatgpt-accounts", t_read,
	    NULL, NULL, NULL), 200);
	assert_int_equal(r.body.len, 0);
	t_resp_free(&r);
}

/* ---- a problem for every class ---- */

static void
test_problems(void **state)
{
	struct t_resp r;
	long long acc;
	char path[128], big[5000];

	(void)state;
	acc = account("dup@pool.example", "null");
	/* 400: a field missing, of the wrong type, unknown; not JSON */
	t_expect_problem("POST", API "/chatgpt-accounts", t_write, JSON,
	    "{\"note\":\"no email\"}", 400, "bad-request", "email");
	t_expect_problem("POST", API "/chatgpt-accounts", t_write, JSON,
	    "{\"email\":\"a@b.example\",\"max_seats\":\"three\"}", 400,
	    "bad-request", "max_seats");
	t_expect_problem("POST", API "/chatgpt-accounts", t_write, JSON,
	    "{\"email\":\"a@b.example\",\"max_seat\":3}", 400, "bad-request",
	    "max_seat");
	t_expect_problem("POST", API "/chatgpt-accounts", t_write, JSON,
	    "{\"email\":", 400, "bad-request", NULL);
	/* 404: no such account; no such route */
	t_expect_problem("GET", API "/chatgpt-accounts/999", t_read, NULL, NULL,
	    404, "not-found", NULL);
	t_expect_problem("GET", API "/nothing-here", t_read, NULL, NULL, 404,
	    "not-found", NULL);
	/* 405 with what is allowed */
	t_http(&r, "DELETE", API "/chatgpt-accounts", t_write, NULL, NULL, NULL);
	t_problem(&r, 405, "method-not-allowed", NULL);
	assert_string_equal(t_header(&r, "Allow"), "POST, GET, HEAD");
	t_resp_free(&r);
	/* 409: the email is in the pool (any case) */
	t_expect_problem("POST", API "/chatgpt-accounts", t_write, JSON,
	    "{\"email\":\"DUP@pool.example\"}", 409, "conflict", "email");
	/* 422: a rule says no (suspended twice) */
	snprintf(path, sizeof(path), API "/chatgpt-accounts/%lld", acc);
	assert_int_equal(t_http(&r, "PUT", path, t_write, JSON,
	    "{\"status\":\"SUSPENDED\",\"note\":\"broken\"}", NULL), 200);
	t_resp_free(&r);
	t_expect_problem("PUT", path, t_write, JSON,
	    "{\"status\":\"SUSPENDED\",\"note\":\"again\"}", 422, "refused",
	    NULL);
	/* 413: past max_body (4096 here), declared or not */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	t_expect_problem("POST", API "/chatgpt-accounts", t_write, JSON, big,
	    413, "too-large", NULL);
	/* 415: JSON is JSON */
	t_expect_problem("POST", API "/chatgpt-accounts", t_write, "text/plain",
	    "{\"email\":\"t@pool.example\"}", 415, "unsupported-media-type",
	    NULL);
	/* 500: the server's message stays in its log */
	t_x("REVOKE SELECT ON pool_accounts FROM tally_admin_api");
	t_http(&r, "GET", API "/chatgpt-accounts", t_read, NULL, NULL, NULL);
	t_problem(&r, 500, "internal", NULL);
	assert_null(strstr(strbuf_str(&r.body), "pool_accounts"));
	assert_null(strstr(strbuf_str(&r.body), "permission"));
	t_resp_free(&r);
	t_x("GRANT SELECT ON pool_accounts TO tally_admin_api");
	assert_int_equal(t_qll("SELECT count(*) FROM pool_accounts", NULL), 1);
}

/* 503 with Retry-After: a server whose database cannot be reached. */
static void
test_unavailable(void **state)
{
	struct t_resp r;

	(void)state;
	admin_server_stop(t_srv);
	t_start_db("host=/nonexistent/tally port=5432 dbname=nothing");
	t_http(&r, "GET", API "/chatgpt-accounts", t_read, NULL, NULL, NULL);
	t_problem(&r, 503, "unavailable", NULL);
	assert_string_equal(t_header(&r, "Retry-After"), "1");
	t_resp_free(&r);
	t_http(&r, "GET", "/healthz", NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 503);
	assert_string_equal(t_header(&r, "Retry-After"), "1");
	t_resp_free(&r);
	/* the public document needs no database */
	assert_int_equal(t_http(&r, "GET", API "/openapi.json", NULL, NULL, NULL,
	    NULL), 200);
	t_resp_free(&r);
}

/* ---- import ---- */

static void
test_import(void **state)
{
	struct t_resp r;
	const json_t *e;

	(void)state;
	t_http(&r, "POST", API "/chatgpt-accounts/import", t_write, "text/csv",
	    "email,note,max_seats,status\n"
	    "a1@pool.example,one,,AVAILABLE\n"
	    "a2@pool.example,\"two, shared\",3,AVAILABLE\n", NULL);
	assert_int_equal(r.status, 201);
	assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 2);
	t_resp_free(&r);
	/* a bad value and a duplicate: every line named, nothing imported */
	t_http(&r, "POST", API "/chatgpt-accounts/import", t_write, "text/csv",
	    "email,max_seats\n"
	    "b1@pool.example,\n"
	    "not-an-email,\n"
	    "b1@pool.example,2\n", NULL);
	t_problem(&r, 400, "bad-request", NULL);
	assert_int_equal(json_array_size(json_object_get(r.json, "errors")), 2);
	e = json_array_get(json_object_get(r.json, "errors"), 0);
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 3);
	assert_string_equal(json_string_value(json_object_get(e, "field")),
	    "email");
	t_resp_free(&r);
	assert_int_equal(t_qll("SELECT count(*) FROM pool_accounts", NULL), 2);
	/* an email already in the pool */
	t_http(&r, "POST", API "/chatgpt-accounts/import", t_write, "text/csv",
	    "email\nb2@pool.example\nA1@pool.example\n", NULL);
	t_problem(&r, 400, "bad-request", NULL);
	e = json_array_get(json_object_get(r.json, "errors"), 0);
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 3);
	t_resp_free(&r);
	assert_int_equal(t_qll("SELECT count(*) FROM pool_accounts", NULL), 2);
	/* a JSON array: errors by index */
	t_http(&r, "POST", API "/chatgpt-accounts/import", t_write, JSON,
	    "[{\"email\":\"c1@pool.example\",\"max_seats\":2},"
	    "{\"email\":\"c2@pool.example\",\"max_seats\":0}]", NULL);
	t_problem(&r, 400, "bad-request", NULL);
	e = json_array_get(json_object_get(r.json, "errors"), 0);
	assert_int_equal(json_integer_value(json_object_get(e, "index")), 1);
	assert_null(json_object_get(e, "line"));
	t_resp_free(&r);
	assert_int_equal(t_http(&r, "POST", API "/chatgpt-accounts/import",
	    t_write, JSON, "[{\"email\":\"c1@pool.example\",\"max_seats\":2},"
	    "{\"email\":\"c2@pool.example\",\"max_seats\":null}]", NULL), 201);
	t_resp_free(&r);
	assert_int_equal(t_qll("SELECT count(*) FROM pool_accounts", NULL), 4);
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log WHERE action ="
	    " 'account.import' AND actor = 'token:writer'", NULL), 4);
}

/* ---- the access log ---- */

static void
test_access_log(void **state)
{
	struct t_resp r;
	long long before;

	(void)state;
	before = t_qll("SELECT count(*) FROM admin_access_log", NULL);
	t_http(&r, "GET", API "/chatgpt-accounts?status=ASSIGNED", t_read, NULL,
	    NULL, NULL);
	t_resp_free(&r);
	t_http(&r, "GET", "/nowhere", NULL, NULL, NULL, NULL);
	t_resp_free(&r);
	t_http(&r, "GET", API "/chatgpt-accounts", NULL, NULL, NULL, NULL);
	t_resp_free(&r);
	/* every request is a row, before its answer left */
	assert_int_equal(t_qll("SELECT count(*) FROM admin_access_log", NULL),
	    before + 3);
	assert_string_equal(t_q("SELECT method || ' ' || path || ' ' ||"
	    " coalesce(query, '-') || ' ' || coalesce(actor, '-') || ' ' ||"
	    " status FROM admin_access_log ORDER BY id DESC LIMIT 1 OFFSET 2",
	    NULL), "GET /api/admin/chatgpt-accounts status=ASSIGNED token:reader "
	    "200");
	assert_string_equal(t_q("SELECT path || ' ' || status FROM"
	    " admin_access_log ORDER BY id DESC LIMIT 1 OFFSET 1", NULL),
	    "/nowhere 404");
	/* read back through the API, by token */
	t_http(&r, "GET", API "/access-logs?token=reader&per_page=5", t_admin,
	    NULL, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(r.json, "items"), 0), "actor")), "token:reader");
	t_resp_free(&r);
}

/* ---- routes, one by one ---- */

/* A member of an object as text ("" when absent; numbers as digits);
 * static, overwritten by the next call. */
static const char *
jtext(const json_t *o, const char *key)
{
	static char buf[256];
	const json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, sizeof(buf), "%s", json_is_true(v) ? "true" : "false");
	else
		buf[0] = '\0';
	return buf;
}

/* The members keys (separated by spaces) of o, joined with '|' (static):
 * to compare an answer with its row read back the same way. */
static const char *
fields(const json_t *o, const char *keys)
{
	static char buf[512];
	char key[64];
	size_t n = 0;

	buf[0] = '\0';
	while (*keys != '\0') {
		size_t k = strcspn(keys, " ");

		snprintf(key, sizeof(key), "%.*s", (int)k, keys);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    n > 0 ? "|" : "", jtext(o, key));
		keys += k + (keys[k] == ' ');
	}
	return buf;
}

/* GET path with token, which must answer 200: key of every item of the
 * list, joined with spaces (static).  The total too, when total. */
static const char *
list_of(const char *path, const char *token, const char *key,
    long long *total)
{
	static char buf[1024];
	struct t_resp r;
	const json_t *it;
	size_t i, n = 0;

	if (t_http(&r, "GET", path, token, NULL, NULL, NULL) != 200)
		fail_msg("GET %s: %ld %s", path, r.status, strbuf_str(&r.body));
	buf[0] = '\0';
	json_array_foreach(json_object_get(r.json, "items"), i, it)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    i > 0 ? " " : "", jtext(it, key));
	if (total != NULL)
		*total = json_integer_value(json_object_get(r.json, "total"));
	t_resp_free(&r);
	return buf;
}

/* One account, by id; its other fields changed by PUT; a full account
 * refuses another seat (409). */
static void
test_account_routes(void **state)
{
	struct t_resp r;
	char path[128], id[24];
	long long acc, solo;

	(void)state;
	acc = account("show@pool.example", "3");
	assignment(acc, "c@x.example", 10);
	snprintf(id, sizeof(id), "%lld", acc);
	snprintf(path, sizeof(path), API "/chatgpt-accounts/%lld", acc);
	assert_int_equal(t_http(&r, "GET", path, t_read, NULL, NULL, NULL), 200);
	assert_string_equal(jtext(r.json, "email"), "show@pool.example");
	assert_string_equal(jtext(r.json, "max_seats"), "3");
	assert_string_equal(jtext(r.json, "seats_used"), "1");
	assert_string_equal(jtext(r.json, "seats_free"), "2");
	assert_int_equal(json_array_size(json_object_get(r.json, "assignments")),
	    1);
	assert_string_equal(jtext(json_array_get(json_object_get(r.json,
	    "assignments"), 0), "customer"), "c@x.example");
	t_resp_free(&r);
	/* note, email and max_seats at once: one update, audited */
	assert_int_equal(t_http(&r, "PUT", path, t_write, JSON,
	    "{\"note\":\"moved\",\"email\":\"new@pool.example\","
	    "\"max_seats\":5}", NULL), 200);
	/* the answer is the row as it now is */
	assert_string_equal(fields(r.json, "email note max_seats status"),
	    "new@pool.example|moved|5|AVAILABLE");
	assert_string_equal(t_q("SELECT email || '|' || note || '|' || max_seats"
	    " || '|' || status FROM pool_accounts WHERE id = $1::bigint", id),
	    fields(r.json, "email note max_seats status"));
	t_resp_free(&r);
	assert_string_equal(t_q("SELECT action || ' ' || actor FROM audit_log"
	    " ORDER BY id DESC LIMIT 1", NULL), "account.update token:writer");
	/* fewer seats than are in use: refused, nothing changed */
	t_expect_problem("PUT", path, t_write, JSON, "{\"max_seats\":0}", 400,
	    "bad-request", "max_seats");
	assert_string_equal(t_q("SELECT max_seats FROM pool_accounts WHERE id ="
	    " $1::bigint", id), "5");
	/* the issue's own example: the account is full */
	solo = account("solo@pool.example", "null");
	assignment(solo, "first@x.example", 30);
	snprintf(path, sizeof(path), "{\"account_id\":%lld,\"customer_email\":"
	    "\"second@x.example\",\"days\":30}", solo);
	t_expect_problem("POST", API "/account-assignments", t_write, JSON, path,
	    409, "conflict", NULL);
	snprintf(id, sizeof(id), "%lld", solo);
	assert_int_equal(t_qll("SELECT count(*) FROM assignments WHERE"
	    " account_id = $1::bigint", id), 1);
}

/* A seat for a paid order ({order_id}): the order leaves the unfulfilled
 * list; a release ends the seat early and frees it. */
static void
test_order_assign_release(void **state)
{
	struct t_resp r;
	char path[128], id[24];
	long long total;

	(void)state;
	account("pool@pool.example", "2");
	t_x("INSERT INTO customers (email) VALUES ('buyer@x.io');"
	    "INSERT INTO products (sku, name, kind, duration_days, price_minor,"
	    " currency) VALUES ('seat30', 'Seat 30', 'SEAT', 30, 1000, 'USD');"
	    "INSERT INTO orders (source, provider_ref, customer_id, product_id,"
	    " amount_minor, currency, status, paid_at)"
	    " VALUES ('stripe', 'pi_1', 1, 1, 1000, 'USD', 'PAID', now()),"
	    "        ('stripe', 'pi_2', 1, 1, 1000, 'USD', 'PAID', now());"
	    "INSERT INTO fulfil_queue (order_id) VALUES (1), (2)");
	assert_string_equal(list_of(API "/orders?unfulfilled=true", t_read, "id",
	    &total), "2 1");
	assert_int_equal(total, 2);
	/* the order's customer and plan */
	assert_int_equal(t_http(&r, "POST", API "/account-assignments", t_write,
	    JSON, "{\"order_id\":1}", NULL), 201);
	assert_string_equal(jtext(r.json, "customer"), "buyer@x.io");
	assert_string_equal(jtext(r.json, "order_id"), "1");
	assert_string_equal(jtext(r.json, "status"), "ACTIVE");
	snprintf(id, sizeof(id), "%s", jtext(r.json, "id"));
	t_resp_free(&r);
	assert_string_equal(t_q("SELECT kind || '|' || assignment_id || '|' ||"
	    " (s.ends_at - s.starts_at) FROM fulfilments f JOIN assignments s ON"
	    " s.id = f.assignment_id WHERE f.order_id = 1", NULL),
	    t_q("SELECT 'SEAT|' || $1 || '|30 days'", id));
	assert_int_equal(t_qll("SELECT count(*) FROM fulfil_queue WHERE"
	    " order_id = 1", NULL), 0);
	assert_string_equal(t_q("SELECT actor FROM audit_log WHERE action ="
	    " 'assignment.assign'", NULL), "token:writer");
	assert_string_equal(list_of(API "/orders?unfulfilled=true", t_read, "id",
	    &total), "2");
	assert_string_equal(list_of(API "/orders", t_read, "id", &total), "2 1");
	/* twice: refused, nothing added */
	t_expect_problem("POST", API "/account-assignments", t_write, JSON,
	    "{\"order_id\":1}", 422, "refused", "order_id");
	assert_int_equal(t_qll("SELECT count(*) FROM assignments", NULL), 1);

	/* release, as the guide writes it: no body */
	snprintf(path, sizeof(path), API "/account-assignments/%s/release", id);
	assert_int_equal(t_http(&r, "POST", path, t_write, NULL, NULL, NULL),
	    200);
	assert_string_equal(jtext(r.json, "status"), "EXPIRED");
	assert_string_equal(jtext(r.json, "reason"), "released early by an admin");
	t_resp_free(&r);
	assert_string_equal(t_q("SELECT status || '|' || (ended_at IS NOT NULL)"
	    " FROM assignments WHERE id = $1::bigint", id), "EXPIRED|true");
	assert_int_equal(t_qll("SELECT current_seats_used FROM pool_accounts",
	    NULL), 0);
	assert_string_equal(t_q("SELECT actor FROM audit_log WHERE action ="
	    " 'assignment.release' AND entity_id = $1", id), "token:writer");
	t_expect_problem("POST", path, t_write, NULL, NULL, 422, "refused",
	    NULL);
}

/* The audit log by entity, actor and action; and an empty query value
 * is no filter, on every list. */
static void
test_audit_filters(void **state)
{
	static const char *const blank[] = {
		API "/chatgpt-accounts?status=&search=",
		API "/account-assignments?status=&customer=&account=&ending_soon=",
		API "/orders?status=&customer=&unfulfilled=&held=",
		API "/users?sort=&order=&search=",
		API "/cases?status=&severity=&category=&open=",
		API "/events?status=",
		API "/access-logs?token=&actor=&status=",
		API "/chatgpt-accounts?page=&per_page=",
		NULL
	};
	struct t_resp r;
	char path[128];
	long long acc, total, all;

	(void)state;
	acc = account("a1@pool.example", "2");
	account("a2@pool.example", "null");
	assert_int_equal(t_http(&r, "POST", API "/chatgpt-accounts", t_admin,
	    JSON, "{\"email\":\"a3@pool.example\"}", NULL), 201);
	t_resp_free(&r);
	snprintf(path, sizeof(path), API "/chatgpt-accounts/%lld", acc);
	assert_int_equal(t_http(&r, "PUT", path, t_write, JSON,
	    "{\"status\":\"SUSPENDED\",\"note\":\"reset\"}", NULL), 200);
	t_resp_free(&r);
	assert_string_equal(list_of(API "/audit-logs?entity=account", t_read,
	    "action", &total), "account.suspend account.add account.add "
	    "account.add");
	assert_int_equal(total, 4);
	assert_string_equal(list_of(API "/audit-logs?actor=token:boss", t_read,
	    "entity_id", &total), "3");
	assert_string_equal(list_of(API "/audit-logs?action=account.suspend",
	    t_read, "entity_id", &total), "1");
	assert_string_equal(list_of(API "/audit-logs?entity=account&actor="
	    "token:writer&action=account.add", t_read, "entity_id", &total),
	    "2 1");
	assert_string_equal(list_of(API "/audit-logs?entity=assignment", t_read,
	    "id", &total), "");
	assert_int_equal(total, 0);
	/* blank filters: as if absent (the tokens' rows included) */
	list_of(API "/audit-logs", t_read, "id", &all);
	assert_true(all > 4);
	list_of(API "/audit-logs?entity=&actor=&action=&entity_id=", t_read, "id",
	    &total);
	assert_int_equal(total, all);
	assert_string_equal(list_of(API "/chatgpt-accounts?status=", t_read,
	    "email", &total), "a1@pool.example a2@pool.example a3@pool.example");
	for (size_t i = 0; blank[i] != NULL; i++)
		list_of(blank[i], t_admin, "id", NULL);
	/* ...but a write is never guessed to be a dry run, nor not one */
	t_expect_problem("POST", API "/chatgpt-accounts?dry_run=", t_write, JSON,
	    "{\"email\":\"a4@pool.example\"}", 400, "bad-request", "dry_run");
	t_expect_problem("POST", API "/chatgpt-accounts?dry_run", t_write, JSON,
	    "{\"email\":\"a4@pool.example\"}", 400, "bad-request", "dry_run");
	assert_int_equal(t_qll("SELECT count(*) FROM pool_accounts", NULL), 3);
}

/* Users sorted; credits given once per request_id. */
static void
test_users_credits(void **state)
{
	const char *gift = "{\"delta\":10,\"reason\":\"gift\","
	    "\"request_id\":\"req-1\"}";
	struct t_resp r;

	(void)state;
	t_x("INSERT INTO app_users (external_id, email) VALUES ('u_1', 'b@x.io'),"
	    " ('u_2', 'a@x.io'), ('u_3', 'c@x.io');"
	    "INSERT INTO credit_ledger (user_id, delta, kind, ref) VALUES"
	    " (1, 5, 'PURCHASE', 'o1'), (2, 20, 'PURCHASE', 'o2'),"
	    " (3, 1, 'PURCHASE', 'o3')");
	assert_string_equal(list_of(API "/users?sort=balance&order=desc", t_read,
	    "email", NULL), "a@x.io b@x.io c@x.io");
	assert_string_equal(list_of(API "/users?sort=balance&order=asc", t_read,
	    "email", NULL), "c@x.io b@x.io a@x.io");
	assert_string_equal(list_of(API "/users?sort=email", t_read, "email",
	    NULL), "a@x.io b@x.io c@x.io");
	assert_string_equal(list_of(API "/users?sort=email&order=desc", t_read,
	    "balance", NULL), "1 5 20");
	t_expect_problem("GET", API "/users?sort=age", t_read, NULL, NULL, 400,
	    "bad-request", "sort");

	assert_int_equal(t_http(&r, "POST", API "/users/3/credits", t_admin, JSON,
	    gift, NULL), 201);
	assert_string_equal(jtext(r.json, "delta"), "10");
	assert_string_equal(jtext(r.json, "balance_before"), "1");
	assert_string_equal(jtext(r.json, "balance"), "11");
	t_resp_free(&r);
	/* the same request again: acknowledged, not applied twice */
	assert_int_equal(t_http(&r, "POST", API "/users/3/credits", t_admin, JSON,
	    gift, NULL), 200);
	assert_true(json_is_true(json_object_get(r.json, "replay")));
	t_resp_free(&r);
	t_expect_problem("POST", API "/users/3/credits", t_admin, JSON,
	    "{\"delta\":20,\"reason\":\"gift\",\"request_id\":\"req-1\"}", 422,
	    "refused", NULL);
	assert_string_equal(t_q("SELECT sum(delta) || '|' || count(*) FILTER"
	    " (WHERE kind = 'ADJUSTMENT') FROM credit_ledger WHERE user_id = 3",
	    NULL), "11|1");
	assert_string_equal(t_q("SELECT string_agg(actor || ' ' || entity_id ||"
	    " ' ' || reason, ',') FROM audit_log WHERE action = 'user.credit'",
	    NULL), "token:boss 3 gift");
	assert_string_equal(list_of(API "/users?sort=balance&order=desc", t_read,
	    "balance", NULL), "20 11 5");
}

/* Models set by admin, products and cases read, a case accepted. */
static void
test_models_products_cases(void **state)
{
	struct t_resp r;
	long long total;

	(void)state;
	t_x("INSERT INTO models (name) VALUES ('flux');"
	    "INSERT INTO products (sku, name, kind, duration_days, price_minor,"
	    " currency) VALUES ('seat30', 'Seat 30', 'SEAT', 30, 1999, 'USD');"
	    "INSERT INTO reconcile_cases (category, fingerprint, keys, status,"
	    " severity, first_seen, last_seen) VALUES"
	    " ('PAID_NOT_FULFILLED', 'f1', '{}', 'OPEN', 'error', now(), now()),"
	    " ('MISSING_IN_SETTLEMENT', 'f2', '{}', 'OPEN', 'warning', now(),"
	    "  now())");
	/* models */
	t_expect_problem("PUT", API "/models/flux", t_write, JSON,
	    "{\"credit_cost\":3}", 403, "forbidden", NULL);
	assert_int_equal(t_http(&r, "PUT", API "/models/flux", t_admin, JSON,
	    "{\"credit_cost\":3,\"provider_cost\":\"0.02\",\"currency\":\"USD\","
	    "\"reason\":\"price list\"}", NULL), 200);
	assert_string_equal(jtext(r.json, "credit_cost"), "3");
	assert_string_equal(jtext(r.json, "provider_cost"), "0.02");
	t_resp_free(&r);
	assert_int_equal(t_http(&r, "PUT", API "/models/edit-v2", t_admin, JSON,
	    "{\"credit_cost\":1,\"active\":false}", NULL), 201);
	t_resp_free(&r);
	assert_string_equal(list_of(API "/models", t_read, "name", &total),
	    t_q("SELECT string_agg(name, ' ' ORDER BY name) FROM models", NULL));
	assert_int_equal(total, 2);
	assert_string_equal(t_q("SELECT string_agg(name || ':' || credit_cost ||"
	    " ':' || active, ' ' ORDER BY name) FROM models", NULL),
	    "edit-v2:1:false flux:3:true");
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log WHERE action ="
	    " 'model.set' AND actor = 'token:boss'", NULL), 2);
	/* products */
	assert_string_equal(list_of(API "/products", t_read, "sku", &total),
	    "seat30");
	assert_string_equal(list_of(API "/products", t_read, "price", NULL),
	    "19.99");
	/* cases */
	assert_string_equal(list_of(API "/cases", t_read, "severity", &total),
	    "error warning");
	assert_int_equal(t_http(&r, "POST", API "/cases/1/accept", t_write, JSON,
	    "{\"note\":\"a test payment\"}", NULL), 200);
	assert_string_equal(jtext(r.json, "status"), "ACCEPTED");
	assert_string_equal(jtext(r.json, "accepted_note"), "a test payment");
	t_resp_free(&r);
	assert_string_equal(t_q("SELECT status || '|' || accepted_by || '|' ||"
	    " accepted_note FROM reconcile_cases WHERE id = 1", NULL),
	    "ACCEPTED|token:writer|a test payment");
	assert_string_equal(t_q("SELECT actor FROM audit_log WHERE action ="
	    " 'case.accept' AND entity_id = '1'", NULL), "token:writer");
	assert_string_equal(list_of(API "/cases?status=open", t_read, "id",
	    &total), "2");
	t_expect_problem("POST", API "/cases/1/accept", t_write, JSON, "{}", 400,
	    "bad-request", "note");
}

/* ---- extend and revoke of one assignment at once ---- */

struct racer {
	const char *path;
	const char *body;
	const char *key;	/* Idempotency-Key header, or NULL */
	long status;
	struct strbuf answer;
	pthread_t thread;
};

static void *
race(void *p)
{
	struct racer *r = p;
	struct t_resp resp;

	t_http(&resp, "POST", r->path, t_write, JSON, r->body, r->key, NULL);
	r->status = resp.status;
	strbuf_init(&r->answer);
	strbuf_add(&r->answer, resp.body.buf, resp.body.len);
	t_resp_free(&resp);
	return NULL;
}

/* tally-admin's sessions waiting for a lock this test holds */
static long long
blocked(void)
{
	return t_qll("SELECT count(*) FROM pg_stat_activity WHERE"
	    " application_name = 'tally-admin' AND datname = current_database()"
	    " AND cardinality(pg_blocking_pids(pid)) > 0", NULL);
}

/*
 * The assignment's row is held by this test's transaction; first, then
 * second line up for it (each seen waiting before the next starts); the
 * holder lets go.  The observer is another connection.
 */
static void
run_race(long long asg, struct racer *first, struct racer *second)
{
	struct db *obs = t_db, *holder = NULL;
	char id[24];
	const char *params[1] = { id };
	PGresult *res = NULL;

	snprintf(id, sizeof(id), "%lld", asg);
	assert_int_equal(db_connect_url(&holder, t_url, "test-holder", NULL), 0);
	assert_int_equal(db_begin(holder, DB_READ_COMMITTED), 0);
	assert_int_equal(db_query(holder, &res, "SELECT 1 FROM assignments"
	    " WHERE id = $1::bigint FOR UPDATE", 1, params), 0);
	PQclear(res);
	(void)obs;
	assert_int_equal(pthread_create(&first->thread, NULL, race, first), 0);
	while (blocked() < 1)
		;
	assert_int_equal(pthread_create(&second->thread, NULL, race, second), 0);
	while (blocked() < 2)
		;
	assert_int_equal(db_commit(holder), 0);
	pthread_join(first->thread, NULL);
	pthread_join(second->thread, NULL);
	db_free(holder);
}

/* Assignment id is "status|length" (ends_at - starts_at), extended
 * audited times. */
static void
expect_seat(const char *id, const char *want, long long audited)
{
	assert_string_equal(t_q("SELECT status || '|' || (ends_at - starts_at)"
	    " FROM assignments WHERE id = $1::bigint", id), want);
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log WHERE"
	    " action = 'assignment.extend' AND entity_id = $1", id), audited);
}

/*
 * A fresh seat for customer on acc, then an extend and a revoke of it at
 * once, extend_first or not; the answers in *ext and *rev (release their
 * answers), the assignment's id in id.
 */
static void
extend_revoke(long long acc, const char *customer, bool extend_first,
    struct racer *ext, struct racer *rev, char id[24])
{
	static char ext_path[128], rev_path[128];
	long long asg = assignment(acc, customer, 10);

	snprintf(id, 24, "%lld", asg);
	snprintf(ext_path, sizeof(ext_path), API "/account-assignments/%lld/"
	    "extend", asg);
	snprintf(rev_path, sizeof(rev_path), API "/account-assignments/%lld/"
	    "revoke", asg);
	*ext = (struct racer){ ext_path, "{\"additional_days\":5}", NULL, 0,
	    STRBUF_INIT, 0 };
	*rev = (struct racer){ rev_path, "{\"reason\":\"chargeback\"}", NULL, 0,
	    STRBUF_INIT, 0 };
	if (extend_first)
		run_race(asg, ext, rev);
	else
		run_race(asg, rev, ext);
}

static void
test_extend_revoke_race(void **state)
{
	struct racer ext, rev;
	char id[24];
	long long acc;

	(void)state;
	acc = account("race@pool.example", "3");
	/* extend first, then revoke: both happen, in that order */
	extend_revoke(acc, "one@x.example", true, &ext, &rev, id);
	assert_int_equal(ext.status, 200);
	assert_int_equal(rev.status, 200);
	strbuf_release(&ext.answer);
	strbuf_release(&rev.answer);
	expect_seat(id, "REVOKED|15 days", 1);
	/* the revoke saw the extend */
	assert_int_equal(t_qll("SELECT count(*) FROM audit_log e, audit_log r"
	    " WHERE e.action = 'assignment.extend' AND e.entity_id = $1"
	    " AND r.action = 'assignment.revoke' AND r.entity_id = $1"
	    " AND r.before->'ends_at' = e.after->'ends_at' AND r.id > e.id", id),
	    1);

	/* revoke first, then extend: the extend is refused, nothing else */
	extend_revoke(acc, "two@x.example", false, &ext, &rev, id);
	assert_int_equal(rev.status, 200);
	assert_int_equal(ext.status, 422);
	assert_non_null(strstr(strbuf_str(&ext.answer),
	    "urn:tally:problem:refused"));
	strbuf_release(&ext.answer);
	strbuf_release(&rev.answer);
	expect_seat(id, "REVOKED|10 days", 0);
	/* every seat counted once: none left in use */
	assert_int_equal(t_qll("SELECT current_seats_used FROM pool_accounts",
	    NULL), 0);
}

/* Two identical requests with one key at once: one change, one answer. */
static void
test_idempotency_race(void **state)
{
	char path[128], id[24];
	long long acc, asg;
	struct racer a, b;

	(void)state;
	acc = account("irace@pool.example", "2");
	asg = assignment(acc, "one@x.example", 10);
	snprintf(id, sizeof(id), "%lld", asg);
	snprintf(path, sizeof(path), API "/account-assignments/%lld/extend", asg);
	a = (struct racer){ path, "{\"additional_days\":1}", "Idempotency-Key: r",
	    0, STRBUF_INIT, 0 };
	b = a;
	run_race(asg, &a, &b);
	assert_int_equal(a.status, 200);
	assert_int_equal(b.status, 200);
	assert_string_equal(strbuf_str(&a.answer), strbuf_str(&b.answer));
	strbuf_release(&a.answer);
	strbuf_release(&b.answer);
	/* the loser's extend was rolled back with its key */
	expect_seat(id, "ACTIVE|11 days", 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_auth_failures),
		T(test_roles),
		T(test_fx),
		T(test_user_status),
		T(test_dry_run),
		T(test_idempotency),
		T(test_pagination),
		T(test_problems),
		T(test_unavailable),
		T(test_import),
		T(test_access_log),
		T(test_account_routes),
		T(test_order_assign_release),
		T(test_audit_filters),
		T(test_users_credits),
		T(test_models_products_cases),
		cmocka_unit_test_setup_teardown(test_extend_revoke_race, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_idempotency_race, setup,
		    teardown),
	};

	t_main_begin();
	return t_main_end(cmocka_run_group_tests(tests, NULL, NULL));
}
