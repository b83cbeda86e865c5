/*
 * secretfile.h - reading secrets from files, strictly.
 *
 * A secret file holds one secret per line (two during a rotation).  Each
 * line is trimmed of surrounding whitespace; an empty or blank line, a line
 * longer than SECRETFILE_LINE_MAX bytes, a NUL byte or more lines than
 * allowed is an error, never a shorter, split or extra secret.  A file
 * that group or others may read is refused, as ssh does for keys and libpq
 * for .pgpass, except for the group bits of a file in systemd's
 * $CREDENTIALS_DIRECTORY: systemd grants the unit's user access by an ACL,
 * which shows as group bits, and nobody else can reach that directory.
 *
 * Errors name "FILE:LINE: reason" and never quote the file's content.
 */
#ifndef TALLY_SECRETFILE_H
#define TALLY_SECRETFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"

#define SECRETFILE_LINE_MAX 1024	/* bytes in one line, without its newline */
#define SECRETFILE_MAX_LINES 4

/* Where systemd's LoadCredential= takes credentials from; a relative name
 * is looked up here when $CREDENTIALS_DIRECTORY is not set. */
#define SECRETFILE_CREDSTORE "/etc/credstore"

struct secret {
	unsigned char *data;	/* the trimmed line, NUL-terminated */
	size_t len;
};

/*
 * The path a configured name means: an absolute path as it is; a relative
 * name in $CREDENTIALS_DIRECTORY when that is set (systemd), else in
 * SECRETFILE_CREDSTORE.  *in_credir (optional) tells whether the path is
 * inside $CREDENTIALS_DIRECTORY.
 */
void secretfile_resolve(const char *name, struct strbuf *path, bool *in_credir);

/*
 * Whether a configured value may be quoted in an error message: an explicit
 * path ("/..." or "./...") or a name like "tally.stripe".  A value that
 * looks like neither may be a secret pasted into the wrong place.
 */
bool secretfile_quotable(const char *value);

/*
 * Read up to max_lines secrets from path (max_lines <= SECRETFILE_MAX_LINES).
 * Messages name label (NULL: path).  in_credir relaxes the group check
 * (see above).  On success out[0..*n-1]
 * hold them (wipe with secretfile_wipe).  On failure nothing is kept, err
 * gets one "FILE[:LINE]: reason" line, and TALLY_ECONFIG is returned.
 */
int secretfile_read(const char *path, const char *label, bool in_credir,
    struct secret *out, int max_lines, int *n, struct strbuf *err);

/* explicit_bzero and free. */
void secretfile_wipe(struct secret *s);

#endif
