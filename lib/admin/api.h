/*
 * api.h - the JSON API's own files (private to lib/admin/api*.c and
 * bearer.c): its authentication, its failure answer (problem+json), and
 * the handlers its route table (api.c) names.
 */
#ifndef TALLY_ADMIN_API_H
#define TALLY_ADMIN_API_H

#include "admin/admin.h"

extern const struct admin_face admin_api_face;

/* bearer.c: Authorization: Bearer TOKEN */
int admin_bearer_authenticate(struct admin_req *r, struct admin_who *who);

/* api_pool.c: accounts and assignments */
void api_account_create(struct admin_req *r);
void api_account_list(struct admin_req *r);
void api_account_show(struct admin_req *r);
void api_account_put(struct admin_req *r);
void api_account_import(struct admin_req *r);
json_t *api_shape_with(const struct admin_req *r, const json_t *out,
    int *status, const char *key);
json_t *api_account_show_shape(const struct admin_req *r, const json_t *out,
    int *status);
json_t *api_import_shape(const struct admin_req *r, const json_t *out,
    int *status);
void api_assignment_list(struct admin_req *r);
void api_assignment_assign(struct admin_req *r);
void api_assignment_extend(struct admin_req *r);
void api_assignment_revoke(struct admin_req *r);
void api_assignment_release(struct admin_req *r);

/* api_more.c: the rest of what tallyctl can do */
void api_audit_list(struct admin_req *r);
void api_audit_verify(struct admin_req *r);
void api_audit_anchor(struct admin_req *r);
void api_access_list(struct admin_req *r);
void api_order_list(struct admin_req *r);
void api_order_approve(struct admin_req *r);
void api_user_list(struct admin_req *r);
void api_user_credit(struct admin_req *r);
void api_user_status(struct admin_req *r);
void api_user_show(struct admin_req *r);
json_t *api_user_show_shape(const struct admin_req *r, const json_t *out,
    int *status);
json_t *api_credit_shape(const struct admin_req *r, const json_t *out,
    int *status);
void api_model_list(struct admin_req *r);
void api_model_put(struct admin_req *r);
void api_model_usage(struct admin_req *r);
json_t *api_model_shape(const struct admin_req *r, const json_t *out,
    int *status);
void api_product_list(struct admin_req *r);
void api_product_create(struct admin_req *r);
void api_product_put(struct admin_req *r);
json_t *api_product_shape(const struct admin_req *r, const json_t *out,
    int *status);
void api_case_list(struct admin_req *r);
void api_case_show(struct admin_req *r);
void api_case_accept(struct admin_req *r);
void api_event_list(struct admin_req *r);
void api_event_retry(struct admin_req *r);
json_t *api_event_retry_shape(const struct admin_req *r, const json_t *out,
    int *status);
void api_fx_list(struct admin_req *r);
void api_fx_set(struct admin_req *r);
void api_status(struct admin_req *r);
void api_report_list(struct admin_req *r);
void api_report_get(struct admin_req *r);
void api_healthz(struct admin_req *r);
void api_openapi(struct admin_req *r);

#endif
