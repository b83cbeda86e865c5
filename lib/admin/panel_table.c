/*
 * panel_table.c - an operation's list as an HTML table, and the pager
 * under it (panel.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/internal.h"
#include "admin/panel.h"

static bool
numeric(const char *type)
{
	return type != NULL && (strcmp(type, "integer") == 0 ||
	    strcmp(type, "decimal") == 0);
}

/* base with one more query argument: '?' or '&' */
static const char *
joiner(const char *base)
{
	return strchr(base, '?') != NULL ? "&" : "?";
}

/* "last_login" -> "last login" */
static void
label(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s", name);
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '_')
			*p = ' ';
}

static void
header_cell(struct admin_req *r, struct strbuf *out, const char *name,
    const char *type, const struct panel_table_opt *opt)
{
	const char *cur = admin_query(r, "sort"), *order = admin_query(r, "order");
	bool sortable = false, now = cur != NULL && strcmp(cur, name) == 0;
	bool desc = now && order != NULL && strcmp(order, "desc") == 0;
	char text[80];

	label(text, sizeof(text), name);
	for (size_t i = 0; opt->sort_base != NULL && opt->sortable != NULL &&
	    opt->sortable[i] != NULL; i++)
		if (strcmp(opt->sortable[i], name) == 0)
			sortable = true;
	html_f(out, "<th scope=\"col\" class=\"%s%s\"", name,
	    numeric(type) ? " num" : "");
	if (now)
		html_f(out, " aria-sort=\"%s\"", desc ? "descending" : "ascending");
	html_f(out, ">");
	if (!sortable) {
		html_f(out, "%s</th>", text);
		return;
	}
	/* a click on the sorted column turns its order round */
	html_f(out, "<a class=\"sort%s\" data-sort=\"%s\" href=\"%s%ssort=%u&amp;"
	    "order=%s\">%s</a></th>", now ? (desc ? " desc" : " asc") : "", name,
	    opt->sort_base, joiner(opt->sort_base), name,
	    now && !desc ? "desc" : "asc", text);
}

static void
value_text(struct strbuf *out, const json_t *v, const char *type)
{
	char *dump;

	if (v == NULL || json_is_null(v))
		return;
	if (json_is_string(v))
		html_text(out, json_string_value(v));
	else if (json_is_integer(v))
		html_f(out, "%l", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		html_f(out, "%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_real(v))
		strbuf_addf(out, "%g", json_real_value(v));
	else if (type != NULL && strcmp(type, "json") == 0 &&
	    (dump = json_dumps(v, JSON_COMPACT)) != NULL) {
		html_f(out, "<code>%s</code>", dump);
		free(dump);
	}
}

static void
id_text(char *buf, size_t n, const json_t *id)
{
	buf[0] = '\0';
	if (json_is_integer(id))
		snprintf(buf, n, "%lld", (long long)json_integer_value(id));
	else if (json_is_string(id))
		snprintf(buf, n, "%s", json_string_value(id));
}

void
panel_table_with(struct admin_req *r, struct strbuf *out, const json_t *list,
    const struct panel_table_opt *opt)
{
	const json_t *cols = json_object_get(list, "columns");
	const json_t *items = json_object_get(list, "items");
	const json_t *row, *col;
	size_t i, j, ncols = json_array_size(cols);
	char id[128];

	html_f(out, "<table class=\"list\">\n<thead><tr>");
	json_array_foreach(cols, j, col)
		header_cell(r, out, json_string_value(json_object_get(col, "name")),
		    json_string_value(json_object_get(col, "type")), opt);
	if (opt->actions != NULL)
		html_f(out, "<th class=\"actions\"><span class=\"sr\">Actions</span>"
		    "</th>");
	html_f(out, "</tr></thead>\n<tbody>\n");
	json_array_foreach(items, i, row) {
		id_text(id, sizeof(id), json_object_get(row, "id"));
		if (opt->row_id != NULL && id[0] != '\0')
			html_f(out, "<tr id=\"%s-%s\">", opt->row_id, id);
		else
			html_f(out, "<tr>");
		json_array_foreach(cols, j, col) {
			const char *name = json_string_value(json_object_get(col,
			    "name"));
			const char *type = json_string_value(json_object_get(col,
			    "type"));

			html_f(out, "<td class=\"%s%s\">", name, numeric(type) ?
			    " num" : "");
			if (j == 0 && opt->row_link != NULL && id[0] != '\0') {
				html_f(out, "<a href=\"%s%u\">", opt->row_link, id);
				value_text(out, json_object_get(row, name), type);
				html_f(out, "</a>");
			} else
				value_text(out, json_object_get(row, name), type);
			html_f(out, "</td>");
		}
		if (opt->actions != NULL) {
			html_f(out, "<td class=\"actions\">");
			opt->actions(r, out, row);
			html_f(out, "</td>");
		}
		html_f(out, "</tr>\n");
	}
	if (json_array_size(items) == 0)
		html_f(out, "<tr><td class=\"empty\" colspan=\"%z\">Nothing to "
		    "show.</td></tr>\n", ncols + (opt->actions != NULL ? 1 : 0));
	html_f(out, "</tbody>\n</table>\n");
}

void
panel_table(struct admin_req *r, struct strbuf *out, const json_t *list,
    const char *sort_base, const char *const *sortable, const char *row_link,
    void (*actions)(struct admin_req *r, struct strbuf *out,
	const json_t *row))
{
	struct panel_table_opt opt = { sort_base, sortable, row_link, NULL,
	    actions };

	panel_table_with(r, out, list, &opt);
}

void
panel_pager(struct strbuf *out, const char *base, const json_t *list)
{
	long long total = (long long)json_integer_value(json_object_get(list,
	    "total"));
	long long page = (long long)json_integer_value(json_object_get(list,
	    "page"));
	long long per = (long long)json_integer_value(json_object_get(list,
	    "per_page"));
	long long pages = per > 0 ? (total + per - 1) / per : 1;

	if (page < 1)
		page = 1;
	if (pages < 1)
		pages = 1;
	html_f(out, "<nav class=\"pager\" aria-label=\"Pages\">");
	if (page > 1)
		html_f(out, "<a rel=\"prev\" href=\"%s%spage=%l\">Previous</a>",
		    base, joiner(base), page - 1);
	html_f(out, "<span>Page %l of %l (%l in all)</span>", page, pages, total);
	if (page < pages)
		html_f(out, "<a rel=\"next\" href=\"%s%spage=%l\">Next</a>",
		    base, joiner(base), page + 1);
	html_f(out, "</nav>\n");
}
