/*
 * stored.c - a stored delivery read back (see intake/stored.h).
 */
#include <string.h>

#include <libpq-fe.h>

#include "base/err.h"
#include "base/log.h"
#include "intake/signature.h"
#include "intake/stored.h"

int
stored_event_load(struct db *db, const char *source, const char *key,
    struct strbuf *body, char **content_type, char **webhook_id)
{
	PGresult *res = NULL;
	const char *params[2] = { source, key };
	const char *hex;
	size_t len;
	int rc;

	*content_type = *webhook_id = NULL;
	rc = db_query(db, &res,
	    "SELECT encode(body, 'hex'), content_type, "
	    "sig_headers->>'webhook-id' FROM raw_events "
	    "WHERE source = $1 AND event_key = $2", 2, params);
	if (rc != 0) {
		log_err("send: reading the stored event: %s", db_errmsg(db));
		goto done;
	}
	if (PQntuples(res) != 1 || (hex = db_value(res, 0, 0)) == NULL) {
		log_err("send: no stored event %s in source %s", key, source);
		rc = TALLY_ENOTFOUND;
		goto done;
	}
	len = strlen(hex) / 2;
	strbuf_reset(body);
	strbuf_grow(body, len);
	if (signature_hex_decode(hex, strlen(hex),
	    (unsigned char *)body->buf, len) != 0) {
		rc = TALLY_EINTERNAL;
		goto done;
	}
	body->len = len;
	body->buf[len] = '\0';
	if (db_value(res, 0, 1) != NULL)
		*content_type = xstrdup(db_value(res, 0, 1));
	if (db_value(res, 0, 2) != NULL)
		*webhook_id = xstrdup(db_value(res, 0, 2));
done:
	PQclear(res);
	return rc;
}
