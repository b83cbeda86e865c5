#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "report/sql.h"
#include "base/strbuf.h"

#define SHEET_NAME_MAX 31	/* Excel's limit, in characters */

/* A copy of [s, s+n) without leading and trailing blanks. */
static char *
trimmed(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* Split a comma-separated list of names; empty items are an error. */
static int
split_list(const char *s, char ***items, size_t *n)
{
	const char *p = s, *comma;
	char *item;

	for (;;) {
		comma = strchr(p, ',');
		item = trimmed(p, comma != NULL ? (size_t)(comma - p) : strlen(p));
		if (item[0] == '\0') {
			free(item);
			return -1;
		}
		*items = xrealloc(*items, (*n + 1) * sizeof(**items));
		(*items)[(*n)++] = item;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

static void
free_list(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

char *
report_sql_slug(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	bool dash = false;

	for (const char *p = name; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c >= 'A' && c <= 'Z')) {
			if (dash && sb.len > 0)
				strbuf_addch(&sb, '-');
			dash = false;
			strbuf_addch(&sb, tolower(c));
		} else
			dash = true;
	}
	if (sb.len == 0)
		strbuf_addstr(&sb, "sheet");
	return strbuf_detach(&sb, NULL);
}

/* "reports/weekly/10_pool.sql" -> "pool" */
static char *
default_name(const char *file)
{
	const char *base = strrchr(file, '/');
	size_t n;

	base = base != NULL ? base + 1 : file;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".sql") == 0)
		n -= 4;
	if (isdigit((unsigned char)base[0])) {
		size_t i = 0;

		while (i < n && isdigit((unsigned char)base[i]))
			i++;
		if (i < n && base[i] == '_') {
			base += i + 1;
			n -= i + 1;
		}
	}
	return xstrndup(base, n);
}

static bool
sheet_name_ok(const char *name)
{
	size_t chars = 0;

	if (name[0] == '\0' || name[0] == '\'' ||
	    name[strlen(name) - 1] == '\'' || strpbrk(name, "[]:*?/\\") != NULL)
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (((unsigned char)*p & 0xC0) != 0x80)
			chars++;
	return chars <= SHEET_NAME_MAX;
}

static int
parse_money(struct report_sql_sheet *sh, const char *v)
{
	char **items = NULL;
	size_t n = 0;
	int rc = 0;

	if (split_list(v, &items, &n) != 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *eq = strchr(items[i], '=');
		struct report_sql_money *m;

		if (eq == NULL) {
			rc = -1;
			break;
		}
		sh->money = xrealloc(sh->money, (sh->nmoney + 1) *
		    sizeof(*sh->money));
		m = &sh->money[sh->nmoney];
		m->column = trimmed(items[i], (size_t)(eq - items[i]));
		m->currency = trimmed(eq + 1, strlen(eq + 1));
		sh->nmoney++;
		if (m->column[0] == '\0' || m->currency[0] == '\0')
			rc = -1;
	}
	free_list(items, n);
	return rc;
}

