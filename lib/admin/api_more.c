/*
 * api_more.c - the rest of what tallyctl can do, under /api/admin/: the
 * audit and access logs, orders, users and credits, models, products,
 * cases, events, exchange rates, status, report files; and /healthz and the OpenAPI
 * document.  Every route calls its operation in lib/ops.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "admin/api.h"
#include "admin/faceops.h"
#include "admin/internal.h"
#include "base/err.h"
#include "ops/access.h"
#include "ops/audit.h"
#include "ops/case.h"
#include "ops/event.h"
#include "ops/fx.h"
#include "ops/model.h"
#include "ops/order.h"
#include "ops/product.h"
#include "ops/report.h"
#include "ops/status.h"
#include "ops/user.h"
#include "pg/embedded.h"

#define OPENAPI_FILE "docs/openapi.json"

/* A money amount or exact decimal: a JSON string, or a whole number
 * (never a float, which cannot hold 0.1 exactly). */
static bool
decimal_field(struct admin_req *r, const json_t *b, const char *key,
    char buf[32], const char **out)
{
	const json_t *v = json_object_get(b, key);

	*out = NULL;
	if (json_is_integer(v)) {
		snprintf(buf, 32, "%lld", (long long)json_integer_value(v));
		*out = buf;
		return true;
	}
	if (json_is_real(v)) {
		admin_fail(r, 400, "%s must be a string holding an exact decimal, "
		    "such as \"0.02\" (a JSON number with a fraction is a float)",
		    key);
		return false;
	}
	return admin_get_str(r, b, key, out);
}

/* ---- audit and access ---- */

