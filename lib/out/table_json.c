/*
 * table_json.c - rows as JSON and back (see table.h): lib/ops answers in
 * JSON, and tallyctl prints those answers as the tables it always
 * printed, cell for cell.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/strbuf.h"
#include "out/table.h"

static int
clamp(const PGresult *res, int ncols)
{
	int n = PQnfields(res);

	return ncols > 0 && ncols < n ? ncols : n;
}

json_t *
table_json_columns(const PGresult *res, int ncols)
{
	json_t *cols = json_array();
	int n = clamp(res, ncols);

	for (int c = 0; c < n; c++)
		json_array_append_new(cols, json_pack("{s:s, s:s}", "name",
		    PQfname(res, c), "type",
		    table_json_type_for_oid(PQftype(res, c))));
	return cols;
}

static json_t *
cell_json(const PGresult *res, int row, int col)
{
	const char *type, *v;
	json_t *j;
	char *end;

	if (PQgetisnull(res, row, col))
		return json_null();
	v = PQgetvalue(res, row, col);
	type = table_json_type_for_oid(PQftype(res, col));
	if (strcmp(type, "integer") == 0) {
		long long n = strtoll(v, &end, 10);

		return *end == '\0' ? json_integer(n) : json_string(v);
	}
	if (strcmp(type, "boolean") == 0)
		return json_boolean(v[0] == 't');
	if (strcmp(type, "json") == 0) {
		j = json_loads(v, JSON_DECODE_ANY, NULL);
		return j != NULL ? j : json_string(v);
	}
	/* text, and decimals as PostgreSQL wrote them: exact */
	return json_string(v);
}

json_t *
table_json_row(const PGresult *res, int row, int ncols)
{
	json_t *o = json_object();
	int n = clamp(res, ncols);

	for (int c = 0; c < n; c++)
		json_object_set_new(o, PQfname(res, c), cell_json(res, row, c));
	return o;
}

static enum table_type
type_named(const char *t)
{
	if (t == NULL)
		return TABLE_STRING;
	if (strcmp(t, "integer") == 0 || strcmp(t, "decimal") == 0)
		return TABLE_NUMBER;
	if (strcmp(t, "boolean") == 0)
		return TABLE_BOOL;
	if (strcmp(t, "json") == 0)
		return TABLE_JSONV;
	return TABLE_STRING;
}

/* The cell's text as PostgreSQL would have sent it (NULL for null);
 * caller frees. */
static char *
cell_text(const json_t *v)
{
	char buf[64];

	if (v == NULL || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_true(v))
		return xstrdup("t");
	if (json_is_false(v))
		return xstrdup("f");
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		return xstrdup(buf);
	}
	if (json_is_real(v)) {
		snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		return xstrdup(buf);
	}
	/* objects and arrays: jansson's default separators (", " and ": ")
	 * are jsonb's text form */
	return json_dumps(v, JSON_ENCODE_ANY);
}

static const json_t *
column_named(const json_t *columns, const char *name)
{
	size_t i;
	const json_t *c;

	json_array_foreach(columns, i, c)
		if (strcmp(json_string_value(json_object_get(c, "name")) != NULL ?
		    json_string_value(json_object_get(c, "name")) : "", name) == 0)
			return c;
	return NULL;
}

struct table *
table_from_json(const json_t *columns, const json_t *rows,
    const char *const *names)
{
	size_t ncols = 0, i, r;
	const json_t *row;
	const char **keys;
	struct table *t;
	char **cells;

	if (names != NULL)
		while (names[ncols] != NULL)
			ncols++;
	else
		ncols = json_array_size(columns);
	t = table_new(ncols);
	keys = xcalloc(ncols ? ncols : 1, sizeof(*keys));
	for (i = 0; i < ncols; i++) {
		const json_t *c = names != NULL ? column_named(columns, names[i]) :
		    json_array_get(columns, i);

		keys[i] = names != NULL ? names[i] :
		    json_string_value(json_object_get(c, "name"));
		if (keys[i] == NULL)
			keys[i] = "";
		table_set_column(t, i, keys[i], type_named(c != NULL ?
		    json_string_value(json_object_get(c, "type")) : NULL));
	}
	cells = xcalloc(ncols ? ncols : 1, sizeof(*cells));
	json_array_foreach(rows, r, row) {
		for (i = 0; i < ncols; i++)
			cells[i] = cell_text(json_object_get(row, keys[i]));
		table_add_row(t, (const char *const *)cells);
		for (i = 0; i < ncols; i++)
			free(cells[i]);
	}
	free(cells);
	free(keys);
	return t;
}