/* "column; category=week; values=new,expired; title=..." */
static int
parse_chart(struct report_sql_sheet *sh, const char *v, struct strbuf *why)
{
	struct report_sql_chart c;
	const char *p = v, *semi;
	char *part, *eq;
	bool first = true;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	for (;;) {
		semi = strchr(p, ';');
		part = trimmed(p, semi != NULL ? (size_t)(semi - p) : strlen(p));
		if (first) {
			if (strcmp(part, "line") == 0)
				c.kind = XLSXOUT_CHART_LINE;
			else if (strcmp(part, "column") == 0)
				c.kind = XLSXOUT_CHART_COLUMN;
			else if (strcmp(part, "pie") == 0)
				c.kind = XLSXOUT_CHART_PIE;
			else {
				strbuf_addf(why, "chart type \"%s\" is not line, "
				    "column or pie", part);
				rc = -1;
			}
			first = false;
		} else if (part[0] != '\0') {
			eq = strchr(part, '=');
			if (eq == NULL) {
				strbuf_addf(why, "chart part \"%s\" is not key=value",
				    part);
				rc = -1;
			} else {
				*eq = '\0';
				if (strcmp(part, "category") == 0 && c.category == NULL)
					c.category = trimmed(eq + 1, strlen(eq + 1));
				else if (strcmp(part, "values") == 0 && c.values == NULL) {
					if (split_list(eq + 1, &c.values,
					    &c.nvalues) != 0) {
						strbuf_addstr(why, "empty chart value");
						rc = -1;
					}
				} else if (strcmp(part, "dashed") == 0 &&
				    c.dashed == NULL) {
					if (split_list(eq + 1, &c.dashed,
					    &c.ndashed) != 0) {
						strbuf_addstr(why, "empty dashed value");
						rc = -1;
					}
				} else if (strcmp(part, "title") == 0 && c.title == NULL)
					c.title = trimmed(eq + 1, strlen(eq + 1));
				else {
					strbuf_addf(why, "chart key \"%s\" unknown or "
					    "repeated", part);
					rc = -1;
				}
			}
		}
		free(part);
		if (rc != 0 || semi == NULL)
			break;
		p = semi + 1;
	}
	if (rc == 0 && (c.category == NULL || c.category[0] == '\0' ||
	    c.nvalues == 0)) {
		strbuf_addstr(why, "a chart needs category= and values=");
		rc = -1;
	}
	if (rc == 0 && c.kind == XLSXOUT_CHART_PIE && c.nvalues != 1) {
		strbuf_addstr(why, "a pie chart has exactly one value column");
		rc = -1;
	}
	if (rc == 0 && c.kind != XLSXOUT_CHART_LINE && c.ndashed > 0) {
		strbuf_addstr(why, "dashed series belong to a line chart");
		rc = -1;
	}
	sh->charts = xrealloc(sh->charts, (sh->ncharts + 1) * sizeof(*sh->charts));
	sh->charts[sh->ncharts++] = c;	/* freed with the sheet either way */
	return rc;
}

/* "name | Header | what it means" */
static int
parse_column(struct report_sql_sheet *sh, const char *v, struct strbuf *why)
{
	const char *bar = strchr(v, '|'), *bar2;
	struct report_sql_column col;

	if (bar == NULL) {
		strbuf_addstr(why, "want column: name | Header | explanation");
		return -1;
	}
	bar2 = strchr(bar + 1, '|');
	col.name = trimmed(v, (size_t)(bar - v));
	col.header = trimmed(bar + 1, bar2 != NULL ? (size_t)(bar2 - bar - 1) :
	    strlen(bar + 1));
	col.note = bar2 != NULL ? trimmed(bar2 + 1, strlen(bar2 + 1)) : NULL;
	if (col.note != NULL && col.note[0] == '\0') {
		free(col.note);
		col.note = NULL;
	}
	sh->columns = xrealloc(sh->columns, (sh->ncolumns + 1) *
	    sizeof(*sh->columns));
	sh->columns[sh->ncolumns++] = col;	/* freed with the sheet */
	if (col.name[0] == '\0' || col.header[0] == '\0') {
		strbuf_addstr(why, "a column directive needs a name and a header");
		return -1;
	}
	for (size_t i = 0; i + 1 < sh->ncolumns; i++)
		if (strcmp(sh->columns[i].name, col.name) == 0) {
			strbuf_addf(why, "column \"%s\" described twice", col.name);
			return -1;
		}
	return 0;
}

/* "column=value" */
static int
parse_total(struct report_sql_sheet *sh, const char *v, struct strbuf *why)
{
	const char *eq = strchr(v, '=');
	struct report_sql_total t;

	if (eq == NULL) {
		strbuf_addstr(why, "want total: column=value");
		return -1;
	}
	t.column = trimmed(v, (size_t)(eq - v));
	t.value = trimmed(eq + 1, strlen(eq + 1));
	sh->totals = xrealloc(sh->totals, (sh->ntotals + 1) *
	    sizeof(*sh->totals));
	sh->totals[sh->ntotals++] = t;
	if (t.column[0] == '\0' || t.value[0] == '\0') {
		strbuf_addstr(why, "want total: column=value");
		return -1;
	}
	return 0;
}

/* "column=from, column2=from2" */
static int
parse_cellnote(struct report_sql_sheet *sh, const char *v, struct strbuf *why)
{
	char **items = NULL;
	size_t n = 0;
	int rc = 0;

	if (split_list(v, &items, &n) != 0)
		rc = -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *eq = strchr(items[i], '=');
		struct report_sql_cellnote *c;

		if (eq == NULL) {
			rc = -1;
			break;
		}
		sh->cellnotes = xrealloc(sh->cellnotes, (sh->ncellnotes + 1) *
		    sizeof(*sh->cellnotes));
		c = &sh->cellnotes[sh->ncellnotes++];
		c->column = trimmed(items[i], (size_t)(eq - items[i]));
		c->from = trimmed(eq + 1, strlen(eq + 1));
		if (c->column[0] == '\0' || c->from[0] == '\0')
			rc = -1;
	}
	free_list(items, n);
	if (rc != 0)
		strbuf_addstr(why, "want cellnote: column=note_column, ...");
	return rc;
}

