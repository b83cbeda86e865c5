/*
 * migrate.h - schema migrations: every embedded sql/NNN_name.sql, in name
 * order, each applied once, in its own transaction, recorded in
 * schema_migrations with its sha256.  Concurrent migrators serialise on an
 * advisory lock; a failing file rolls back whole and is named in the error.
 */
#ifndef TALLY_MIGRATE_H
#define TALLY_MIGRATE_H

#include "pg/db.h"
#include "pg/embedded.h"
#include "base/strbuf.h"

/*
 * Apply the pending files of the NULL-terminated list (only names that
 * start with "sql/" and end in ".sql"; NULL list: the embedded ones).
 * *applied (optional) counts files applied now.  On failure err holds
 * "sql/NNN_x.sql: reason" and the file's changes are rolled back.
 */
int migrate_run(struct db *db, const struct embedded_file *files, int *applied,
    struct strbuf *err);

#endif
