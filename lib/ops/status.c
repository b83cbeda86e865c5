/*
 * status.c - tally at a glance (see ops/status.h): the receiver's health,
 * events waiting, the last run of every program, free seats, unfulfilled
 * orders, open cases and firing alerts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "base/config.h"
#include "base/err.h"
#include "base/http.h"
#include "base/strbuf.h"
#include "ops/status.h"
#include "pg/query.h"
#include "pg/db.h"
#include "pg/dbarray.h"
#include "pg/readdb.h"

#define HEALTH_TIMEOUT_MS 2000L

int
ops_status_health_url(const char *listen, struct strbuf *url,
    struct strbuf *unix_path)
{
	const char *colon, *host, *port;
	size_t hostlen;
	char *end;
	long p;

	strbuf_reset(url);
	strbuf_reset(unix_path);
	if (strncmp(listen, "unix:", 5) == 0)
		listen += 5;
	if (listen[0] == '/') {
		strbuf_addstr(unix_path, listen);
		strbuf_addstr(url, "http://localhost/healthz");
		return 0;
	}
	if (listen[0] == '[') {
		end = strchr(listen, ']');
		if (end == NULL || end[1] != ':')
			return TALLY_ECONFIG;
		host = listen + 1;
		hostlen = (size_t)(end - host);
		port = end + 2;
	} else {
		colon = strrchr(listen, ':');
		if (colon == NULL || memchr(listen, ':',
		    (size_t)(colon - listen)) != NULL)
			return TALLY_ECONFIG;
		host = listen;
		hostlen = (size_t)(colon - listen);
		port = colon + 1;
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (errno != 0 || end == port || *end != '\0' || p < 1 || p > 65535)
		return TALLY_ECONFIG;
	strbuf_addstr(url, "http://");
	/* a wildcard address is reached on loopback */
	if (hostlen == 0 || (hostlen == 1 && host[0] == '*') ||
	    (hostlen == 7 && strncmp(host, "0.0.0.0", 7) == 0))
		strbuf_addstr(url, "127.0.0.1");
	else if (hostlen == 2 && strncmp(host, "::", 2) == 0)
		strbuf_addstr(url, "[::1]");
	else if (memchr(host, ':', hostlen) != NULL) {
		strbuf_addch(url, '[');
		strbuf_add(url, host, hostlen);
		strbuf_addch(url, ']');
	} else
		strbuf_add(url, host, hostlen);
	strbuf_addf(url, ":%ld/healthz", p);
	return 0;
}


enum check_state { CHECK_OK, CHECK_WARN, CHECK_FAIL, CHECK_NONE };

static const char *const check_names[] = {
	[CHECK_OK] = "ok",
	[CHECK_WARN] = "warn",
	[CHECK_FAIL] = "fail",
	[CHECK_NONE] = "-",
};

struct status {
	const struct config *cfg;
	json_t *root;		/* every fact */
	enum check_state worst;
	json_t *programs;	/* the programs table's rows */
};

/*
 * One check: its name, its state and what a person should read, with its
 * facts (owned by the callee).
 */
