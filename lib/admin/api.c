/*
 * api.c - the JSON API's face: its routes (the seat-pool guide's paths,
 * and the rest of what tallyctl can do, under /api/admin/), bearer
 * tokens, and failures as RFC 9457 problem+json.
 *
 * Roles: read may GET everything but the access log; write may also
 * change the pool (accounts, assignments), accept cases, approve orders
 * and retry events; admin may also give credits, set products, models
 * and exchange rates, and read the access log.  docs/openapi.json documents every
 * route here (tests/test_admin_api.c checks both ways).
 */
#include <string.h>

#include "admin/api.h"
#include "admin/internal.h"

#define R ADMIN_ROLE_READ
#define W ADMIN_ROLE_WRITE
#define A ADMIN_ROLE_ADMIN
#define WR ADMIN_WRITE
#define CR (ADMIN_WRITE | ADMIN_CREATED)
#define P "/api/admin"

static const struct admin_route api_routes[] = {
	{ "GET", "/healthz", ADMIN_ROLE_NONE, 0, api_healthz, NULL, NULL },
	{ "GET", P "/openapi.json", ADMIN_ROLE_NONE, 0, api_openapi, NULL, NULL },
	{ "GET", P "/status", R, 0, api_status, NULL, NULL },
	{ "POST", P "/chatgpt-accounts", W, CR, api_account_create, NULL, NULL },
	{ "GET", P "/chatgpt-accounts", R, 0, api_account_list, NULL, NULL },
	{ "POST", P "/chatgpt-accounts/import", W, CR | ADMIN_RAW_BODY,
	  api_account_import, api_import_shape, NULL },
	{ "GET", P "/chatgpt-accounts/{id}", R, 0, api_account_show,
	  api_account_show_shape, NULL },
	{ "PUT", P "/chatgpt-accounts/{id}", W, WR, api_account_put, NULL, NULL },
	{ "GET", P "/account-assignments", R, 0, api_assignment_list, NULL,
	  NULL },
	{ "POST", P "/account-assignments", W, CR, api_assignment_assign, NULL,
	  NULL },
	{ "POST", P "/account-assignments/{id}/extend", W, WR,
	  api_assignment_extend, NULL, NULL },
	{ "POST", P "/account-assignments/{id}/revoke", W, WR,
	  api_assignment_revoke, NULL, NULL },
	{ "POST", P "/account-assignments/{id}/release", W, WR,
	  api_assignment_release, NULL, NULL },
	{ "GET", P "/audit-logs", R, 0, api_audit_list, NULL, NULL },
	{ "GET", P "/audit-logs/verify", A, 0, api_audit_verify, NULL, NULL },
	{ "GET", P "/audit-logs/anchor", A, 0, api_audit_anchor, NULL, NULL },
	{ "GET", P "/access-logs", A, 0, api_access_list, NULL, NULL },
	{ "GET", P "/orders", R, 0, api_order_list, NULL, NULL },
	{ "POST", P "/orders/{id}/approve", W, WR, api_order_approve, NULL,
	  NULL },
	{ "GET", P "/users", R, 0, api_user_list, NULL, NULL },
	{ "GET", P "/users/{id}", R, 0, api_user_show, api_user_show_shape,
	  NULL },
	{ "POST", P "/users/{id}/credits", A, CR, api_user_credit,
	  api_credit_shape, NULL },
	{ "PUT", P "/users/{id}/status", A, WR, api_user_status, NULL, NULL },
	{ "GET", P "/models", R, 0, api_model_list, NULL, NULL },
	{ "GET", P "/models/usage", R, 0, api_model_usage, NULL, NULL },
	{ "PUT", P "/models/{name}", A, WR, api_model_put, api_model_shape,
	  NULL },
	{ "GET", P "/products", R, 0, api_product_list, NULL, NULL },
	{ "POST", P "/products", A, CR, api_product_create, NULL, NULL },
	{ "PUT", P "/products/{sku}", A, WR, api_product_put, api_product_shape,
	  NULL },
	{ "GET", P "/cases", R, 0, api_case_list, NULL, NULL },
	{ "GET", P "/cases/{id}", R, 0, api_case_show, NULL, NULL },
	{ "POST", P "/cases/{id}/accept", W, WR, api_case_accept, NULL, NULL },
	{ "GET", P "/events", R, 0, api_event_list, NULL, NULL },
	{ "POST", P "/events/{id}/retry", W, WR, api_event_retry,
	  api_event_retry_shape, NULL },
	{ "GET", P "/fx-rates", R, 0, api_fx_list, NULL, NULL },
	{ "POST", P "/fx-rates", A, CR, api_fx_set, NULL, NULL },
	{ "GET", P "/reports", R, 0, api_report_list, NULL, NULL },
	{ "GET", P "/reports/{file}", R, 0, api_report_get, NULL, NULL },
	{ NULL, NULL, ADMIN_ROLE_NONE, 0, NULL, NULL, NULL }
};

/* The problem types, by status: urn:tally:problem:KIND (docs/API.md). */
static const struct {
	int status;
	const char *kind;
	const char *title;
} problems[] = {
	{ 400, "bad-request", "Bad request" },
	{ 401, "unauthorized", "Authentication required" },
	{ 403, "forbidden", "Not allowed for this role" },
	{ 404, "not-found", "Not found" },
	{ 405, "method-not-allowed", "Method not allowed" },
	{ 409, "conflict", "Conflict with the current data" },
	{ 413, "too-large", "Request body too large" },
	{ 415, "unsupported-media-type", "Unsupported media type" },
	{ 422, "refused", "Refused by a rule" },
	{ 429, "rate-limited", "Too many failed authentications" },
	{ 500, "internal", "Internal error" },
	{ 501, "not-implemented", "Not available yet" },
	{ 503, "unavailable", "Service unavailable" },
};

static void
api_fail(struct admin_req *r, int status, const char *detail,
    const char *field, const json_t *errors)
{
	const char *kind = "error", *title = "Error";
	char type[64];
	json_t *body;

	for (size_t i = 0; i < sizeof(problems) / sizeof(problems[0]); i++)
		if (problems[i].status == status) {
			kind = problems[i].kind;
			title = problems[i].title;
		}
	snprintf(type, sizeof(type), "urn:tally:problem:%s", kind);
	body = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", title,
	    "status", status, "detail", detail != NULL ? detail : title);
	if (field != NULL)
		json_object_set_new(body, "field", json_string(field));
	if (errors != NULL)
		json_object_set_new(body, "errors", json_deep_copy(errors));
	if (status == 401)
		admin_set_header(r, "WWW-Authenticate",
		    admin_header(r, "Authorization", NULL) != NULL ?
		    "Bearer realm=\"tally-admin\", error=\"invalid_token\"" :
		    "Bearer realm=\"tally-admin\"");
	{
		char *text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);

		admin_answer(r, status, "application/problem+json",
		    text != NULL ? text : "{}", text != NULL ? strlen(text) : 2);
		free(text);
	}
	json_decref(body);
}

const struct admin_face admin_api_face = {
	"api", "/api/admin/", api_routes, admin_bearer_authenticate, api_fail
};
