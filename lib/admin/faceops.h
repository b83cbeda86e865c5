/*
 * faceops.h - what the JSON API (api*.c) and the browser panel
 * (panel_pages*.c) both do with a request before or after its operation,
 * written once: each face only brings its own syntax (a JSON body, a
 * form) and its own way to answer.
 */
#ifndef TALLY_ADMIN_FACEOPS_H
#define TALLY_ADMIN_FACEOPS_H

#include <stdbool.h>
#include <stddef.h>

#include "admin/admin.h"

/* The {id} of a path as a whole number; false after answering 404
 * ("no WHAT 'x'").  api_pool.c. */
bool admin_path_id(struct admin_req *r, const char *what, long long *id);

/*
 * Import the accounts of a CSV text (a header line naming email, note,
 * max_seats, status), all or nothing (ops_account_import): 0 with *out,
 * or the code with r->ops.err (a malformed file: "SOURCE:LINE: reason"
 * lines) and r->ops.errors (bad values, by line).  source names it in
 * messages.  api_pool.c.
 */
int admin_import_csv(struct admin_req *r, const char *data, size_t len,
    const char *source, const char *reason, json_t **out);

/*
 * Answer with the report file named name (a file of ops_report_list,
 * never a path: ops_report_open) as an attachment with its Repr-Digest,
 * or its refusal through the face.  api_more.c.
 */
void admin_answer_report(struct admin_req *r, const char *name);

/*
 * The assignment list's "ending soon" window: days given (0..36500),
 * else the configured ending_soon_days.  api_pool.c.
 */
long long admin_ending_days(struct admin_req *r, bool given, long long days);

#endif