static void status_add(struct status *st, const char *name,
    enum check_state s, json_t *facts, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
status_add(struct status *st, const char *name, enum check_state s,
    json_t *facts, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_object_set_new(facts, "state", json_string(check_names[s]));
	json_object_set_new(facts, "summary", json_string(line));
	json_object_set_new(st->root, name, facts);
	if (s != CHECK_NONE && (st->worst == CHECK_NONE || s > st->worst))
		st->worst = s;
}

/* "42 s", "5 min", "3 h", "2 d" */
static void
age_text(long long secs, char *buf, size_t n)
{
	if (secs < 120)
		snprintf(buf, n, "%lld s", secs < 0 ? 0 : secs);
	else if (secs < 2 * 3600)
		snprintf(buf, n, "%lld min", secs / 60);
	else if (secs < 2 * 86400)
		snprintf(buf, n, "%lld h", secs / 3600);
	else
		snprintf(buf, n, "%lld d", secs / 86400);
}

static json_t *
jll_or_null(const PGresult *res, int row, int col)
{
	const char *v = db_value(res, row, col);

	return v != NULL ? json_integer(strtoll(v, NULL, 10)) : json_null();
}

static json_t *
jstr_or_null(const char *v)
{
	return v != NULL ? json_string(v) : json_null();
}

static void
status_receiver(struct status *st)
{
	struct strbuf url = STRBUF_INIT, sock = STRBUF_INIT;
	struct http_result r;
	json_t *facts = json_object();

	if (ops_status_health_url(st->cfg->listen, &url, &sock) != 0) {
		status_add(st, "receiver", CHECK_FAIL, facts,
		    "cannot tell where it listens from listen = %s",
		    st->cfg->listen);
		goto out;
	}
	json_object_set_new(facts, "url", json_string(strbuf_str(&url)));
	if (sock.len > 0)
		json_object_set_new(facts, "socket", json_string(sock.buf));
	http_exchange(strbuf_str(&url), strbuf_str(&sock), NULL,
	    HEALTH_TIMEOUT_MS, false, &r);
	json_object_set_new(facts, "http_status", r.status > 0 ?
	    json_integer(r.status) : json_null());
	if (r.status == 0) {
		json_object_set_new(facts, "error", json_string(r.error));
		status_add(st, "receiver", CHECK_FAIL, facts, "%s: no answer (%s)",
		    strbuf_str(&url), r.error);
	} else if (r.status >= 200 && r.status < 300) {
		json_object_set_new(facts, "ms", json_integer(r.ms));
		status_add(st, "receiver", CHECK_OK, facts,
		    "%s answered %ld in %ld ms", strbuf_str(&url), r.status, r.ms);
	} else {
		status_add(st, "receiver", CHECK_FAIL, facts,
		    "%s answered %ld%s", strbuf_str(&url), r.status,
		    r.status == 503 ? " (it cannot reach the database)" : "");
	}
out:
	strbuf_release(&url);
	strbuf_release(&sock);
}

static int
status_events(struct status *st, struct db *db)
{
	PGresult *res = NULL;
	json_t *facts;
	long long waiting, oldest, failed;
	char age[32] = "";
	enum check_state s = CHECK_OK;
	int rc;

	rc = db_query(db, &res, query_sql("ops/events_waiting"), 0, NULL);
	if (rc != 0)
		return rc;
	waiting = db_value_ll(res, 0, 0, 0);
	oldest = db_value_ll(res, 0, 1, -1);
	failed = db_value_ll(res, 0, 2, 0);
	facts = json_pack("{s:I, s:o, s:I}", "waiting", (json_int_t)waiting,
	    "oldest_waiting_seconds", jll_or_null(res, 0, 1),
	    "failed", (json_int_t)failed);
	PQclear(res);
	/* tally-allocate runs every minute: ten minutes of waiting means it
	 * is not running, or not keeping up */
	if (waiting > 0 && oldest > 600)
		s = CHECK_WARN;
	if (failed > 0)
		s = CHECK_WARN;
	if (oldest >= 0)
		age_text(oldest, age, sizeof(age));
	status_add(st, "events", s, facts,
	    "%lld waiting%s%s%s; %lld failed%s", waiting,
	    waiting > 0 ? " (oldest " : "", age, waiting > 0 ? ")" : "",
	    failed, failed > 0 ? " (tallyctl event list --failed)" : "");
	return 0;
}

static int
status_pool(struct status *st, struct db *db)
{
	PGresult *res = NULL;
	json_t *facts;
	long long accounts, suspended, with_room, free_seats;
	int rc;

	rc = db_query(db, &res,
	    "SELECT count(*),"
	    " count(*) FILTER (WHERE status = 'SUSPENDED'),"
	    " count(*) FILTER (WHERE status = 'AVAILABLE'),"
	    " coalesce(sum(coalesce(max_seats, 1) - current_seats_used)"
	    "   FILTER (WHERE status <> 'SUSPENDED'), 0)"
	    " FROM pool_accounts", 0, NULL);
	if (rc != 0)
		return rc;
	accounts = db_value_ll(res, 0, 0, 0);
	suspended = db_value_ll(res, 0, 1, 0);
	with_room = db_value_ll(res, 0, 2, 0);
	free_seats = db_value_ll(res, 0, 3, 0);
	PQclear(res);
	facts = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
	    "free_seats", (json_int_t)free_seats,
	    "accounts", (json_int_t)accounts,
	    "accounts_with_room", (json_int_t)with_room,
	    "assigned", (json_int_t)(accounts - with_room - suspended),
	    "suspended", (json_int_t)suspended,
	    "threshold", (json_int_t)st->cfg->alert_seat_threshold);
	status_add(st, "pool",
	    free_seats < st->cfg->alert_seat_threshold ? CHECK_WARN : CHECK_OK,
	    facts, "%lld free seat%s (alert below %ld) on %lld of %lld "
	    "accounts; %lld suspended", free_seats, free_seats == 1 ? "" : "s",
	    st->cfg->alert_seat_threshold, with_room, accounts, suspended);
	return 0;
}

