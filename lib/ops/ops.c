/*
 * ops.c - what every operation shares: its transaction, its audit row,
 * its failure message, and turning result rows into JSON.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "base/config.h"
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
	ops_reset(o);
	strbuf_release(&o->err);
}

void
ops_reset(struct ops *o)
{
	strbuf_reset(&o->err);
	o->field = NULL;
	json_decref(o->errors);
	o->errors = NULL;
}

const char *
ops_zone(const struct ops *o)
{
	return o->cfg != NULL && o->cfg->tz != NULL && o->cfg->tz[0] != '\0' ?
	    o->cfg->tz : "UTC";
}

int
ops_connect(struct ops *o)
{
	int rc;

	if (o->db != NULL)
		return 0;
	if (o->connect == NULL)
		return ops_fail(o, TALLY_EUNAVAIL, NULL, "no database connection");
	rc = o->connect(&o->db, o->connect_arg);
	if (rc == 0 && o->db == NULL)
		rc = TALLY_EUNAVAIL;
	if (rc != 0) {
		o->db = NULL;
		return ops_fail(o, rc, NULL, "cannot connect to the database");
	}
	return 0;
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

	if ((rc = ops_connect(o)) != 0)
		return rc;
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

	if ((rc = ops_connect(o)) != 0)
		return rc;
	/* a read has nothing to roll back: commit its snapshot either way */
	o->dry_run = false;
	rc = db_transaction(o->db, DB_REPEATABLE_READ_RO, OPS_ATTEMPTS, tx_fn,
	    &t);
	o->dry_run = dry;
	if (rc != 0 && o->err.len == 0)
		ops_fail(o, rc, NULL, NULL);
	return rc;
}

struct answer {
	ops_answer_fn *fn;
	void *arg;
	json_t *out;
	bool change;
};

static int
answer_fn(struct ops *o, void *p)
{
	struct answer *a = p;
	int rc;

	json_decref(a->out);
	a->out = NULL;
	rc = a->fn(o, a->arg, &a->out);
	if (rc == 0 && a->change && !o->dry_run && o->on_commit != NULL)
		rc = o->on_commit(o, a->out, o->on_commit_arg);
	return rc;
}

static int
answer(struct ops *o, int (*run)(struct ops *, int (*)(struct ops *, void *),
    void *), ops_answer_fn *fn, void *arg, json_t **out)
{
	struct answer a = { fn, arg, NULL, run == ops_mutate };
	int rc;

	rc = run(o, answer_fn, &a);
	if (rc != 0) {
		json_decref(a.out);
		a.out = NULL;
	}
	*out = a.out;
	return rc;
}

int
ops_change(struct ops *o, ops_answer_fn *fn, void *arg, json_t **out)
{
	return answer(o, ops_mutate, fn, arg, out);
}

int
ops_look(struct ops *o, ops_answer_fn *fn, void *arg, json_t **out)
{
	return answer(o, ops_read, fn, arg, out);
}

int
ops_db_fail(struct ops *o, int rc, const char *what)
{
	const char *msg = o->db != NULL ? db_errmsg(o->db) : "";

	return ops_fail(o, rc, NULL, "%s: %s", what,
	    msg[0] != '\0' ? msg : tally_strerror(rc));
}