/* "7 days" */
static int
parse_window(struct report_sql_sheet *sh, const char *v, struct strbuf *why)
{
	char *end;
	long n = strtol(v, &end, 10);

	while (*end == ' ')
		end++;
	if (end == v || n < 1 || n > 366 || (strcmp(end, "days") != 0 &&
	    strcmp(end, "day") != 0) || sh->window_days != 0) {
		strbuf_addstr(why, "want window: N days (1 to 366), once");
		return -1;
	}
	sh->window_days = (int)n;
	return 0;
}

static int
directive(struct report_sql_sheet *sh, const char *key, const char *v,
    struct strbuf *why)
{
	static const char *const known[] = { "sheet", "money", "percent",
		"chart", "heatmap", "column", "total", "window", "summary",
		"cellnote" };

	if (strcmp(key, "sheet") == 0) {
		if (sh->name != NULL) {
			strbuf_addstr(why, "sheet given twice");
			return -1;
		}
		sh->name = xstrdup(v);
		return 0;
	}
	if (strcmp(key, "money") == 0) {
		if (parse_money(sh, v) != 0) {
			strbuf_addstr(why, "want money: column=currency_column_or_code, ...");
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "percent") == 0) {
		if (split_list(v, &sh->percent, &sh->npercent) != 0) {
			strbuf_addstr(why, "empty percent column");
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "chart") == 0)
		return parse_chart(sh, v, why);
	if (strcmp(key, "column") == 0)
		return parse_column(sh, v, why);
	if (strcmp(key, "total") == 0)
		return parse_total(sh, v, why);
	if (strcmp(key, "window") == 0)
		return parse_window(sh, v, why);
	if (strcmp(key, "cellnote") == 0)
		return parse_cellnote(sh, v, why);
	if (strcmp(key, "summary") == 0) {
		if (sh->summary != NULL || v[0] == '\0') {
			strbuf_addstr(why, "want summary: the report's title, once");
			return -1;
		}
		sh->summary = xstrdup(v);
		return 0;
	}
	if (strcmp(key, "heatmap") == 0) {
		if (strcmp(v, "*numeric*") == 0) {
			sh->heatmap_numeric = true;
			return 0;
		}
		if (split_list(v, &sh->heatmap, &sh->nheatmap) != 0) {
			strbuf_addstr(why, "empty heatmap column");
			return -1;
		}
		return 0;
	}
	/* prose may read "word: ..." too; only a near-miss of a directive
	 * ("charts", "sheet_name", "heatmaps") is a mistake worth stopping */
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strncmp(key, known[i], 4) == 0) {
			strbuf_addf(why, "unknown header key \"%s\" (known: "
			    "sheet, money, percent, chart, heatmap, column, "
			    "total, cellnote, window, summary)", key);
			return -1;
		}
	return 0;
}

/*
 * One header line (without its "--"): a directive when it reads
 * "key: value" with key a lower-case word; anything else is free text.
 */
static int
header_line(struct report_sql_sheet *sh, const char *s, size_t n,
    bool *in_column, struct strbuf *why)
{
	size_t i = 0, k0, k1;
	char *key, *val;
	int rc;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	/* a column's explanation goes on over indented comment lines */
	if (*in_column && i >= 2 && i < n) {
		struct report_sql_column *c = &sh->columns[sh->ncolumns - 1];
		struct strbuf sb = STRBUF_INIT;

		val = trimmed(s + i, n - i);
		if (c->note != NULL)
			strbuf_addf(&sb, "%s ", c->note);
		strbuf_addstr(&sb, val);
		free(val);
		free(c->note);
		c->note = strbuf_detach(&sb, NULL);
		return 0;
	}
	*in_column = false;
	k0 = i;
	while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
		i++;
	k1 = i;
	if (k1 == k0 || i >= n || s[i] != ':')
		return 0;
	key = xstrndup(s + k0, k1 - k0);
	val = trimmed(s + i + 1, n - i - 1);
	rc = directive(sh, key, val, why);
	*in_column = rc == 0 && strcmp(key, "column") == 0;
	free(key);
	free(val);
	return rc;
}