static int
status_orders(struct status *st, struct db *db)
{
	PGresult *res = NULL;
	char sla[32], age[32] = "", held_age[32] = "", held_text[160] = "";
	const char *params[1] = { sla };
	json_t *facts;
	long long n, late, oldest, held, held_oldest;
	int rc;

	snprintf(sla, sizeof(sla), "%ld", st->cfg->fulfil_sla_minutes);
	/* held orders are paid and unfulfilled too, but they wait for an
	 * admin, not for the allocator: counted apart */
	rc = db_query(db, &res,
	    "SELECT count(*) FILTER (WHERE o.status = 'PAID'),"
	    " count(*) FILTER (WHERE o.status = 'PAID'"
	    "   AND coalesce(o.paid_at, o.created_at)"
	    "   < now() - make_interval(mins => $1::integer)),"
	    " extract(epoch FROM now() - min(coalesce(o.paid_at, o.created_at))"
	    "   FILTER (WHERE o.status = 'PAID'))::bigint,"
	    " count(*) FILTER (WHERE o.status = 'HELD'),"
	    " extract(epoch FROM now() - min(o.held_at)"
	    "   FILTER (WHERE o.status = 'HELD'))::bigint"
	    " FROM orders o WHERE o.status IN ('PAID', 'HELD')"
	    "  AND NOT EXISTS (SELECT 1 FROM fulfilments f WHERE f.order_id = o.id)",
	    1, params);
	if (rc != 0)
		return rc;
	n = db_value_ll(res, 0, 0, 0);
	late = db_value_ll(res, 0, 1, 0);
	oldest = db_value_ll(res, 0, 2, -1);
	held = db_value_ll(res, 0, 3, 0);
	held_oldest = db_value_ll(res, 0, 4, -1);
	facts = json_pack("{s:I, s:I, s:I, s:o, s:I, s:o}", "unfulfilled",
	    (json_int_t)n, "late", (json_int_t)late, "sla_minutes",
	    (json_int_t)st->cfg->fulfil_sla_minutes,
	    "oldest_seconds", jll_or_null(res, 0, 2),
	    "held", (json_int_t)held,
	    "oldest_held_seconds", jll_or_null(res, 0, 4));
	PQclear(res);
	if (oldest >= 0)
		age_text(oldest, age, sizeof(age));
	if (held > 0) {
		if (held_oldest >= 0)
			age_text(held_oldest, held_age, sizeof(held_age));
		snprintf(held_text, sizeof(held_text), "; %lld held for an admin "
		    "(oldest %s: tallyctl order list --held)", held, held_age);
	}
	if (n == 0)
		status_add(st, "orders", held > 0 ? CHECK_WARN : CHECK_OK, facts,
		    "no paid order waits for its seat or credits%s", held_text);
	else
		status_add(st, "orders", late > 0 || held > 0 ? CHECK_WARN :
		    CHECK_OK, facts, "%lld paid, not fulfilled; %lld for more "
		    "than %ld min (oldest %s)%s", n, late,
		    st->cfg->fulfil_sla_minutes, age, held_text);
	return 0;
}

/*
 * The rows of sql for the check named check, which reads table: a
 * database from before the migration that made the table has nothing to
 * say (the check is "-", *res NULL).
 */
static int
status_query(struct status *st, struct db *db, const char *check,
    const char *table, const char *sql, PGresult **res)
{
	const char *params[1] = { table };
	char *v = NULL;
	int rc;

	*res = NULL;
	rc = db_query_value(db, &v, "SELECT (to_regclass($1) IS NOT NULL)::text",
	    1, params);
	if (rc == 0 && (v == NULL || strcmp(v, "true") != 0))
		status_add(st, check, CHECK_NONE, json_object(), "no %s table in "
		    "this database", table);
	else if (rc == 0)
		rc = db_query(db, res, sql, 0, NULL);
	free(v);
	return rc;
}

/* info < warning < error, as reconcile_severity orders them */
static int
severity_rank(const char *s)
{
	return strcmp(s, "error") == 0 ? 2 : strcmp(s, "warning") == 0 ? 1 : 0;
}