void
ops_error_add(struct ops *o, unsigned long line, const char *field,
    const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	json_t *e;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	e = json_object();
	json_object_set_new(e, "line", json_integer((json_int_t)line));
	json_object_set_new(e, "field", field != NULL ? json_string(field) :
	    json_null());
	json_object_set_new(e, "message", json_string(strbuf_str(&msg)));
	if (o->errors == NULL)
		o->errors = json_array();
	json_array_append_new(o->errors, e);
	strbuf_release(&msg);
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

int
ops_audit_change(struct ops *o, const char *action, const char *entity,
    const char *entity_id, const char *reason, const PGresult *res, int row,
    int ncols)
{
	return ops_audit(o, action, entity, entity_id, reason,
	    db_value(res, row, ncols), PQgetvalue(res, row, ncols + 1));
}

int
ops_audit_new(struct ops *o, const char *action, const char *entity,
    const char *entity_id, const char *reason, const PGresult *res, int row,
    int ncols)
{
	return ops_audit(o, action, entity, entity_id, reason, NULL,
	    PQgetvalue(res, row, ncols));
}

static int
audited(struct ops *o, const char *action, const char *entity,
    const char *entity_id, const char *reason, const PGresult *res, int ncols,
    bool is_new, json_t **out)
{
	int rc = (is_new ? ops_audit_new : ops_audit_change)(o, action, entity,
	    entity_id, reason, res, 0, ncols);

	if (rc == 0)
		*out = ops_change_json(o, res, 0, ncols);
	return rc;
}

int
ops_audited(struct ops *o, const char *action, const char *entity,
    const char *entity_id, const char *reason, const PGresult *res, int ncols,
    json_t **out)
{
	return audited(o, action, entity, entity_id, reason, res, ncols, false,
	    out);
}

int
ops_audited_new(struct ops *o, const char *action, const char *entity,
    const char *entity_id, const char *reason, const PGresult *res, int ncols,
    json_t **out)
{
	return audited(o, action, entity, entity_id, reason, res, ncols, true,
	    out);
}

json_t *
ops_row_json(const PGresult *res, int row)
{
	return table_json_row(res, row, 0);
}

json_t *
ops_rows_json(const PGresult *res)
{
	json_t *a = json_array();
	int n = PQntuples(res);

	for (int r = 0; r < n; r++)
		json_array_append_new(a, table_json_row(res, r, 0));
	return a;
}

json_t *
ops_item_json(const PGresult *res, int row, int ncols)
{
	return json_pack("{s:o, s:o}", "item", table_json_row(res, row, ncols),
	    "columns", table_json_columns(res, ncols));
}

json_t *
ops_change_json(const struct ops *o, const PGresult *res, int row, int ncols)
{
	json_t *j = ops_item_json(res, row, ncols);

	json_object_set_new(j, "dry_run", json_boolean(o->dry_run));
	return j;
}

json_t *
ops_items_json(const PGresult *res, int ncols)
{
	json_t *items = json_array();
	int n = PQntuples(res);

	for (int r = 0; r < n; r++)
		json_array_append_new(items, table_json_row(res, r, ncols));
	return json_pack("{s:o, s:o}", "items", items, "columns",
	    table_json_columns(res, ncols));
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
	long long max = pg != NULL && pg->per_page_max > 0 ? pg->per_page_max :
	    OPS_PER_PAGE_MAX;

	if (page < 1 || page > 1000000000LL)
		return ops_fail(o, TALLY_EUSAGE, "page",
		    "page must be a whole number from 1");
	if (per == -1) {
		snprintf(limit, 24, "ALL");
		snprintf(offset, 24, "0");
		return 0;
	}
	if (per < 1 || per > max)
		return ops_fail(o, TALLY_EUSAGE, "per_page",
		    "per_page must be a whole number from 1 to %lld", max);
	snprintf(limit, 24, "%lld", per);
	snprintf(offset, 24, "%lld", (page - 1) * per);
	return 0;
}

int
ops_list_page(struct ops *o, const struct ops_list_sql *q,
    const struct ops_page *pg, const char *const *params, json_t **out)
{
	const char **p = xcalloc((size_t)q->nparams + 2, sizeof(*p));
	char limit[24], offset[24];
	PGresult *res = NULL;
	char *total = NULL;
	int rc;

	*out = NULL;
	if ((rc = ops_page_params(o, pg, limit, offset)) != 0)
		goto out;
	for (int i = 0; i < q->nparams; i++)
		p[i] = params[i];
	p[q->nparams] = limit;
	p[q->nparams + 1] = offset;
	rc = db_query_value(o->db, &total, q->count, q->nparams, p);
	if (rc == 0)
		rc = db_query(o->db, &res, q->rows, q->nparams + 2, p);
	if (rc != 0) {
		ops_db_fail(o, rc, q->what);
		goto out;
	}
	*out = ops_items_json(res, 0);
	json_object_set_new(*out, "total", json_integer(total != NULL ?
	    strtoll(total, NULL, 10) : 0));
	json_object_set_new(*out, "page", json_integer(pg != NULL &&
	    pg->page > 0 ? pg->page : 1));
	json_object_set_new(*out, "per_page", pg != NULL && pg->per_page < 0 ?
	    json_null() : json_integer(pg != NULL && pg->per_page > 0 ?
	    pg->per_page : OPS_PER_PAGE_DEFAULT));
out:
	PQclear(res);
	free(total);
	free(p);
	return rc;
}

struct list_arg {
	const struct ops_list_sql *q;
	const struct ops_page *pg;
	const char *const *params;
};

static int
list_fn(struct ops *o, void *p, json_t **out)
{
	struct list_arg *a = p;

	return ops_list_page(o, a->q, a->pg, a->params, out);
}

int
ops_list(struct ops *o, const struct ops_list_sql *q,
    const struct ops_page *pg, const char *const *params, json_t **out)
{
	struct list_arg a = { q, pg, params };
	char limit[24], offset[24];
	int rc;

	*out = NULL;
	ops_reset(o);
	/* a bad page is told before the database is asked */
	if ((rc = ops_page_params(o, pg, limit, offset)) != 0)
		return rc;
	return ops_look(o, list_fn, &a, out);
}

int
ops_list_flag(struct ops *o, const struct ops_list_sql *q,
    const struct ops_page *pg, bool flag, json_t **out)
{
	const char *params[1] = { flag ? "true" : "false" };

	return ops_list(o, q, pg, params, out);
}

bool
ops_is_digits(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

bool
ops_is_word(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("._-", *s) != NULL))
			return false;
	return true;
}

