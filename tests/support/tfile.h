/*
 * tfile.h - the files a test reads and the directories it makes: one
 * reader, one temporary directory maker and remover, one way to find a
 * file of the source tree, and the XLSX reader (tests/support/xlsx_read.py)
 * as a function.  Each fails the running cmocka test on error, so callers
 * need not check.
 */
#ifndef TALLY_TEST_TFILE_H
#define TALLY_TEST_TFILE_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* The contents of dir/name (dir NULL: name is the path), NUL-terminated;
 * *len (optional) gets the length.  Caller frees. */
char *tfile_read(const char *dir, const char *name, size_t *len);

/* Write text to dir/name (dir NULL: name is the path), private to its
 * owner (0600), as key and secret files must be.  The path, in a buffer
 * the next call reuses. */
const char *tfile_write(const char *dir, const char *name, const char *text);

/* What stream f has left to read, NUL-terminated (caller frees). */
char *tfile_slurp(FILE *f, size_t *len);

/* How many entries dir holds besides . and .. (-1: cannot open it). */
int tfile_count(const char *dir);

/* A new empty directory $TMPDIR/prefixXXXXXX (caller frees the name). */
char *tfile_tempdir(const char *prefix);

/* A new name dir/outN, N counting up from 1, for a directory a test lets
 * the code under test create (caller frees). */
char *tfile_new_name(const char *dir);

/* Remove dir and all below it; says so on stderr when it cannot. */
void tfile_remove_tree(const char *dir);

/* rel under the directory environment variable var names, else (unset
 * or empty) under fallback.  Caller frees. */
char *tfile_under(const char *var, const char *fallback, const char *rel);

/* rel ("tests/support/xlsx_read.py") under $TALLY_SRCDIR, else under the
 * working directory (make and tests/run.sh run from the top of the tree).
 * Caller frees. */
char *tfile_src(const char *rel);

/* The workbook at path as tests/support/xlsx_read.py reads it. */
json_t *tfile_xlsx(const char *path);

#endif