/*
 * Open reconcile cases (sql/030_reconcile.sql), by severity.  The check
 * warns at the severity from which tally-reconcile itself exits 1
 * (reconcile_severity), so both tell the same story.  A database from
 * before that migration has no such table: nothing to say.
 */
static int
status_reconcile(struct status *st, struct db *db)
{
	PGresult *res = NULL;
	long long open, err, warn, info, accepted, over;
	int rank = severity_rank(st->cfg->reconcile_severity);
	int rc;

	rc = status_query(st, db, "reconcile", "reconcile_cases",
	    "SELECT count(*) FILTER (WHERE status = 'OPEN'),"
	    " count(*) FILTER (WHERE status = 'OPEN' AND severity = 'error'),"
	    " count(*) FILTER (WHERE status = 'OPEN' AND severity = 'warning'),"
	    " count(*) FILTER (WHERE status = 'OPEN' AND severity = 'info'),"
	    " count(*) FILTER (WHERE status = 'ACCEPTED')"
	    " FROM reconcile_cases WHERE status <> 'CLOSED'", &res);
	if (rc != 0 || res == NULL)
		return rc;
	open = db_value_ll(res, 0, 0, 0);
	err = db_value_ll(res, 0, 1, 0);
	warn = db_value_ll(res, 0, 2, 0);
	info = db_value_ll(res, 0, 3, 0);
	accepted = db_value_ll(res, 0, 4, 0);
	PQclear(res);
	over = err + (rank <= 1 ? warn : 0) + (rank == 0 ? info : 0);
	status_add(st, "reconcile", over > 0 ? CHECK_WARN : CHECK_OK,
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:s}", "open", (json_int_t)open,
	    "error", (json_int_t)err, "warning", (json_int_t)warn,
	    "info", (json_int_t)info, "accepted", (json_int_t)accepted,
	    "severity_threshold", st->cfg->reconcile_severity),
	    "%lld open case%s (%lld error, %lld warning, %lld info); %lld "
	    "accepted%s", open, open == 1 ? "" : "s", err, warn, info, accepted,
	    open > 0 ? " (tallyctl case list --open)" : "");
	return 0;
}

/*
 * Alerts (sql/010_allocate.sql): those firing now, and those whose
 * delivery to alert_url keeps failing.
 */
static int
status_alerts(struct status *st, struct db *db)
{
	PGresult *res = NULL;
	long long firing, pending;
	const char *keys, *error;
	int rc;

	rc = status_query(st, db, "alerts", "alerts",
	    "SELECT count(*) FILTER (WHERE active),"
	    " array_to_string((array_agg(key ORDER BY key)"
	    "   FILTER (WHERE active))[1:3], ', '),"
	    " count(*) FILTER (WHERE delivery_pending),"
	    " (array_agg(last_error ORDER BY updated_at DESC)"
	    "   FILTER (WHERE delivery_pending AND last_error IS NOT NULL))[1]"
	    " FROM alerts", &res);
	if (rc != 0 || res == NULL)
		return rc;
	firing = db_value_ll(res, 0, 0, 0);
	keys = db_value(res, 0, 1);
	pending = db_value_ll(res, 0, 2, 0);
	error = db_value(res, 0, 3);
	status_add(st, "alerts", firing + pending > 0 ? CHECK_WARN : CHECK_OK,
	    json_pack("{s:I, s:I, s:o}", "firing", (json_int_t)firing,
	    "undelivered", (json_int_t)pending,
	    "last_delivery_error", jstr_or_null(error)),
	    "%lld firing%s%s%s; %lld undelivered%s%s", firing,
	    keys != NULL ? " (" : "", keys != NULL ? keys : "",
	    keys != NULL ? (firing > 3 ? ", ...)" : ")") : "", pending,
	    error != NULL ? ": " : "", error != NULL ? error : "");
	PQclear(res);
	return 0;
}

/* "12 B", "3.4 MB" */
static void
bytes_text(long long n, char *buf, size_t len)
{
	if (n < 1024)
		snprintf(buf, len, "%lld B", n);
	else if (n < 1024 * 1024)
		snprintf(buf, len, "%.1f kB", (double)n / 1024.0);
	else
		snprintf(buf, len, "%.1f MB", (double)n / (1024.0 * 1024.0));
}

/*
 * The read database (read_database_url), as the reports see it: a copy
 * of the primary, and how far behind.  Appends to the summary; a read
 * database the programs could not use fails the check.
 */
