/*
 * csvin.h - a streaming CSV reader (RFC 4180, on libcsv) for files that
 * people and providers make: admin imports, settlement exports.
 *
 * The first record is the header; every later record is handed to a
 * callback, one at a time, with its fields looked up by header name
 * (ASCII case-insensitive) and the physical line number where the record
 * starts, so every message can say "FILE:LINE: field: reason".
 *
 * Accepted: a UTF-8 byte order mark, LF or CRLF line ends, quoted fields
 * with commas, quotes ("") and line breaks, blank lines (skipped; they
 * still count as lines).  Spaces around an unquoted field are trimmed
 * (libcsv's behaviour: spreadsheet exports pad columns); spaces inside
 * quotes are kept.  Refused with the line named: a malformed quote, a
 * field longer than max_field bytes, more than max_fields fields, a NUL
 * byte, invalid UTF-8, a duplicate header name, a record whose width
 * differs from the header's.
 *
 * Memory is bounded by max_field and max_fields, whatever the file size.
 */
#ifndef TALLY_CSVIN_H
#define TALLY_CSVIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/strbuf.h"

#define CSVIN_DEFAULT_MAX_FIELD	65536
#define CSVIN_DEFAULT_MAX_FIELDS	256

struct csvin_options {
	size_t max_field;	/* bytes per field; 0: CSVIN_DEFAULT_MAX_FIELD */
	size_t max_fields;	/* fields per record; 0: CSVIN_DEFAULT_MAX_FIELDS */
	unsigned char delim;	/* 0: ',' (';' for some European exports) */
	/* header names (NULL-terminated list) that must be present */
	const char *const *required;
	/* when not NULL, a header name outside required + allowed is an error
	 * (catches "emial"); NULL: extra columns are ignored */
	const char *const *allowed;
	/* a record with fewer fields than the header reads the missing
	 * trailing ones as ""; more fields is still an error */
	bool allow_short;
};

/* One record, valid only during the callback. */
struct csvin_record;

/* The value of column name ("" when empty), or NULL when the header has
 * no such column. */
const char *csvin_get(const struct csvin_record *rec, const char *name);
/* Fields by position, 0-based; NULL past the end. */
const char *csvin_field(const struct csvin_record *rec, size_t i);
size_t csvin_nfields(const struct csvin_record *rec);
/* Header name of column i, NULL past the end. */
const char *csvin_header(const struct csvin_record *rec, size_t i);
/* Physical line (1-based) where the record starts. */
unsigned long csvin_line(const struct csvin_record *rec);
/* Record number, 1-based, not counting the header. */
unsigned long csvin_index(const struct csvin_record *rec);
/* The name given for messages (the file path, or "-"). */
const char *csvin_source(const struct csvin_record *rec);
/*
 * Append "SOURCE:LINE: FIELD: message\n" to err (", FIELD" left out when
 * field is NULL): the one format for record-level errors.
 */
void csvin_errf(struct strbuf *err, const struct csvin_record *rec,
    const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Called once per record after the header.  Return 0 to go on, or a
 * negative TALLY_E* code to stop reading: csvin_read_* then returns it.
 * To report many problems in one pass, append them with csvin_errf() and
 * return 0.
 */
typedef int (*csvin_record_fn)(const struct csvin_record *rec, void *arg);

/*
 * Read path ("-": stdin) and call fn for each record.  A file that cannot
 * be opened: TALLY_EMISSING; a read error: TALLY_EIO; malformed CSV (any
 * refusal listed above): TALLY_EDATA.  The reason is appended to err as
 * "PATH:LINE: message\n".  opt may be NULL (defaults).
 */
int csvin_read_file(const char *path, const struct csvin_options *opt,
    csvin_record_fn fn, void *arg, struct strbuf *err);
/* The same from an open stream; name is used in messages. */
int csvin_read_stream(FILE *fp, const char *name,
    const struct csvin_options *opt, csvin_record_fn fn, void *arg,
    struct strbuf *err);
/* The same from memory. */
int csvin_read_mem(const void *data, size_t len, const char *name,
    const struct csvin_options *opt, csvin_record_fn fn, void *arg,
    struct strbuf *err);

#endif