const char *
ops_upper(char *buf, size_t n, const char *s)
{
	if (s == NULL)
		return NULL;
	snprintf(buf, n, "%s", s);
	for (char *p = buf; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return buf;
}

bool
ops_name_ok(const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) < 1 || n > 64 ||
	    strchr("._-", s[0]) != NULL)
		return false;
	return ops_is_word(s);
}

int
ops_choice_check(struct ops *o, const char *field, const char *value,
    bool required, const char *const *choices)
{
	struct strbuf all = STRBUF_INIT;
	int rc;

	if (value == NULL && !required)
		return 0;
	for (size_t i = 0; value != NULL && choices[i] != NULL; i++)
		if (strcmp(value, choices[i]) == 0)
			return 0;
	for (size_t i = 0; choices[i] != NULL; i++)
		strbuf_addf(&all, "%s%s", i == 0 ? "" : choices[i + 1] != NULL ?
		    ", " : " or ", choices[i]);
	rc = ops_fail(o, TALLY_EUSAGE, field, "%s must be %s", field,
	    strbuf_str(&all));
	strbuf_release(&all);
	return rc;
}

int
ops_name_role_check(struct ops *o, const char *name, const char *role)
{
	if (!ops_name_ok(name))
		return ops_fail(o, TALLY_EUSAGE, "name", "name: 1 to 64 letters, "
		    "digits, '.', '_' or '-', starting with a letter or digit");
	static const char *const roles[] = { "read", "write", "admin", NULL };

	return ops_choice_check(o, "role", role, true, roles);
}

int
ops_text_check(struct ops *o, const char *field, const char *s, int max,
    const char *required)
{
	if (required != NULL && (s == NULL || s[strspn(s, " \t")] == '\0'))
		return ops_fail(o, TALLY_EUSAGE, field, "%s is required: %s",
		    field, required);
	if (s != NULL && strlen(s) > (size_t)max)
		return ops_fail(o, TALLY_EUSAGE, field, "%s is longer than %d "
		    "bytes", field, max);
	return 0;
}

int
ops_id_check(struct ops *o, long long id, const char *what)
{
	if (id < 1)
		return ops_fail(o, TALLY_EUSAGE, "id", "id must be %s (a whole "
		    "number from 1)", what);
	return 0;
}