static enum check_state
status_read_db(struct status *st, struct db *db, json_t *facts,
    struct strbuf *line)
{
	struct strbuf why = STRBUF_INIT;
	struct readdb_look l;
	struct db *read = NULL;
	enum check_state s = CHECK_OK;
	json_t *r = json_object();
	char at[PERIOD_ISO_MAX], b[32];

	strbuf_addstr(line, line->len > 0 ? "; read database " :
	    "read database ");
	if (db_connect_url(&read, st->cfg->read_database_url, "tallyctl-status",
	    "tally_report") != 0) {
		strbuf_addstr(line, "unreachable (reports and reconcile "
		    "exit 69)");
		json_object_set_new(r, "error", json_string("unreachable"));
		s = CHECK_FAIL;
	} else if (readdb_check(db, read, &why) != 0) {
		strbuf_addf(line, "refused: %s", strbuf_str(&why));
		json_object_set_new(r, "error", json_string(strbuf_str(&why)));
		s = CHECK_FAIL;
	} else if (readdb_look(db, read, &l) != 0) {
		strbuf_addf(line, "cannot tell its position: %s",
		    db_errmsg(read));
		s = CHECK_FAIL;
	} else {
		bytes_text(l.behind_bytes, b, sizeof(b));
		json_object_set_new(r, "standby", json_boolean(l.standby));
		json_object_set_new(r, "caught_up", json_boolean(l.caught_up));
		json_object_set_new(r, "behind_bytes",
		    json_integer(l.behind_bytes));
		if (l.replayed_known) {
			period_format_utc_us(l.replayed, at);
			json_object_set_new(r, "replayed_until",
			    json_string(at));
		}
		if (!l.standby)
			strbuf_addstr(line, "is the primary itself");
		else if (l.caught_up)
			strbuf_addstr(line, "caught up");
		else if (l.replayed_known)
			strbuf_addf(line, "%s behind, replayed up to %s", b,
			    at);
		else
			strbuf_addf(line, "%s behind, nothing replayed yet", b);
	}
	json_object_set_new(facts, "read_database", r);
	db_free(read);
	strbuf_release(&why);
	return s;
}

/*
 * The standbys streaming from the primary (sql/081: tally_replicas()),
 * slots no standby uses, and the read database.  Warns when one is not
 * streaming or lags by more than read_lag_wait, the wait an --as-of
 * allows it.
 */
static int
status_replicas(struct status *st, struct db *db)
{
	const char *params[1] = { "tally_replicas()" };
	struct strbuf line = STRBUF_INIT;
	enum check_state s = CHECK_NONE, rs;
	PGresult *res = NULL;
	json_t *facts = json_object(), *list = json_array();
	char *v = NULL, b[32];
	int rc, i;

	rc = db_query_value(db, &v, "SELECT (to_regprocedure($1) IS NOT NULL)"
	    "::text", 1, params);
	if (rc == 0 && v != NULL && strcmp(v, "true") == 0)
		rc = db_query(db, &res, "SELECT name, state, sync_state,"
		    " slot, behind_bytes,"
		    " round(replay_lag_seconds::numeric, 3)::text, wal_status"
		    " FROM tally_replicas()", 0, NULL);
	free(v);
	if (rc != 0)
		goto out;
	for (i = 0; res != NULL && i < PQntuples(res); i++) {
		const char *name = db_value(res, i, 0);
		const char *state = db_value(res, i, 1);
		const char *lag = db_value(res, i, 5);
		long long behind = db_value_ll(res, i, 4, -1);
		bool streaming = state != NULL &&
		    strcmp(state, "streaming") == 0;

		json_array_append_new(list, json_pack("{s:o, s:o, s:o, s:o,"
		    " s:o, s:o, s:o}", "name", jstr_or_null(name),
		    "state", jstr_or_null(state),
		    "sync_state", jstr_or_null(db_value(res, i, 2)),
		    "slot", jstr_or_null(db_value(res, i, 3)),
		    "behind_bytes", jll_or_null(res, i, 4),
		    "replay_lag_seconds", lag != NULL ?
		    json_real(strtod(lag, NULL)) : json_null(),
		    "wal_status", jstr_or_null(db_value(res, i, 6))));
		if (s == CHECK_NONE)
			s = CHECK_OK;
		if (!streaming || (lag != NULL &&
		    strtod(lag, NULL) > (double)st->cfg->read_lag_wait))
			s = CHECK_WARN;
		if (name == NULL)
			name = db_value(res, i, 3);
		strbuf_addf(&line, "%s%s %s", i > 0 ? ", " : "",
		    name != NULL ? name : "a standby",
		    state != NULL ? state : "(unknown)");
		if (behind >= 0) {
			bytes_text(behind, b, sizeof(b));
			strbuf_addf(&line, " %s behind", b);
		} else {
			strbuf_addstr(&line, " (its position needs "
			    "pg_read_all_stats)");
		}
		if (lag != NULL)
			strbuf_addf(&line, ", replay lag %s s", lag);
	}
	json_object_set_new(facts, "standbys", list);
	if (st->cfg->read_database_url != NULL &&
	    st->cfg->read_database_url[0] != '\0') {
		rs = status_read_db(st, db, facts, &line);
		if (s == CHECK_NONE || rs > s)
			s = rs;
	}
	if (s == CHECK_NONE)
		status_add(st, "replicas", s, facts, "no standby, no "
		    "read_database_url: everything reads the primary");
	else
		status_add(st, "replicas", s, facts, "%s", strbuf_str(&line));
	facts = NULL;
out:
	json_decref(facts);
	PQclear(res);
	strbuf_release(&line);
	return rc;
}

