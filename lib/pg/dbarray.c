/*
 * dbarray.c - array literals for list parameters.
 */
#include "pg/dbarray.h"

void
db_array_literal(struct strbuf *sb, const char *const *vals, size_t n)
{
	strbuf_addch(sb, '{');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strbuf_addch(sb, ',');
		if (vals[i] == NULL) {
			strbuf_addstr(sb, "NULL");
			continue;
		}
		/* inside double quotes only " and \ are special */
		strbuf_addch(sb, '"');
		for (const char *p = vals[i]; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				strbuf_addch(sb, '\\');
			strbuf_addch(sb, *p);
		}
		strbuf_addch(sb, '"');
	}
	strbuf_addch(sb, '}');
}
