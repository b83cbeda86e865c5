/*
 * panel_dash.c - the dashboard (GET /admin): what `tallyctl status`
 * tells, from the same operation (ops_status), drawn for the daily look.
 *
 * Every number is <span class="figure" data-key="KEY">, KEY the dotted
 * path of the same number in `tallyctl status --json` (pool.free_seats,
 * usage.by_model.NAME), so a test can hold the page against the command.
 */
#include <string.h>

#include "admin/internal.h"
#include "admin/panel.h"
#include "ops/status.h"

/* The most models the usage chart shows (the busiest). */
#define USAGE_MAX 12

static long long
fact(const json_t *status, const char *check, const char *key)
{
	return (long long)json_integer_value(json_object_get(json_object_get(
	    status, check), key));
}

/* One figure: the number with its key, or a dash when status lacks it
 * (a database from before the table it counts). */
static void
figure(struct strbuf *out, const json_t *status, const char *check,
    const char *key)
{
	const json_t *v = json_object_get(json_object_get(status, check), key);

	if (!json_is_integer(v)) {
		html_f(out, "<span class=\"figure missing\">-</span>");
		return;
	}
	html_f(out, "<span class=\"figure\" data-key=\"%s.%s\">%l</span>", check,
	    key, (long long)json_integer_value(v));
}

/* A card's line of two figures of check: "<p>" first, between (text),
 * second; the caller writes the rest of the line and its "</p>". */
static void
two_figures(struct strbuf *out, const json_t *status, const char *check,
    const char *first, const char *between, const char *second)
{
	html_f(out, "<p>");
	figure(out, status, check, first);
	html_f(out, "%s", between);
	figure(out, status, check, second);
}

/* "<li>label: figure</li>" for each key, and the bars of them. */
struct part {
	const char *label, *key;
};

static void
figures_and_bars(struct strbuf *out, const json_t *status, const char *check,
    const char *title, const struct part *parts, size_t n)
{
	const char *labels[8];
	long long values[8];

	html_f(out, "<ul class=\"figures\">\n");
	for (size_t i = 0; i < n && i < 8; i++) {
		html_f(out, "<li>%s: ", parts[i].label);
		figure(out, status, check, parts[i].key);
		html_f(out, "</li>\n");
		labels[i] = parts[i].label;
		values[i] = fact(status, check, parts[i].key);
	}
	html_f(out, "</ul>\n");
	panel_chart_bars(out, title, labels, values, n < 8 ? n : 8);
}

static void
card_begin(struct strbuf *out, const json_t *status, const char *check,
    const char *id, const char *title)
{
	const char *state = json_string_value(json_object_get(json_object_get(
	    status, check), "state"));

	html_f(out, "<section class=\"card\" id=\"dash-%s\"><h2>%s</h2>\n", id,
	    title);
	if (state != NULL)
		html_f(out, "<p class=\"summary state-%s\">%s</p>\n", state,
		    json_string_value(json_object_get(json_object_get(status,
		    check), "summary")));
}

static void
pool_cards(struct strbuf *out, const json_t *st)
{
	static const struct part accounts[] = {
		{ "With room", "accounts_with_room" }, { "Full", "assigned" },
		{ "Suspended", "suspended" },
	};

	card_begin(out, st, "pool", "pool", "Pool buffer");
	two_figures(out, st, "pool", "free_seats", " free seats; the alert is "
	    "below ", "threshold");
	html_f(out, ".</p>\n");
	panel_chart_gauge(out, "Free seats against the alert threshold",
	    fact(st, "pool", "free_seats"), fact(st, "pool", "threshold"), 0);
	html_f(out, "</section>\n");

	html_f(out, "<section class=\"card\" id=\"dash-accounts\">"
	    "<h2>Accounts by status</h2>\n<p>");
	figure(out, st, "pool", "accounts");
	html_f(out, " accounts. <a href=\"/admin/accounts\">Accounts</a></p>\n");
	figures_and_bars(out, st, "pool", "Accounts by status", accounts, 3);
	html_f(out, "</section>\n");
}