/* The programs systemd runs, and how often: a program whose last run is
 * much older than that has stopped running (a disabled timer, a crash
 * that left its job_runs row RUNNING). */
static const struct scheduled {
	const char *program;
	long every;		/* seconds between timer runs */
} scheduled[] = {
	{ "tally-allocate", 60 },
	{ "tally-expire", 300 },
	{ "tally-reconcile", 86400 },
	{ "tally-model-stats", 86400 },
	{ "tally-backup", 86400 },
	{ "tally-weekly-report", 7 * 86400 },
	{ "tally-monthly-review", 31 * 86400 },
};
#define NSCHEDULED (sizeof(scheduled) / sizeof(scheduled[0]))

static long
overdue_after(const char *program)
{
	size_t i;
	long every;

	for (i = 0; i < NSCHEDULED; i++)
		if (strcmp(scheduled[i].program, program) == 0) {
			every = scheduled[i].every;
			/* three periods, and at least the period plus an
			 * hour for the timers' randomised delays */
			return every * 3 > every + 3600 ? every * 3 : every + 3600;
		}
	return 0;
}

/* Cut s to at most max bytes on a UTF-8 character boundary, marking the
 * cut with "..."; the text table escapes the rest. */
static void
shorten(struct strbuf *out, const char *s, size_t max)
{
	size_t n = strlen(s);

	strbuf_reset(out);
	if (n <= max) {
		strbuf_addstr(out, s);
		return;
	}
	n = max - 3;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	strbuf_add(out, s, n);
	strbuf_addstr(out, "...");
}

