/*
 * audit.h - the audit trail.  Every admin mutation (and every automatic
 * revoke or debit a batch program makes on someone's behalf) records who,
 * what, why, and the entity's JSON before and after, in the SAME
 * transaction as the change: call audit_record() between db_begin() and
 * db_commit().  The database chains each row's hash to the previous one
 * (sql/002_audit_roles.sql); audit_verify() reports the first broken link.
 *
 * Action names are "entity.verb": account.add, account.import,
 * account.update, account.suspend, account.reactivate, assignment.assign,
 * assignment.extend, assignment.revoke, assignment.release,
 * assignment.expire, product.add, product.update, model.set,
 * user.credit, case.accept, order.approve, order.refund_revoke,
 * order.refund_debit, event.retry, case.reopen.
 */
#ifndef TALLY_AUDIT_H
#define TALLY_AUDIT_H

#include "pg/db.h"
#include "base/strbuf.h"

/*
 * Insert one audit row.  before_json / after_json are JSON texts (or NULL);
 * entity_id and reason may be NULL.  Returns 0 or a TALLY_E* code.
 */
int audit_record(struct db *db, const char *actor, const char *action,
    const char *entity, const char *entity_id, const char *reason,
    const char *before_json, const char *after_json);

/*
 * The actor to record: the explicit one when not NULL/empty, else
 * $SUDO_USER, else the OS login name, else "uid:N".  Returns a static or
 * caller-owned pointer that stays valid for the process lifetime.
 */
const char *audit_actor(const char *explicit_actor);

/*
 * Check the hash chain.  *first_bad is set to the id of the first row that
 * was altered or follows a removed row (0 when the chain is intact) and
 * problem (if not NULL) receives a description.  Returns 0 on a completed
 * check (intact or not) or a TALLY_E* code.
 */
int audit_verify(struct db *db, long long *first_bad, long long *rows_checked,
    struct strbuf *problem);

#endif
