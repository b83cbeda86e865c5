#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg/audit.h"
#include "base/err.h"

int
audit_record(struct db *db, const char *actor, const char *action,
    const char *entity, const char *entity_id, const char *reason,
    const char *before_json, const char *after_json)
{
	const char *params[7] = { actor, action, entity, entity_id, reason,
		before_json, after_json };

	/* id, time, prev_hash and hash are the database's to set (trigger) */
	return db_command(db, NULL,
	    "INSERT INTO audit_log (actor, action, entity, entity_id, reason,"
	    " before, after, prev_hash, hash)"
	    " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, '', '')",
	    7, params);
}

const char *
audit_actor(const char *explicit_actor)
{
	static char fallback[64];
	const char *s;
	struct passwd *pw;

	if (explicit_actor != NULL && explicit_actor[0] != '\0')
		return explicit_actor;
	/* the person behind sudo is the one accountable, not root */
	s = getenv("SUDO_USER");
	if (s != NULL && s[0] != '\0')
		return s;
	pw = getpwuid(getuid());
	if (pw != NULL && pw->pw_name != NULL) {
		snprintf(fallback, sizeof(fallback), "%s", pw->pw_name);
		return fallback;
	}
	snprintf(fallback, sizeof(fallback), "uid:%u", (unsigned)getuid());
	return fallback;
}

int
audit_verify(struct db *db, long long *first_bad, long long *rows_checked,
    struct strbuf *problem)
{
	PGresult *res = NULL;
	char *count = NULL;
	int rc;

	*first_bad = 0;
	if (rows_checked != NULL)
		*rows_checked = 0;
	rc = db_begin(db, DB_REPEATABLE_READ_RO);
	if (rc != 0)
		return rc;
	rc = db_query_value(db, &count, "SELECT count(*) FROM audit_log", 0, NULL);
	if (rc == 0)
		rc = db_query(db, &res,
		    "SELECT id, problem FROM tally_audit_verify() LIMIT 1", 0, NULL);
	if (rc == 0) {
		if (rows_checked != NULL && count != NULL)
			*rows_checked = strtoll(count, NULL, 10);
		if (PQntuples(res) == 1) {
			*first_bad = db_value_ll(res, 0, 0, -1);
			if (problem != NULL)
				strbuf_addstr(problem, PQgetvalue(res, 0, 1));
		}
		PQclear(res);
	}
	free(count);
	db_rollback(db);
	return rc;
}