static const char programs_sql[] =
    /* every program that ever ran, found by skipping through the
     * (program, started_at) index instead of reading every run */
    "WITH RECURSIVE seen(program) AS ("
    "  (SELECT program FROM job_runs ORDER BY program LIMIT 1)"
    "  UNION ALL"
    "  SELECT (SELECT j.program FROM job_runs j WHERE j.program > s.program"
    "           ORDER BY j.program LIMIT 1)"
    "    FROM seen s WHERE s.program IS NOT NULL),"
    " names AS ("
    "  SELECT program FROM seen WHERE program IS NOT NULL"
    "  UNION SELECT unnest($1::text[]))"
    " SELECT n.program, r.status,"
    "  to_char(r.started_at, 'YYYY-MM-DD HH24:MI'),"
    "  to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "  to_char(r.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "  extract(epoch FROM now() - r.started_at)::bigint,"
    "  round(extract(epoch FROM r.finished_at - r.started_at)::numeric, 1)::text,"
    "  r.message,"
    "  to_char(ok.at, 'YYYY-MM-DD HH24:MI'),"
    "  to_char(ok.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM names n"
    " LEFT JOIN LATERAL (SELECT j.status, j.started_at, j.finished_at, j.message"
    "   FROM job_runs j WHERE j.program = n.program"
    "   ORDER BY j.started_at DESC LIMIT 1) r ON true"
    " LEFT JOIN LATERAL (SELECT max(j.started_at) AS at FROM job_runs j"
    "   WHERE j.program = n.program AND j.status = 'OK') ok ON true"
    " ORDER BY n.program";

static int
status_programs(struct status *st, struct db *db)
{
	struct strbuf names = STRBUF_INIT, note = STRBUF_INIT, last = STRBUF_INIT;
	const char *params[1];
	PGresult *res = NULL;
	json_t *list = json_array(), *facts, *run;
	const char *known[NSCHEDULED];
	int rc, i, nfail = 0, nwarn = 0, nnever = 0;
	size_t k;

	for (k = 0; k < NSCHEDULED; k++)
		known[k] = scheduled[k].program;
	db_array_literal(&names, known, NSCHEDULED);
	params[0] = names.buf;
	rc = db_query(db, &res, programs_sql, 1, params);
	strbuf_release(&names);
	if (rc != 0) {
		json_decref(list);
		return rc;
	}
	st->programs = json_array();
	for (i = 0; i < PQntuples(res); i++) {
		const char *program = db_value(res, i, 0);
		const char *status = db_value(res, i, 1);
		const char *message = db_value(res, i, 7);
		long long age = db_value_ll(res, i, 5, -1);
		long limit = overdue_after(program);
		bool overdue = status != NULL && limit > 0 && age > limit;
		enum check_state s = CHECK_OK;
		char agebuf[32] = "";

		if (status == NULL) {
			s = CHECK_NONE;
			nnever++;
		} else if (strcmp(status, "FAILED") == 0) {
			s = CHECK_FAIL;
		} else if (strcmp(status, "PROBLEMS") == 0 || overdue) {
			s = CHECK_WARN;
		}
		if (s == CHECK_FAIL)
			nfail++;
		else if (s == CHECK_WARN)
			nwarn++;
		strbuf_reset(&last);
		if (status != NULL) {
			age_text(age, agebuf, sizeof(agebuf));
			strbuf_addf(&last, "%s (%s ago)", db_value(res, i, 2), agebuf);
		}
		strbuf_reset(&note);
		if (overdue) {
			age_text(limit, agebuf, sizeof(agebuf));
			strbuf_addf(&note, "overdue: no run for %s", agebuf);
		}
		if (message != NULL) {
			struct strbuf cut = STRBUF_INIT;

			shorten(&cut, message, 60);
			strbuf_addf(&note, "%s%s", note.len > 0 ? "; " : "", cut.buf);
			strbuf_release(&cut);
		}
		json_array_append_new(st->programs, json_pack("{s:s, s:s, s:s,"
		    " s:o, s:o, s:o, s:o}", "program", program, "state",
		    check_names[s], "last run", status != NULL ? last.buf : "never",
		    "result", jstr_or_null(status),
		    "took s", jstr_or_null(db_value(res, i, 6)),
		    "last success", jstr_or_null(db_value(res, i, 8)),
		    "note", jstr_or_null(note.len > 0 ? note.buf : NULL)));

		run = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:b}",
		    "program", program, "state", check_names[s],
		    "status", jstr_or_null(status),
		    "started_at", jstr_or_null(db_value(res, i, 3)),
		    "finished_at", jstr_or_null(db_value(res, i, 4)),
		    "seconds", db_value(res, i, 6) != NULL ?
		    json_real(strtod(db_value(res, i, 6), NULL)) : json_null(),
		    "message", jstr_or_null(message),
		    "last_success", jstr_or_null(db_value(res, i, 9)),
		    "overdue", overdue);
		json_array_append_new(list, run);
	}
	PQclear(res);
	strbuf_release(&note);
	strbuf_release(&last);
	facts = json_object();
	json_object_set_new(facts, "runs", list);
	status_add(st, "programs",
	    nfail > 0 ? CHECK_FAIL : nwarn > 0 ? CHECK_WARN : CHECK_OK, facts,
	    "%d failed, %d need a look, %d never ran (table below)",
	    nfail, nwarn, nnever);
	return 0;
}

/*
 * Today's model calls (usage_events), in all and per model: today is the
 * day of the report time zone (the transaction's timezone).  A fact, not
 * a check: it never warns.
 */
