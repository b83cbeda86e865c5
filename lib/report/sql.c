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
	sh->charts = xrealloc(sh->charts, (sh->ncharts + 1) * sizeof(*sh->charts));
	sh->charts[sh->ncharts++] = c;	/* freed with the sheet either way */
	return rc;
}

static int
directive(struct report_sql_sheet *sh, const char *key, const char *v,
    struct strbuf *why)
{
	static const char *const known[] = { "sheet", "money", "percent",
		"chart", "heatmap" };

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
			    "sheet, money, percent, chart, heatmap)", key);
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
    struct strbuf *why)
{
	size_t i = 0, k0, k1;
	char *key, *val;
	int rc;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	k0 = i;
	while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
		i++;
	k1 = i;
	if (k1 == k0 || i >= n || s[i] != ':')
		return 0;
	key = xstrndup(s + k0, k1 - k0);
	val = trimmed(s + i + 1, n - i - 1);
	rc = directive(sh, key, val, why);
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
		if (q < p + n) {
			if (q + 1 >= p + n || q[0] != '-' || q[1] != '-')
				break;	/* the query starts: the header is over */
			if (header_line(sh, q + 2, (size_t)(p + n - q - 2),
			    &why) != 0) {
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
	}
	free(sh->charts);
	free_list(sh->heatmap, sh->nheatmap);
	memset(sh, 0, sizeof(*sh));
}
