/*
 * audit.h - the audit trail.  Every admin mutation (and every automatic
 * revoke or debit a batch program makes on someone's behalf) records who,
 * what, why, and the entity's JSON before and after, in the SAME
 * transaction as the change: call audit_record() between db_begin() and
 * db_commit().
 *
 * The rows form a chain: each row's hash is HMAC-SHA256 under the audit
 * key of (the previous row's hash || the row's canonical content), its id
 * is the previous id + 1.  The key is read from the configuration's
 * audit_key_file (base/config.h) once per process, by the first call that
 * needs it; it is never stored in the database and never logged.  The
 * chain's head (newest id and MAC) is copied outside audit_log as an
 * "anchor": in every job_runs row and its log line (lib/pg/jobrun.c), in
 * each backup's manifest, and by `tallyctl audit anchor` for an admin to
 * keep.  audit_verify() checks the MACs, the dense ids, and that the chain
 * still reaches the anchors.  What this does and does not detect is in
 * README.md (Security).
 *
 * Rows written before migration 052 carry the old unkeyed sha256 hash;
 * verify accepts them only before the first keyed row, whose MAC covers
 * the last of them.
 *
 * Action names are "entity.verb": account.add, account.import,
 * account.update, account.suspend, account.reactivate, assignment.assign,
 * assignment.extend, assignment.revoke, assignment.release,
 * assignment.expire, product.add, product.update, model.set,
 * user.credit, user.status, case.accept, order.approve,
 * order.refund_revoke, order.refund_debit, event.retry, case.reopen,
 * admin_user.add, admin_user.passwd, admin_user.disable,
 * admin_user.enable, admin_user.remove, admin_session.login,
 * admin_session.logout.
 */
#ifndef TALLY_AUDIT_H
#define TALLY_AUDIT_H

#include <stdbool.h>

#include "pg/db.h"
#include "base/strbuf.h"

#define AUDIT_MAC_LEN 32

/*
 * Insert one audit row.  before_json / after_json are JSON texts (or NULL);
 * entity_id and reason may be NULL.  Returns 0 or a TALLY_E* code:
 * TALLY_ECONFIG when the audit key cannot be loaded (why: db_errmsg(db)),
 * TALLY_ERETRY
 * when another writer moved the head under a REPEATABLE READ transaction
 * (db_transaction() retries it).
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
 * Load the audit key now (it is otherwise loaded by the first
 * audit_record() or audit_verify()): from the configuration this process
 * loaded last (config_last_path()), else the default one.  0, or
 * TALLY_ECONFIG with the reason in err.  Loaded once; later calls return
 * the first result.
 */
int audit_key_load(struct strbuf *err);

/*
 * Create the configured audit key file (its default: $TALLY_HOME/audit.key)
 * with 32 random bytes as hex, mode 0600, unless it exists.  *created
 * (optional) says whether it did.  TALLY_ECONFIG / TALLY_EIO with err.
 */
int audit_key_create(bool *created, struct strbuf *err);

/* A chain head: the newest row's id and MAC (id 0: an empty log). */
struct audit_anchor {
	long long id;
	unsigned char mac[AUDIT_MAC_LEN];
	char source[96];	/* where it came from, for messages */
	bool outside;	/* given by the admin, not read from the database */
};

/* The head now (committed rows).  0 or a TALLY_E* code. */
int audit_head(struct db *db, struct audit_anchor *out);

/* "ID:HEX" (buf at least AUDIT_ANCHOR_TEXT bytes). */
#define AUDIT_ANCHOR_TEXT (24 + 2 * AUDIT_MAC_LEN)
void audit_anchor_format(const struct audit_anchor *a, char *buf, size_t len);
/* Parse "ID:HEX"; false when it is not one. */
bool audit_anchor_parse(const char *text, struct audit_anchor *out);

struct audit_check {
	/*
	 * In: the last id the admin knows to be from before the keyed chain
	 * (0: none), from a record kept outside the database, since the
	 * database's owner could write any boundary stored in it.
	 */
	long long legacy_until;
	long long rows;		/* rows checked */
	long long legacy;	/* unkeyed rows before the first keyed one */
	long long legacy_first, legacy_last;	/* their ids (0: none) */
	struct audit_anchor head;	/* the newest row */
	long long first_bad;	/* 0: intact */
	struct strbuf problem;	/* why first_bad is bad */
	struct strbuf reached;	/* the anchors reached, one per line */
	int anchors;		/* how many anchors were checked */
};

void audit_check_init(struct audit_check *c);
void audit_check_release(struct audit_check *c);

/*
 * Check the chain in one snapshot: every MAC under the key, ids dense and
 * links intact, unkeyed rows only before the first keyed one, and that
 * the chain reaches each of the given anchors and the newest anchor in
 * job_runs (a row there with that id and that MAC).  Unkeyed rows are
 * only accepted up to out->legacy_until or a given anchor the chain
 * reaches (both outside the database): anyone who can write the table
 * can compute an unkeyed hash, so other unkeyed rows make it not intact
 * (first_bad: the first of them).  Returns 0 when the check completed (out->first_bad says whether it is intact), or a
 * TALLY_E* code (TALLY_ECONFIG: no key).
 */
int audit_verify_chain(struct db *db, const struct audit_anchor *anchors,
    size_t nanchors, struct audit_check *out);

/*
 * audit_verify_chain() with the job_runs anchor only, in the old shape:
 * *first_bad 0 when intact, problem (optional) the reason.
 */
int audit_verify(struct db *db, long long *first_bad, long long *rows_checked,
    struct strbuf *problem);

#endif
