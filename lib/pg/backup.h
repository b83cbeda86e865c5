/*
 * backup.h - a dump of the database and its restore: pg_dump -Fc into a
 * file that is read back before it is given its name, with a manifest
 * (size, sha256, the audit chain's head) beside it and old dumps pruned;
 * pg_restore of such a file into an empty database in one transaction.
 * `tallyctl db backup` and `db restore` (lib/ctl/backup.c) are the face.
 */
#ifndef TALLY_PG_BACKUP_H
#define TALLY_PG_BACKUP_H

#include <stdbool.h>
#include <time.h>

#include "base/strbuf.h"
#include "pg/db.h"
#include "pg/jobrun.h"

#define BACKUP_KEEP_DAYS 14

struct backup {
	const char *dir;	/* NULL: $TALLY_HOME/backups (backup_dir()) */
	long keep;		/* days; 0 keeps every dump */
	/* what backup_make() made */
	struct strbuf path;	/* DIR/tally-YYYYMMDDTHHMMSSZ.dump once written */
	long long bytes;
	int removed;		/* old dumps pruned */
	/* backup_make()'s own */
	struct strbuf tmp, conninfo, prog, default_dir;
	char *password;
};

/* keep BACKUP_KEEP_DAYS, dir NULL, nothing made yet. */
void backup_init(struct backup *b);
void backup_release(struct backup *b);

/* The directory (the default when b->dir is NULL), made 0700 when
 * missing: TALLY_EIO (logged) when it cannot be. */
int backup_dir(struct backup *b);

/*
 * pg_dump of db's database (the conninfo db_connect() uses) into b->dir:
 * written as DIR/.tally-STAMP.dump.partial, read back with pg_restore
 * --list, renamed to b->path; then DUMP.manifest (mode 0600): its name,
 * size, sha256 and the audit chain's head read before pg_dump began
 * (`tallyctl audit verify --anchor`).  Then dumps older than b->keep days
 * are removed, never the newest, and temporary files a crashed backup
 * left more than a day ago; other files are never touched.  The dump and
 * the counts go to jr (NULL: none).  TALLY_EPROBLEMS, with why set, when
 * the dump is made but old ones could not all be removed.
 */
int backup_make(struct backup *b, struct db *db, struct jobrun *jr,
    struct strbuf *why);

/*
 * The time a backup file name carries: true for a name exactly
 * "tally-YYYYMMDDTHHMMSSZ.dump" with a valid UTC time (stored in *t), false
 * for any other file, which retention never touches.
 */
bool backup_file_time(const char *name, time_t *t);

/* What backup_restore() restored. */
struct backup_restored {
	char *database;		/* its name */
	char *tables;		/* tables in public, as text; NULL: unknown */
};

/*
 * pg_restore of file into the configured database (db_connect()), which
 * must be empty (TALLY_EREFUSED otherwise, nothing touched; a file
 * pg_restore cannot read is TALLY_EDATA), in one transaction with
 * --no-owner: a failed restore leaves the database as empty as it was.
 * Then ANALYZE of the restored tables, and a notice when the dump predates
 * migrations this program has.  *out is freed by backup_restored_release().
 */
int backup_restore(const char *file, struct backup_restored *out);
void backup_restored_release(struct backup_restored *r);

#endif
