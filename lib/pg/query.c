/*
 * query.c - the statements of queries/, found by name among the embedded
 * files, and run with one log line when they fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "pg/embedded.h"
#include "pg/query.h"

#define QUERY_PREFIX "queries/"
#define QUERY_SUFFIX ".sql"

const char *
query_sql(const char *name)
{
	size_t pl = strlen(QUERY_PREFIX), nl = strlen(name);
	size_t sl = strlen(QUERY_SUFFIX);

	for (const struct embedded_file *f = embedded_files; f->name != NULL;
	    f++) {
		if (strlen(f->name) == pl + nl + sl &&
		    strncmp(f->name, QUERY_PREFIX, pl) == 0 &&
		    strncmp(f->name + pl, name, nl) == 0 &&
		    strcmp(f->name + pl + nl, QUERY_SUFFIX) == 0)
			return f->data;
	}
	log_err("internal error: no query " QUERY_PREFIX "%s" QUERY_SUFFIX
	    " compiled in", name);
	abort();
}

static int
logged(struct db *db, const char *name, int rc)
{
	if (rc == TALLY_ERETRY)
		log_debug(QUERY_PREFIX "%s" QUERY_SUFFIX ": %s (will retry)",
		    name, db_errmsg(db));
	else if (rc != 0)
		log_err(QUERY_PREFIX "%s" QUERY_SUFFIX ": %s", name,
		    db_errmsg(db));
	return rc;
}

int
query_command(struct db *db, const char *name, long long *affected,
    int nparams, const char *const *params)
{
	return logged(db, name, db_command(db, affected, query_sql(name),
	    nparams, params));
}

int
query_fixed(struct db *db, const char *sql)
{
	int rc;

	rc = db_command(db, NULL, sql, 0, NULL);
	if (rc == TALLY_ERETRY)
		log_debug("%s: %s (will retry)", sql, db_errmsg(db));
	else if (rc != 0)
		log_err("%s: %s", sql, db_errmsg(db));
	return rc;
}

int
query_rows(struct db *db, const char *name, PGresult **res, int nparams,
    const char *const *params)
{
	return logged(db, name, db_query(db, res, query_sql(name), nparams,
	    params));
}

int
query_ll(struct db *db, const char *name, long long *v, int nparams,
    const char *const *params)
{
	char *s = NULL;
	int rc;

	*v = 0;
	rc = db_query_value(db, &s, query_sql(name), nparams, params);
	if (rc == 0 && s != NULL)
		*v = strtoll(s, NULL, 10);
	free(s);
	return logged(db, name, rc);
}