void
api_audit_list(struct admin_req *r)
{
	struct ops_audit_list_req q = { 0 };
	json_t *out = NULL;
	int rc;

	if (!admin_query_page(r, &q.page))
		return;
	q.entity = admin_query(r, "entity");
	q.entity_id = admin_query(r, "entity_id");
	q.actor = admin_query(r, "actor");
	q.action = admin_query(r, "action");
	rc = ops_audit_list(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

void
api_audit_verify(struct admin_req *r)
{
	struct ops_audit_verify_req q = { .anchor = admin_query(r, "anchor"),
	    .legacy_until = admin_query(r, "legacy_until") };
	json_t *out = NULL;
	int rc;

	rc = ops_audit_verify(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

void
api_audit_anchor(struct admin_req *r)
{
	json_t *out = NULL;
	int rc;

	rc = ops_audit_anchor(&r->ops, &out);
	admin_answer_op(r, rc, out);
}

void
api_access_list(struct admin_req *r)
{
	struct ops_access_list_req q = { 0 };
	json_t *out = NULL;
	int rc;

	if (!admin_query_page(r, &q.page))
		return;
	q.token = admin_query(r, "token");
	q.actor = admin_query(r, "actor");
	q.status = admin_query(r, "status");
	rc = ops_access_list(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

/* ---- orders, users, models, products ---- */

void
api_order_list(struct admin_req *r)
{
	struct ops_order_list_req q = { 0 };
	json_t *out = NULL;
	int rc;

	if (!admin_query_page(r, &q.page) ||
	    !admin_query_bool(r, "unfulfilled", &q.unfulfilled) ||
	    !admin_query_bool(r, "held", &q.held))
		return;
	q.status = admin_query(r, "status");
	q.customer = admin_query(r, "customer");
	rc = ops_order_list(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

/* Release a held order as it is: {reason} says why it may be. */
void
api_order_approve(struct admin_req *r)
{
	static const char *const keys[] = { "reason", NULL };
	struct ops_order_approve_req q = { 0 };
	json_t *b, *out = NULL;
	int rc;

	if (!admin_path_id(r, "order", &q.id) ||
	    (b = admin_body_object(r, keys)) == NULL)
		return;
	if (admin_get_str(r, b, "reason", &q.reason)) {
		rc = ops_order_approve(&r->ops, &q, &out);
		admin_answer_op(r, rc, out);
	}
	json_decref(b);
}

void
api_user_list(struct admin_req *r)
{
	struct ops_user_list_req q = { 0 };
	json_t *out = NULL;
	int rc;

	if (!admin_query_page(r, &q.page))
		return;
	q.sort = admin_query(r, "sort");
	q.order = admin_query(r, "order");
	q.search = admin_query(r, "search");
	rc = ops_user_list(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

void
api_user_credit(struct admin_req *r)
{
	static const char *const keys[] = { "delta", "reason", "request_id",
	    NULL };
	struct ops_user_credit_req q = { 0 };
	json_t *b, *out = NULL;
	bool given;
	int rc;

	if (!admin_path_id(r, "user", &q.id) ||
	    (b = admin_body_object(r, keys)) == NULL)
		return;
	if (admin_get_int(r, b, "delta", -OPS_USER_MAX_DELTA, OPS_USER_MAX_DELTA,
	    &q.delta, &given) && admin_get_str(r, b, "reason", &q.reason) &&
	    admin_get_str(r, b, "request_id", &q.request_id)) {
		rc = given ? ops_user_credit(&r->ops, &q, &out) :
		    ops_fail(&r->ops, TALLY_EUSAGE, "delta", "delta is required "
		    "(negative takes credits away)");
		admin_answer_op(r, rc, out);
	}
	json_decref(b);
}

void
api_user_show(struct admin_req *r)
{
	json_t *out = NULL;
	long long id;
	int rc;

	if (!admin_path_id(r, "user", &id))
		return;
	rc = ops_user_show(&r->ops, id, &out);
	admin_answer_op(r, rc, out);
}

/* The user, with its newest 50 ledger entries. */
json_t *
api_user_show_shape(const struct admin_req *r, const json_t *out, int *status)
{
	return api_shape_with(r, out, status, "ledger");
}

/* {status: active|suspended, reason}: recorded and shown, not enforced. */
void
api_user_status(struct admin_req *r)
{
	static const char *const keys[] = { "status", "reason", NULL };
	struct ops_user_status_req q = { 0 };
	json_t *b, *out = NULL;
	int rc;

	if (!admin_path_id(r, "user", &q.id) ||
	    (b = admin_body_object(r, keys)) == NULL)
		return;
	if (admin_get_str(r, b, "status", &q.status) &&
	    admin_get_str(r, b, "reason", &q.reason)) {
		rc = ops_user_status(&r->ops, &q, &out);
		admin_answer_op(r, rc, out);
	}
	json_decref(b);
}

/* The ledger entry, 201; a request_id applied before: 200 {"replay"}. */
json_t *
api_credit_shape(const struct admin_req *r, const json_t *out, int *status)
{
	if (json_is_true(json_object_get(out, "replay"))) {
		*status = 200;
		return json_pack("{s:b, s:n}", "replay", 1, "entry");
	}
	return admin_shape_default(r, out, status);
}

void
api_model_list(struct admin_req *r)
{
	struct ops_model_list_req q = { 0 };
	json_t *out = NULL;
	int rc;

	if (!admin_query_page(r, &q.page))
		return;
	rc = ops_model_list(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

/* ?days= (default OPS_MODEL_USAGE_DAYS): calls, errors, mean time, last use. */
void
api_model_usage(struct admin_req *r)
{
	struct ops_model_usage_req q = { 0 };
	json_t *out = NULL;
	bool given;
	int rc;

	if (!admin_query_page(r, &q.page) ||
	    !admin_query_int(r, "days", 1, OPS_MODEL_MAX_USAGE_DAYS, &q.days,
	    &given))
		return;
	rc = ops_model_usage(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

void
api_model_put(struct admin_req *r)
{
	static const char *const keys[] = { "active", "credit_cost",
	    "provider_cost", "currency", "reason", NULL };
	struct ops_model_req q = { .name = r->param[0] };
	char cost[32];
	json_t *b, *out = NULL;
	int rc;

	if ((b = admin_body_object(r, keys)) == NULL)
		return;
	if (admin_get_bool(r, b, "active", &q.active) &&
	    admin_get_int(r, b, "credit_cost", 0, OPS_MODEL_MAX_CREDIT_COST,
	    &q.credit_cost, &q.has_credit_cost) &&
	    decimal_field(r, b, "provider_cost", cost, &q.provider_cost) &&
	    admin_get_str(r, b, "currency", &q.currency) &&
	    admin_get_str(r, b, "reason", &q.reason)) {
		rc = ops_model_set(&r->ops, &q, &out);
		admin_answer_op(r, rc, out);
	}
	json_decref(b);
}

/* The model; 201 when the PUT created it. */
json_t *
api_model_shape(const struct admin_req *r, const json_t *out, int *status)
{
	json_t *body = admin_shape_default(r, out, status);

	if (*status == 200 && json_is_true(json_object_get(out, "created")) &&
	    !json_is_true(json_object_get(out, "dry_run")))
		*status = 201;
	return body;
}

void
api_product_list(struct admin_req *r)
{
	struct ops_product_list_req q = { 0 };
	json_t *out = NULL;
	int rc;

	if (!admin_query_page(r, &q.page))
		return;
	rc = ops_product_list(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

void
api_product_create(struct admin_req *r)
{
	static const char *const keys[] = { "sku", "name", "kind", "days",
	    "credits", "price", "currency", "min_price", "reason", NULL };
	struct ops_product_req q = { 0 };
	char price[32], min[32];
	json_t *b, *out = NULL;
	bool given;
	int rc;

	if ((b = admin_body_object(r, keys)) == NULL)
		return;
	if (admin_get_str(r, b, "sku", &q.sku) &&
	    admin_get_str(r, b, "name", &q.name) &&
	    admin_get_str(r, b, "kind", &q.kind) &&
	    admin_get_int(r, b, "days", 1, OPS_PRODUCT_MAX_DAYS, &q.days,
	    &given) &&
	    admin_get_int(r, b, "credits", 1, OPS_PRODUCT_MAX_CREDITS, &q.credits,
	    &given) &&
	    decimal_field(r, b, "price", price, &q.price) &&
	    admin_get_str(r, b, "currency", &q.currency) &&
	    decimal_field(r, b, "min_price", min, &q.min_price) &&
	    admin_get_str(r, b, "reason", &q.reason)) {
		rc = ops_product_add(&r->ops, &q, &out);
		admin_answer_op(r, rc, out);
	}
	json_decref(b);
}

/*
 * PUT: what is given changes (name, price, currency, min_price or
 * no_min_price, active); the rest stays.
 */
void
api_product_put(struct admin_req *r)
{
	static const char *const keys[] = { "name", "price", "currency",
	    "min_price", "no_min_price", "active", "reason", NULL };
	struct ops_product_update_req q = { .sku = r->param[0] };
	enum ops_tristate nomin;
	char price[32], min[32];
	json_t *b, *out = NULL;
	int rc;

	if ((b = admin_body_object(r, keys)) == NULL)
		return;
	if (admin_get_str(r, b, "name", &q.name) &&
	    decimal_field(r, b, "price", price, &q.price) &&
	    admin_get_str(r, b, "currency", &q.currency) &&
	    decimal_field(r, b, "min_price", min, &q.min_price) &&
	    admin_get_bool(r, b, "no_min_price", &nomin) &&
	    admin_get_bool(r, b, "active", &q.active) &&
	    admin_get_str(r, b, "reason", &q.reason)) {
		q.no_min_price = nomin == OPS_YES;
		rc = ops_product_update(&r->ops, &q, &out);
		admin_answer_op(r, rc, out);
	}
	json_decref(b);
}

/* The product, and how many held orders the change lets go. */
json_t *
api_product_shape(const struct admin_req *r, const json_t *out, int *status)
{
	json_t *body = admin_shape_default(r, out, status);
	json_t *target = json_is_true(json_object_get(body, "dry_run")) ?
	    json_object_get(body, "would_be") : body;
	const json_t *n = json_object_get(out, "held_released");

	if (n != NULL)
		json_object_set(target, "held_released", (json_t *)n);
	return body;
}

/* ---- cases, events ---- */

void
api_case_list(struct admin_req *r)
{
	struct ops_case_list_req q = { 0 };
	json_t *out = NULL;
	int rc;

	if (!admin_query_page(r, &q.page) ||
	    !admin_query_bool(r, "open", &q.open))
		return;
	q.category = admin_query(r, "category");
	q.status = admin_query(r, "status");
	q.severity = admin_query(r, "severity");
	rc = ops_case_list(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

void
api_case_show(struct admin_req *r)
{
	struct ops_case_req q = { 0 };
	json_t *out = NULL;
	int rc;

	if (!admin_path_id(r, "case", &q.id))
		return;
	rc = ops_case_show(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

void
api_case_accept(struct admin_req *r)
{
	static const char *const keys[] = { "note", "until", NULL };
	struct ops_case_req q = { 0 };
	json_t *b, *out = NULL;
	int rc;

	if (!admin_path_id(r, "case", &q.id) ||
	    (b = admin_body_object(r, keys)) == NULL)
		return;
	if (admin_get_str(r, b, "note", &q.note) &&
	    admin_get_str(r, b, "until", &q.until)) {
		rc = ops_case_accept(&r->ops, &q, &out);
		admin_answer_op(r, rc, out);
	}
	json_decref(b);
}

void
api_event_list(struct admin_req *r)
{
	struct ops_event_list_req q = { 0 };
	json_t *out = NULL;
	int rc;

	if (!admin_query_page(r, &q.page) ||
	    !admin_query_bool(r, "failed", &q.failed))
		return;
	q.status = admin_query(r, "status");
	q.source = admin_query(r, "source");
	rc = ops_event_list(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

/* Put a FAILED event back to NEW: {reason} says what was fixed. */
void
api_event_retry(struct admin_req *r)
{
	static const char *const keys[] = { "reason", NULL };
	struct ops_event_retry_req q = { 0 };
	json_t *b, *out = NULL;
	int rc;

	if (!admin_path_id(r, "event", &q.id) ||
	    (b = admin_body_object(r, keys)) == NULL)
		return;
	if (admin_get_str(r, b, "reason", &q.reason)) {
		rc = ops_event_retry(&r->ops, &q, &out);
		admin_answer_op(r, rc, out);
	}
	json_decref(b);
}

/* The one event retried (the operation answers a list: it can also retry
 * every failed one, which tallyctl does). */
json_t *
api_event_retry_shape(const struct admin_req *r, const json_t *out,
    int *status)
{
	json_t *body = json_deep_copy(json_array_get(json_object_get(out,
	    "items"), 0));

	(void)r;
	*status = 200;
	if (body == NULL)
		body = json_object();
	if (json_is_true(json_object_get(out, "dry_run")))
		return json_pack("{s:b, s:o}", "dry_run", 1, "would_be", body);
	return body;
}

/* ---- exchange rates ---- */

void
api_fx_list(struct admin_req *r)
{
	struct ops_fx_list_req q = { 0 };
	json_t *out = NULL;
	int rc;

	if (!admin_query_page(r, &q.page))
		return;
	q.from = admin_query(r, "from");
	q.to = admin_query(r, "to");
	rc = ops_fx_list(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

void
api_fx_set(struct admin_req *r)
{
	static const char *const keys[] = { "from", "to", "rate", "valid_from",
	    "reason", NULL };
	struct ops_fx_set_req q = { 0 };
	char rate[32];
	json_t *b, *out = NULL;
	int rc;

	if ((b = admin_body_object(r, keys)) == NULL)
		return;
	if (admin_get_str(r, b, "from", &q.from) &&
	    admin_get_str(r, b, "to", &q.to) &&
	    decimal_field(r, b, "rate", rate, &q.rate) &&
	    admin_get_str(r, b, "valid_from", &q.valid_from) &&
	    admin_get_str(r, b, "reason", &q.reason)) {
		rc = ops_fx_set(&r->ops, &q, &out);
		admin_answer_op(r, rc, out);
	}
	json_decref(b);
}

/* ---- status, reports, health, the document ---- */

/*
 * What `tallyctl status --json` prints, 200; 503 (with Retry-After) with
 * the same facts when the database cannot be reached: a monitor polling
 * this sees the outage and what is known.
 */
void
api_status(struct admin_req *r)
{
	json_t *out = NULL, *body;
	int rc;

	rc = ops_status(&r->ops, &out);
	body = json_incref(json_object_get(out, "status"));
	json_decref(out);
	if (body == NULL) {
		admin_fail_ops(r, rc != 0 ? rc : TALLY_EINTERNAL);
		return;
	}
	if (rc == TALLY_EUNAVAIL || rc == TALLY_ERETRY) {
		admin_answer_json(r, 503, body);
		return;
	}
	if (rc != 0) {
		json_decref(body);
		admin_fail_ops(r, rc);
		return;
	}
	admin_answer_json(r, 200, body);
}

void
api_report_list(struct admin_req *r)
{
	struct ops_report_list_req q = { 0 };
	json_t *out = NULL;
	int rc;

	if (!admin_query_page(r, &q.page))
		return;
	q.program = admin_query(r, "program");
	rc = ops_report_list(&r->ops, &q, &out);
	admin_answer_op(r, rc, out);
}

/* RFC 9530: sha-256=:BASE64: from the recorded hex digest. */
static int
repr_digest(const char *hex, struct strbuf *out)
{
	unsigned char md[32], b64[48];

	if (hex == NULL || strlen(hex) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		md[i] = (unsigned char)v;
	}
	EVP_EncodeBlock(b64, md, 32);
	strbuf_reset(out);
	strbuf_addf(out, "sha-256=:%s:", (const char *)b64);
	return 0;
}

/*
 * The report file named name, as the report program wrote it
 * (ops_report_open says what is refused), as an attachment; a refusal
 * through the face (shared with the panel's Reports page; faceops.h).
 * The file name in Content-Disposition is the one looked up, which
 * ops_report_open allowed only from a safe set of characters.
 */
void
admin_answer_report(struct admin_req *r, const char *name)
{
	struct strbuf disp = STRBUF_INIT;
	const json_t *item;
	json_t *out = NULL;
	int fd = -1, rc;

	rc = ops_report_open(&r->ops, name, &fd, &out);
	if (rc != 0) {
		admin_fail_ops(r, rc);
		return;
	}
	item = json_object_get(out, "item");
	strbuf_addf(&disp, "attachment; filename=\"%s\"", name);
	admin_set_header(r, "Content-Disposition", strbuf_str(&disp));
	if (repr_digest(json_string_value(json_object_get(item, "sha256")),
	    &disp) == 0)
		admin_set_header(r, "Repr-Digest", strbuf_str(&disp));
	admin_answer_fd(r, 200, json_string_value(json_object_get(out,
	    "content_type")), fd, (size_t)json_integer_value(json_object_get(item,
	    "bytes")));
	strbuf_release(&disp);
	json_decref(out);
}

void
api_report_get(struct admin_req *r)
{
	admin_answer_report(r, r->param[0]);
}

/* 200 when the database answers, else 503: what a load balancer or
 * monitor needs to know. */
void
api_healthz(struct admin_req *r)
{
	static const char ok[] = "{\"status\":\"ok\"}";
	static const char down[] = "{\"status\":\"unavailable\","
	    "\"reason\":\"database unavailable\"}";
	int rc;

	if ((rc = ops_connect(&r->ops)) == 0)
		rc = db_simple(r->ops.db, "SELECT 1");
	if (rc == 0)
		admin_answer(r, 200, "application/json", ok, strlen(ok));
	else
		admin_answer(r, 503, "application/json", down, strlen(down));
}

/* docs/openapi.json, compiled into the binary: one source. */
void
api_openapi(struct admin_req *r)
{
	for (const struct embedded_file *f = embedded_files; f->name != NULL;
	    f++)
		if (strcmp(f->name, OPENAPI_FILE) == 0) {
			admin_answer(r, 200, "application/json", f->data, f->len);
			return;
		}
	admin_fail(r, 500, "the OpenAPI document is not in this build");
}
