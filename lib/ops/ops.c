/*
 * ops.c - what every operation shares: its transaction, its audit row,
 * its failure message, and turning result rows into JSON.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "base/err.h"
#include "base/strbuf.h"
#include "out/table.h"
#include "ops/ops.h"
#include "pg/audit.h"
#include "pg/db.h"

/* Deadlocks between admins are rare; give up after a few. */
#define OPS_ATTEMPTS 5
/* What fn returns to end a dry run's transaction with a rollback. */
#define OPS_ROLLBACK 1

void
ops_init(struct ops *o, struct db *db, const char *actor, bool dry_run)
{
	memset(o, 0, sizeof(*o));
	o->db = db;
	o->actor = actor;
	o->dry_run = dry_run;
	strbuf_init(&o->err);
}

void
ops_release(struct ops *o)
{
	strbuf_release(&o->err);
	o->field = NULL;
}

void
ops_reset(struct ops *o)
{
	strbuf_reset(&o->err);
	o->field = NULL;
}

int
ops_fail(struct ops *o, int rc, const char *field, const char *fmt, ...)
{
	va_list ap;

	strbuf_reset(&o->err);
	o->field = field;
	if (fmt != NULL) {
		va_start(ap, fmt);
		strbuf_vaddf(&o->err, fmt, ap);
		va_end(ap);
	} else if (o->db != NULL && db_errmsg(o->db)[0] != '\0')
		strbuf_addstr(&o->err, db_errmsg(o->db));
	else
		strbuf_addstr(&o->err, tally_strerror(rc));
	return rc;
}

struct tx {
	struct ops *o;
	int (*fn)(struct ops *o, void *arg);
	void *arg;
};

static int
tx_fn(struct db *db, void *p)
{
	struct tx *t = p;
	int rc;

	(void)db;
	ops_reset(t->o);
	rc = t->fn(t->o, t->arg);
	if (rc == 0 && t->o->dry_run)
		return OPS_ROLLBACK;
	return rc;
}

int
ops_mutate(struct ops *o, int (*fn)(struct ops *o, void *arg), void *arg)
{
	struct tx t = { o, fn, arg };
	int rc;

	rc = db_transaction(o->db, DB_READ_COMMITTED, OPS_ATTEMPTS, tx_fn, &t);
	if (rc == OPS_ROLLBACK)
		return 0;
	if (rc != 0 && o->err.len == 0)
		ops_fail(o, rc, NULL, NULL);
	if (rc == TALLY_ERETRY)
		ops_fail(o, rc, NULL, "gave up after %d attempts: %s",
		    OPS_ATTEMPTS, db_errmsg(o->db));
	return rc;
}

int
ops_read(struct ops *o, int (*fn)(struct ops *o, void *arg), void *arg)
{
	struct tx t = { o, fn, arg };
	bool dry = o->dry_run;
	int rc;

	/* a read has nothing to roll back: commit its snapshot either way */
	o->dry_run = false;
	rc = db_transaction(o->db, DB_REPEATABLE_READ_RO, OPS_ATTEMPTS, tx_fn,
	    &t);
	o->dry_run = dry;
	if (rc != 0 && o->err.len == 0)
		ops_fail(o, rc, NULL, NULL);
	return rc;
}

int
ops_audit(struct ops *o, const char *action, const char *entity,
    const char *entity_id, const char *reason, const char *before_json,
    const char *after_json)
{
	int rc;

	rc = audit_record(o->db, audit_actor(o->actor), action, entity,
	    entity_id, reason, before_json, after_json);
	if (rc != 0)
		return ops_fail(o, rc, NULL, "writing the audit log: %s",
		    db_errmsg(o->db));
	return 0;
}

static json_t *
cell_json(const PGresult *res, int row, int col)
{
	const char *v;
	json_t *j;
	char *end;

	if (PQgetisnull(res, row, col))
		return json_null();
	v = PQgetvalue(res, row, col);
	switch (table_type_for_oid(PQftype(res, col))) {
	case TABLE_NUMBER:
		/* integers exactly; decimals (money is never one) as reals */
		if (strpbrk(v, ".eE") == NULL) {
			long long n = strtoll(v, &end, 10);

			if (*end == '\0')
				return json_integer(n);
		}
		return json_real(strtod(v, NULL));
	case TABLE_BOOL:
		return json_boolean(v[0] == 't');
	case TABLE_JSONV:
		j = json_loads(v, JSON_DECODE_ANY, NULL);
		return j != NULL ? j : json_string(v);
	case TABLE_STRING:
	default:
		return json_string(v);
	}
}

json_t *
ops_row_json(const PGresult *res, int row)
{
	json_t *o = json_object();
	int ncols = PQnfields(res);

	for (int c = 0; c < ncols; c++)
		json_object_set_new(o, PQfname(res, c), cell_json(res, row, c));
	return o;
}

json_t *
ops_rows_json(const PGresult *res)
{
	json_t *a = json_array();
	int n = PQntuples(res);

	for (int r = 0; r < n; r++)
		json_array_append_new(a, ops_row_json(res, r));
	return a;
}

json_t *
ops_list_json(json_t *items, long long total, const struct ops_page *pg)
{
	json_t *o = json_object();
	long long per = pg == NULL || pg->per_page == 0 ? OPS_PER_PAGE_DEFAULT :
	    pg->per_page;

	json_object_set_new(o, "items", items);
	json_object_set_new(o, "total", json_integer(total));
	json_object_set_new(o, "page", json_integer(pg != NULL &&
	    pg->page > 0 ? pg->page : 1));
	json_object_set_new(o, "per_page", per < 0 ? json_null() :
	    json_integer(per));
	return o;
}

int
ops_page_params(struct ops *o, const struct ops_page *pg, char limit[24],
    char offset[24])
{
	long long page = pg != NULL && pg->page != 0 ? pg->page : 1;
	long long per = pg != NULL && pg->per_page != 0 ? pg->per_page :
	    OPS_PER_PAGE_DEFAULT;

	if (page < 1 || page > 1000000000LL)
		return ops_fail(o, TALLY_EUSAGE, "page",
		    "page must be a whole number from 1");
	if (per == -1) {
		snprintf(limit, 24, "ALL");
		snprintf(offset, 24, "0");
		return 0;
	}
	if (per < 1 || per > OPS_PER_PAGE_MAX)
		return ops_fail(o, TALLY_EUSAGE, "per_page",
		    "per_page must be a whole number from 1 to %d",
		    OPS_PER_PAGE_MAX);
	snprintf(limit, 24, "%lld", per);
	snprintf(offset, 24, "%lld", (page - 1) * per);
	return 0;
}
