/*
 * dbarray.h - a list of values as one statement parameter.
 *
 * A PostgreSQL array literal ({"a","b",NULL}) passed as one $n and taken
 * apart in SQL (unnest($1::text[])): the values are quoted and escaped
 * for the array syntax only, never spliced into SQL.
 */
#ifndef TALLY_DBARRAY_H
#define TALLY_DBARRAY_H

#include <stddef.h>

#include "base/strbuf.h"

/* Append the array literal of n text values to sb (a NULL value is NULL). */
void db_array_literal(struct strbuf *sb, const char *const *vals, size_t n);

#endif