static int
status_usage(struct status *st, struct db *db)
{
	PGresult *res = NULL;
	struct strbuf top = STRBUF_INIT;
	json_t *by_model = json_object();
	long long calls = 0, errors = 0;
	int rc, i, n;

	rc = db_query(db, &res,
	    "SELECT m.name, count(*), count(*) FILTER (WHERE u.status = 'error')"
	    " FROM usage_events u JOIN models m ON m.id = u.model_id"
	    " WHERE u.started_at >= date_trunc('day', now())"
	    " GROUP BY m.name ORDER BY 2 DESC, 1", 0, NULL);
	if (rc != 0) {
		json_decref(by_model);
		return rc;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		long long c = db_value_ll(res, i, 1, 0);

		json_object_set_new(by_model, PQgetvalue(res, i, 0),
		    json_integer((json_int_t)c));
		calls += c;
		errors += db_value_ll(res, i, 2, 0);
		if (i < 3)
			strbuf_addf(&top, "%s%s %lld", i > 0 ? ", " : " (",
			    PQgetvalue(res, i, 0), c);
	}
	if (n > 3)
		strbuf_addstr(&top, ", ...");
	if (n > 0)
		strbuf_addch(&top, ')');
	PQclear(res);
	status_add(st, "usage", CHECK_OK, json_pack("{s:I, s:I, s:o}",
	    "calls_today", (json_int_t)calls, "errors_today", (json_int_t)errors,
	    "by_model", by_model), "%lld model call%s today%s; %lld failed",
	    calls, calls == 1 ? "" : "s", strbuf_str(&top), errors);
	strbuf_release(&top);
	return 0;
}

/* Everything that needs the database, in one read-only snapshot so the
 * figures agree with each other. */
static int
status_database(struct ops *o, struct status *st, struct db *db)
{
	const char *params[1] = { st->cfg->tz };
	char *version = NULL;
	int rc;

	rc = db_begin(db, DB_REPEATABLE_READ_RO);
	if (rc != 0)
		return rc;
	/* times for people in the report time zone; a zone PostgreSQL does
	 * not know is a configuration error, said as such */
	rc = db_query_value(db, &version,
	    "SELECT set_config('timezone', $1, true)", 1, params);
	free(version);
	version = NULL;
	if (rc != 0) {
		ops_fail(o, TALLY_ECONFIG, "tz", "tz = %s: %s", st->cfg->tz,
		    db_errmsg(db));
		db_rollback(db);
		return TALLY_ECONFIG;
	}
	rc = db_query_value(db, &version, "SELECT current_setting('server_version')",
	    0, NULL);
	if (rc == 0)
		status_add(st, "database", CHECK_OK,
		    json_pack("{s:s, s:s}", "database", PQdb(db_conn(db)),
		    "server_version", version != NULL ? version : ""),
		    "%s, PostgreSQL %s", PQdb(db_conn(db)),
		    version != NULL ? version : "?");
	free(version);
	if (rc == 0)
		rc = status_events(st, db);
	if (rc == 0)
		rc = status_pool(st, db);
	if (rc == 0)
		rc = status_orders(st, db);
	if (rc == 0)
		rc = status_reconcile(st, db);
	if (rc == 0)
		rc = status_alerts(st, db);
	if (rc == 0)
		rc = status_usage(st, db);
	if (rc == 0)
		rc = status_replicas(st, db);
	if (rc == 0)
		rc = status_programs(st, db);
	if (rc != 0)
		ops_fail(o, rc, NULL, "status: %s", db_errmsg(db));
	db_rollback(db);
	return rc;
}

/* The programs table as people read it: these columns, in this order. */
static json_t *
programs_table(json_t *rows)
{
	return json_pack("{s:o, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s},"
	    " {s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}",
	    "items", rows != NULL ? rows : json_array(), "columns",
	    "name", "program", "type", "text", "name", "state", "type", "text",
	    "name", "last run", "type", "text", "name", "result", "type", "text",
	    "name", "took s", "type", "decimal",
	    "name", "last success", "type", "text", "name", "note", "type", "text");
}

int
ops_status(struct ops *o, json_t **out)
{
	struct config defaults;
	struct status st;
	char at[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	ops_reset(o);
	config_init(&defaults);
	memset(&st, 0, sizeof(st));
	st.cfg = o->cfg != NULL ? o->cfg : &defaults;
	st.root = json_object();
	st.worst = CHECK_NONE;
	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(st.root, "at", json_string(at));

	status_receiver(&st);
	/* the status of a tally whose database is down is still worth
	 * giving: the receiver line says whether webhooks are refused */
	rc = ops_connect(o);
	if (rc != 0)
		status_add(&st, "database", CHECK_FAIL, json_object(),
		    "%s (see the message above)", tally_strerror(rc));
	else
		rc = status_database(o, &st, o->db);

	json_object_set_new(st.root, "state",
	    json_string(check_names[st.worst == CHECK_NONE ? CHECK_OK : st.worst]));
	*out = json_pack("{s:o, s:o}", "status", st.root, "programs",
	    programs_table(st.programs));
	config_free(&defaults);
	return rc;
}
