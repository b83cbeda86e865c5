#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "pg/migrate.h"

static bool
is_migration(const char *name)
{
	size_t n = strlen(name);

	return strncmp(name, "sql/", 4) == 0 && n > 8 &&
	    strcmp(name + n - 4, ".sql") == 0;
}

static int
apply_one(struct db *db, const struct embedded_file *f, struct strbuf *err)
{
	char sum[65];
	const char *params[2];
	int rc;

	fsutil_sha256_hex(f->data, f->len, sum);
	rc = db_begin(db, DB_READ_COMMITTED);
	if (rc == 0)
		rc = db_simple(db, f->data);
	if (rc == 0) {
		params[0] = f->name + 4;
		params[1] = sum;
		rc = db_command(db, NULL,
		    "INSERT INTO schema_migrations (name, sha256) VALUES ($1, $2)",
		    2, params);
	}
	if (rc == 0)
		rc = db_commit(db);
	if (rc != 0) {
		strbuf_addf(err, "%s: %s", f->name, db_errmsg(db));
		db_rollback(db);
		return rc;
	}
	log_info("applied %s", f->name);
	return 0;
}

int
migrate_run(struct db *db, const struct embedded_file *files, int *applied,
    struct strbuf *err)
{
	const struct embedded_file *f;
	PGresult *res = NULL;
	const char *params[1];
	char sum[65];
	int rc, n = 0;

	if (files == NULL)
		files = embedded_files;
	if (applied != NULL)
		*applied = 0;
	rc = db_simple(db,
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " name text PRIMARY KEY,"
	    " sha256 text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())");
	if (rc == 0)
		rc = db_simple(db, "SELECT pg_advisory_lock(7283393, 0)");
	if (rc != 0) {
		strbuf_addf(err, "cannot prepare migrations: %s", db_errmsg(db));
		return rc;
	}
	for (f = files; f->name != NULL; f++) {
		if (!is_migration(f->name))
			continue;
		params[0] = f->name + 4;
		rc = db_query(db, &res,
		    "SELECT sha256 FROM schema_migrations WHERE name = $1", 1,
		    params);
		if (rc != 0) {
			strbuf_addf(err, "%s: %s", f->name, db_errmsg(db));
			break;
		}
		if (PQntuples(res) == 1) {
			/* applied before; a changed file is a mistake to report,
			 * never a reason to run it again */
			fsutil_sha256_hex(f->data, f->len, sum);
			if (strcmp(PQgetvalue(res, 0, 0), sum) != 0)
				log_warning("%s changed since it was applied; "
				    "add a new migration instead", f->name);
			PQclear(res);
			continue;
		}
		PQclear(res);
		rc = apply_one(db, f, err);
		if (rc != 0)
			break;
		n++;
	}
	db_simple(db, "SELECT pg_advisory_unlock(7283393, 0)");
	if (applied != NULL)
		*applied = n;
	return rc;
}