static void
work_cards(struct strbuf *out, const json_t *st)
{
	static const struct part orders[] = {
		{ "Paid, not fulfilled", "unfulfilled" },
		{ "Past the SLA", "late" }, { "Held for an admin", "held" },
	};
	static const struct part cases[] = {
		{ "error", "error" }, { "warning", "warning" }, { "info", "info" },
	};
	static const struct part alerts[] = {
		{ "Firing", "firing" }, { "Undelivered", "undelivered" },
	};

	card_begin(out, st, "orders", "orders", "Orders waiting");
	figures_and_bars(out, st, "orders", "Orders waiting", orders, 3);
	html_f(out, "<p><a href=\"/admin/orders?view=unfulfilled\">Unfulfilled"
	    "</a> - <a href=\"/admin/orders?view=held\">Held</a></p>\n"
	    "</section>\n");

	card_begin(out, st, "reconcile", "cases", "Open cases by severity");
	two_figures(out, st, "reconcile", "open", " open, ", "accepted");
	html_f(out, " accepted. <a href=\"/admin/cases\">Cases</a></p>\n");
	figures_and_bars(out, st, "reconcile", "Open cases by severity", cases,
	    3);
	html_f(out, "</section>\n");

	card_begin(out, st, "alerts", "alerts", "Alerts");
	figures_and_bars(out, st, "alerts", "Alerts", alerts, 2);
	html_f(out, "</section>\n");
}

static void
usage_card(struct strbuf *out, const json_t *st)
{
	const json_t *by = json_object_get(json_object_get(st, "usage"),
	    "by_model");
	const char *labels[USAGE_MAX];
	long long values[USAGE_MAX];
	const char *name;
	const json_t *v;
	size_t n = 0;

	card_begin(out, st, "usage", "usage", "Today's calls per model");
	two_figures(out, st, "usage", "calls_today", " calls today, ",
	    "errors_today");
	html_f(out, " failed. <a href=\"/admin/models\">Models</a></p>\n"
	    "<ul class=\"figures\">\n");
	/* busiest first, as the operation orders them */
	json_object_foreach((json_t *)by, name, v) {
		if (n == USAGE_MAX)
			break;
		html_f(out, "<li>%s: <span class=\"figure\" data-key=\"usage."
		    "by_model.%s\">%l</span></li>\n", name, name,
		    (long long)json_integer_value(v));
		labels[n] = name;
		values[n++] = (long long)json_integer_value(v);
	}
	html_f(out, "</ul>\n");
	if (n == 0)
		html_f(out, "<p class=\"empty\">No calls yet today.</p>\n");
	else
		panel_chart_bars(out, "Today's calls per model", labels, values, n);
	html_f(out, "</section>\n");
}

/* Every check's state and line, as `tallyctl status` prints them. */
static void
checks_table(struct strbuf *out, const json_t *st)
{
	const char *name;
	const json_t *check;

	html_f(out, "<h2>Checks</h2>\n<table class=\"list checks\"><thead><tr>"
	    "<th scope=\"col\">check</th><th scope=\"col\">state</th>"
	    "<th scope=\"col\">summary</th></tr></thead>\n<tbody>\n");
	json_object_foreach((json_t *)st, name, check) {
		const char *state = json_string_value(json_object_get(check,
		    "state"));

		if (!json_is_object(check) || state == NULL)
			continue;
		html_f(out, "<tr id=\"check-%s\"><th scope=\"row\">%s</th>"
		    "<td class=\"state state-%s\" data-key=\"%s.state\">%s</td>"
		    "<td>%s</td></tr>\n", name, name, state, name, state,
		    json_string_value(json_object_get(check, "summary")));
	}
	html_f(out, "</tbody></table>\n");
}

void
panel_dashboard(struct admin_req *r)
{
	struct strbuf out = STRBUF_INIT;
	json_t *res = NULL;
	const json_t *st;
	const char *state;
	int rc;

	rc = ops_status(&r->ops, &res);
	st = json_object_get(res, "status");
	state = json_string_value(json_object_get(st, "state"));
	panel_page_begin(r, &out, "dashboard", "Dashboard");
	if (rc != 0)
		panel_error_box(r, &out, rc);
	html_f(&out, "<p class=\"overall state-%s\">Overall: <strong "
	    "data-key=\"state\">%s</strong>, at <time data-key=\"at\">%s</time>"
	    "</p>\n<div class=\"grid\">\n", state != NULL ? state : "fail",
	    state != NULL ? state : "unknown",
	    json_string_value(json_object_get(st, "at")));
	pool_cards(&out, st);
	work_cards(&out, st);
	usage_card(&out, st);
	html_f(&out, "</div>\n");
	checks_table(&out, st);
	panel_page_end(r, &out);
	json_decref(res);
	panel_send(r, rc == 0 ? 200 : admin_status_of(rc), &out);
}