int
report_sql_parse(struct report_sql_sheet *sh, const char *file,
    const char *sql, struct strbuf *err)
{
	struct strbuf why = STRBUF_INIT;
	const char *p = sql, *eol, *q;
	int line = 0, rc = 0;
	bool in_column = false;
	size_t n;

	memset(sh, 0, sizeof(*sh));
	sh->file = xstrdup(file);
	sh->sql = sql;
	while (*p != '\0') {
		line++;
		eol = strchr(p, '\n');
		n = eol != NULL ? (size_t)(eol - p) : strlen(p);
		q = p;
		while (q < p + n && isspace((unsigned char)*q))
			q++;
		if (q >= p + n)
			in_column = false;	/* a blank line ends a note */
		if (q < p + n) {
			if (q + 1 >= p + n || q[0] != '-' || q[1] != '-') {
				/* the query starts: the header is over */
				sh->has_query = true;
				break;
			}
			if (header_line(sh, q + 2, (size_t)(p + n - q - 2),
			    &in_column, &why) != 0) {
				strbuf_addf(err, "%s:%d: %s", file, line,
				    strbuf_str(&why));
				rc = TALLY_EINTERNAL;
				break;
			}
		}
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	strbuf_release(&why);
	if (rc != 0)
		return rc;
	if (sh->name == NULL)
		sh->name = default_name(file);
	if (!sheet_name_ok(sh->name)) {
		strbuf_addf(err, "%s: sheet name \"%s\": at most 31 characters, "
		    "none of []:*?/\\, not starting or ending with '", file,
		    sh->name);
		return TALLY_EINTERNAL;
	}
	sh->slug = report_sql_slug(sh->name);
	return 0;
}

void
report_sql_release(struct report_sql_sheet *sh)
{
	free(sh->file);
	free(sh->name);
	free(sh->slug);
	for (size_t i = 0; i < sh->nmoney; i++) {
		free(sh->money[i].column);
		free(sh->money[i].currency);
	}
	free(sh->money);
	free_list(sh->percent, sh->npercent);
	for (size_t i = 0; i < sh->ncharts; i++) {
		free(sh->charts[i].category);
		free_list(sh->charts[i].values, sh->charts[i].nvalues);
		free(sh->charts[i].title);
		free_list(sh->charts[i].dashed, sh->charts[i].ndashed);
	}
	free(sh->charts);
	free_list(sh->heatmap, sh->nheatmap);
	for (size_t i = 0; i < sh->ncolumns; i++) {
		free(sh->columns[i].name);
		free(sh->columns[i].header);
		free(sh->columns[i].note);
	}
	free(sh->columns);
	for (size_t i = 0; i < sh->ntotals; i++) {
		free(sh->totals[i].column);
		free(sh->totals[i].value);
	}
	free(sh->totals);
	for (size_t i = 0; i < sh->ncellnotes; i++) {
		free(sh->cellnotes[i].column);
		free(sh->cellnotes[i].from);
	}
	free(sh->cellnotes);
	free(sh->summary);
	memset(sh, 0, sizeof(*sh));
}

bool
report_sql_is_shared(const char *file)
{
	const char *base = strrchr(file, '/');

	return (base != NULL ? base[1] : file[0]) == '_';
}

int
report_sql_check_shared(const struct report_sql_sheet *sh, struct strbuf *err)
{
	if (sh->has_query || sh->ncolumns == 0 || sh->nmoney > 0 ||
	    sh->npercent > 0 || sh->ncharts > 0 || sh->nheatmap > 0 ||
	    sh->heatmap_numeric || sh->ntotals > 0 || sh->ncellnotes > 0 ||
	    sh->window_days > 0 || sh->summary != NULL) {
		strbuf_addf(err, "%s: a shared header holds \"column:\" lines "
		    "and nothing else (no query, no other directive)", sh->file);
		return TALLY_EINTERNAL;
	}
	return 0;
}

const struct report_sql_column *
report_sql_column(const struct report_sql_sheet *sh, const char *name)
{
	for (size_t i = 0; i < sh->ncolumns; i++)
		if (strcmp(sh->columns[i].name, name) == 0)
			return &sh->columns[i];
	return sh->shared != NULL ? report_sql_column(sh->shared, name) : NULL;
}

char *
report_sql_header(const char *name)
{
	char *h = xstrdup(name);

	for (char *p = h; *p != '\0'; p++)
		if (*p == '_')
			*p = ' ';
	if (h[0] >= 'a' && h[0] <= 'z')
		h[0] = (char)(h[0] - 'a' + 'A');
	return h;
}
