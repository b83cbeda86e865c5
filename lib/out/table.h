/*
 * table.h - print rows for people and for scripts: an aligned text table
 * (the terminal default), RFC 4180 CSV, or JSON.  Shared by every tallyctl
 * command.
 *
 * The rows come from a PGresult (column types from PQftype) or are built by
 * hand.  Types decide alignment (numbers right-aligned), JSON encoding
 * (numbers and booleans bare, json/jsonb embedded as is, SQL NULL as null)
 * and CSV safety: a text cell starting with = + - @ TAB or CR is prefixed
 * with an apostrophe, so a spreadsheet never runs an email or a note as a
 * formula; numbers are left alone ("-5" stays a number).
 *
 * CSV goes through lib/out/csvout.h: text quoted, NULL an empty cell, "" an
 * empty string, booleans true/false.
 *
 * Text output escapes control characters (\n, \t, \x1b ...): a note from a
 * user can neither break the alignment nor send escape sequences to the
 * admin's terminal.  Widths count UTF-8 characters, wide East Asian
 * characters as two.
 */
#ifndef TALLY_TABLE_H
#define TALLY_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include <libpq-fe.h>

enum table_format {
	TABLE_TEXT,
	TABLE_CSV,
	TABLE_JSON
};

enum table_type {
	TABLE_STRING,
	TABLE_NUMBER,	/* integers and decimals: exact text, bare in JSON */
	TABLE_BOOL,	/* "t"/"f" (PostgreSQL) or "true"/"false" */
	TABLE_JSONV	/* a JSON text, embedded unquoted in JSON output */
};

struct table;

/* An empty table with ncols columns; the caller names them. */
struct table *table_new(size_t ncols);
void table_set_column(struct table *t, size_t col, const char *name,
    enum table_type type);
/* Append a row of ncols cells (a NULL cell is SQL NULL); values are copied. */
void table_add_row(struct table *t, const char *const *cells);
size_t table_rows(const struct table *t);
void table_free(struct table *t);

/* The column type tally uses for a PostgreSQL type oid. */
enum table_type table_type_for_oid(Oid oid);

/*
 * Write rows in fmt.  TABLE_TEXT: header, a rule, aligned rows and a
 * "(N rows)" footer; TABLE_CSV: a header record and CRLF-terminated records;
 * TABLE_JSON: an array of objects, one per line.  Returns 0 or TALLY_EIO
 * (write error, e.g. a closed pipe or a full disk).
 */
int table_write(const struct table *t, FILE *fp, enum table_format fmt);
/* The same for a PGresult, without copying it. */
int table_write_result(const PGresult *res, FILE *fp, enum table_format fmt);
/* Only the first ncols columns (all when ncols <= 0): a statement can
 * return display columns followed by the JSON it hands to the audit log. */
int table_write_columns(const PGresult *res, int ncols, FILE *fp,
    enum table_format fmt);

/*
 * One record, vertically: "name  value" lines for TABLE_TEXT, a single
 * JSON object (not an array) for TABLE_JSON, header + one record for CSV.
 * row must exist; ncols as for table_write_columns().
 */
int table_write_record(const PGresult *res, int row, int ncols, FILE *fp,
    enum table_format fmt);

/* One row of a built table, as table_write_record() prints it. */
int table_write_row(const struct table *t, size_t row, FILE *fp,
    enum table_format fmt);

/*
 * Rows as JSON, for faces that get them from lib/ops rather than from a
 * PGresult.  The columns are [{"name": N, "type": T}, ...] in display
 * order, T one of "integer", "decimal" (an exact decimal carried as a
 * JSON string, so money keeps every digit), "boolean", "json" (the value
 * itself, not its text) and "text"; a row is an object keyed by column
 * name.  Both are built from a PGresult here, and turned back into a
 * table that prints exactly as the PGresult would have.
 */
const char *table_json_type_for_oid(Oid oid);
/* The first ncols columns of res (all when ncols <= 0), as above. */
json_t *table_json_columns(const PGresult *res, int ncols);
/* Row row of res as an object of its first ncols columns. */
json_t *table_json_row(const PGresult *res, int row, int ncols);
/*
 * A table of rows (an array of objects) with columns: all of them, or
 * only those named in names (NULL-terminated), in that order.  A missing
 * key is NULL.  Never NULL; free with table_free().
 */
struct table *table_from_json(const json_t *columns, const json_t *rows,
    const char *const *names);

/* Parse "text", "csv" or "json". */
int table_format_parse(const char *s, enum table_format *fmt);

/* Display width of a UTF-8 string as table_write() prints it. */
size_t table_display_width(const char *s);

#endif
