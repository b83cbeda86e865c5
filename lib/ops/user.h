/*
 * ops/user.h - users of the image service and their credits (the
 * contract is ops/ops.h).
 *
 * Users are what the image service reports.  An admin may set a user's
 * status (active or suspended, sql/073_user_status.sql): tally records
 * it, audits it and shows it, but does not enforce it; what a suspended
 * user may do is the image service's business (it reads the status).
 * tally-allocate still grants a suspended user's purchased credits.
 */
#ifndef TALLY_OPS_USER_H
#define TALLY_OPS_USER_H

#include "ops/ops.h"

#define OPS_USER_MAX_DELTA 1000000000000LL

struct ops_user_credit_req {
	long long id;		/* the user's id (app_users.id); 0: by user */
	/* external id, else email (EREFUSED when two users share it) */
	const char *user;
	long long delta;	/* credits to give; negative takes them away; not 0 */
	const char *reason;	/* required */
	/* 1 to 200 characters that make a retry harmless: the same id
	 * again with the same user and delta does nothing ("replay"), with
	 * another is EREFUSED; NULL: a generated one */
	const char *request_id;
};

/*
 * One ADJUSTMENT in the credit ledger.  The item: ledger_id, user_id,
 * delta, balance_before, balance, ref, reason, created_at (a negative
 * balance is allowed).  *out has "replay": true, and a null item, when
 * request_id was applied before.
 */
int ops_user_credit(struct ops *o, const struct ops_user_credit_req *req,
    json_t **out);

struct ops_user_list_req {
	const char *sort;	/* email|registered|balance|last_login; NULL: id */
	const char *order;	/* asc|desc; NULL: asc for email, else desc */
	const char *search;	/* part of the external id or email, any case */
	struct ops_page page;
};

/* id, external_id, email, balance, registered_at, last_login_at,
 * status. */
int ops_user_list(struct ops *o, const struct ops_user_list_req *req,
    json_t **out);

#define OPS_USER_REASON_MAX 2000	/* bytes */

struct ops_user_status_req {
	long long id;		/* the user's id (app_users.id); 0: by user */
	/* external id, else email (EREFUSED when two users share it), else
	 * digits as the id */
	const char *user;
	const char *status;	/* active|suspended */
	const char *reason;	/* required: why */
};

/*
 * Set the user's status (audited as user.status, the row before and
 * after); EREFUSED when it has that status already.  The item: id,
 * external_id, email, status, status_reason, status_changed_at.
 */
int ops_user_status(struct ops *o, const struct ops_user_status_req *req,
    json_t **out);

/*
 * One user: id, external_id, email, balance, registered_at,
 * last_login_at, status, status_reason, status_changed_at, created_at;
 * and "ledger": {"items", "columns"}, its newest 50 credit entries (id,
 * created_at, kind, delta, ref, reason).  ENOTFOUND for no such user.
 */
int ops_user_show(struct ops *o, long long id, json_t **out);

#endif
