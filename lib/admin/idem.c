/*
 * idem.c - answers kept for an Idempotency-Key (admin_idempotency,
 * sql/070_admin_api.sql).
 *
 * A key belongs to one credential (scope "token:ID"): the same key sent
 * with another token is another key.  The answer is kept inside the
 * transaction of the change it answers (ops->on_commit), so a change
 * that committed always has its answer, and a change rolled back never
 * does; two requests racing with one key meet on the primary key, and
 * the loser's change is rolled back with it.  Only successes are kept:
 * a refused request changed nothing, and its retry is asked again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "admin/internal.h"
#include "base/err.h"

bool
admin_idem_key_ok(const char *key)
{
	size_t n;

	if (key == NULL || (n = strlen(key)) < 1 || n > 255)
		return false;
	for (; *key != '\0'; key++)
		if ((unsigned char)*key < 0x21 || (unsigned char)*key > 0x7e)
			return false;
	return true;
}

void
admin_idem_fingerprint(const char *method, const char *target,
    const char *body, size_t len, char hex[65])
{
	static const char digit[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	/* NUL between the parts: none can run into the next */
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, method, strlen(method) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, target, strlen(target) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, body, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &n) != 1)
		abort();	/* sha256 does not fail but for want of memory */
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < n && i < 32; i++) {
		hex[2 * i] = digit[md[i] >> 4];
		hex[2 * i + 1] = digit[md[i] & 0xf];
	}
	hex[64] = '\0';
}

int
admin_idem_find(struct db *db, const char *scope, const char *key,
    struct admin_idem_hit *hit)
{
	const char *params[2] = { scope, key };
	PGresult *res = NULL;
	int rc;

	memset(hit, 0, sizeof(*hit));
	rc = db_query(db, &res, "SELECT encode(fingerprint, 'hex'), status,"
	    " content_type, location, body FROM admin_idempotency"
	    " WHERE scope = $1 AND key = $2 AND expires_at > now()", 2, params);
	if (rc != 0)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return TALLY_ENOTFOUND;
	}
	snprintf(hit->fingerprint, sizeof(hit->fingerprint), "%s",
	    PQgetvalue(res, 0, 0));
	hit->status = (int)db_value_ll(res, 0, 1, 500);
	hit->content_type = xstrdup(PQgetvalue(res, 0, 2));
	hit->location = PQgetisnull(res, 0, 3) ? NULL :
	    xstrdup(PQgetvalue(res, 0, 3));
	hit->body = xstrdup(PQgetvalue(res, 0, 4));
	PQclear(res);
	return 0;
}

void
admin_idem_hit_release(struct admin_idem_hit *hit)
{
	free(hit->content_type);
	free(hit->location);
	free(hit->body);
	memset(hit, 0, sizeof(*hit));
}

int
admin_idem_keep(struct db *db, const char *scope, const char *key,
    const char *fingerprint, int status, const char *content_type,
    const char *location, const char *body)
{
	char st[16], hours[16];
	const char *params[8] = { scope, key, fingerprint, st, content_type,
		location, body, hours };
	const char *purge[1] = { scope };
	int rc;

	snprintf(st, sizeof(st), "%d", status);
	snprintf(hours, sizeof(hours), "%d", ADMIN_IDEMPOTENCY_HOURS);
	/* what this credential kept and let expire goes first (an expired
	 * key may then be used again) */
	rc = db_command(db, NULL, "DELETE FROM admin_idempotency"
	    " WHERE scope = $1 AND expires_at <= now()", 1, purge);
	if (rc != 0)
		return rc;
	return db_command(db, NULL, "INSERT INTO admin_idempotency (scope, key,"
	    " fingerprint, status, content_type, location, body, expires_at)"
	    " VALUES ($1, $2, decode($3, 'hex'), $4::integer, $5, $6, $7,"
	    " now() + make_interval(hours => $8::integer))", 8, params);
}
