#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pg/db.h"
#include "base/err.h"
#include "base/log.h"
#include "pg/pgembed.h"
#include "base/strbuf.h"

struct db {
	PGconn *conn;
	char *conninfo;
	char *appname;
	char *role;
	struct strbuf errmsg;
	char sqlstate[6];
};

int
db_classify(const char *sqlstate)
{
	if (sqlstate == NULL || sqlstate[0] == '\0')
		return TALLY_EUNAVAIL;
	if (strcmp(sqlstate, "23505") == 0)
		return TALLY_ECONFLICT;
	if (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0)
		return TALLY_ERETRY;
	/* connection exceptions, admin/crash shutdown, cannot connect now,
	 * insufficient resources: the server is (for now) not there */
	if (strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "57P01") == 0 ||
	    strcmp(sqlstate, "57P02") == 0 || strcmp(sqlstate, "57P03") == 0 ||
	    strncmp(sqlstate, "53", 2) == 0)
		return TALLY_EUNAVAIL;
	if (strcmp(sqlstate, "55P03") == 0)	/* lock_not_available */
		return TALLY_ELOCKED;
	/* data exceptions and integrity violations: the input was wrong */
	if (strncmp(sqlstate, "22", 2) == 0 || strncmp(sqlstate, "23", 2) == 0)
		return TALLY_EDATA;
	return TALLY_EDB;
}

char *
db_default_url(void)
{
	const char *url = getenv("TALLY_DATABASE_URL");
	char *sock;
	struct strbuf sb = STRBUF_INIT;

	if (url != NULL && url[0] != '\0')
		return xstrdup(url);
	sock = pgembed_socket_dir(NULL);
	/* the socket dir is ours alone; no password is ever in it */
	strbuf_addf(&sb, "host=%s port=%d dbname=%s user=%s", sock,
	    PGEMBED_PORT, PGEMBED_DBNAME, PGEMBED_SUPERUSER);
	free(sock);
	return strbuf_detach(&sb, NULL);
}

static void
set_error(struct db *db, const char *sqlstate, const char *msg)
{
	size_t n;

	strbuf_reset(&db->errmsg);
	strbuf_addstr(&db->errmsg, msg != NULL ? msg : "");
	/* libpq messages end in a newline; ours are one line */
	while (db->errmsg.len > 0 && (db->errmsg.buf[db->errmsg.len - 1] == '\n' ||
	    db->errmsg.buf[db->errmsg.len - 1] == ' '))
		db->errmsg.buf[--db->errmsg.len] = '\0';
	for (n = 0; n < db->errmsg.len; n++)
		if (db->errmsg.buf[n] == '\n')
			db->errmsg.buf[n] = ' ';
	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s",
	    sqlstate != NULL ? sqlstate : "");
}

/* Server notices ("relation already exists, skipping") are not ours to
 * print on stderr unasked; warnings still are. */
static void
notice_to_log(void *arg, const char *message)
{
	(void)arg;
	if (strncmp(message, "WARNING", 7) == 0)
		log_warning("database: %.*s", (int)strcspn(message, "\n"), message);
	else
		log_debug("database: %.*s", (int)strcspn(message, "\n"), message);
}

/*
 * The connection parameters: every one the URL sets, except that a
 * program's role replaces the URL's user and password.  A program logs
 * in as its own role (tally_receiver, tally_batch, ...), so RESET ROLE or
 * SET ROLE in its session can reach no other role's rights; its password,
 * if the server wants one, comes from the libpq password file (PGPASSFILE),
 * never from a URL that another program's login shares.
 */
static int
conn_params(struct db *db, const char ***keys, const char ***vals,
    PQconninfoOption **opts)
{
	PQconninfoOption *o;
	size_t n = 0, i = 0;
	bool timeout = false;

	*opts = PQconninfoParse(db->conninfo, NULL);
	if (*opts == NULL)
		return TALLY_ECONFIG;
	for (o = *opts; o->keyword != NULL; o++)
		n++;
	*keys = xcalloc(n + 4, sizeof(**keys));
	*vals = xcalloc(n + 4, sizeof(**vals));
	for (o = *opts; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (db->role != NULL && (strcmp(o->keyword, "user") == 0 ||
		    strcmp(o->keyword, "password") == 0))
			continue;
		if (strcmp(o->keyword, "connect_timeout") == 0)
			timeout = true;
		(*keys)[i] = o->keyword;
		(*vals)[i++] = o->val;
	}
	if (db->role != NULL) {
		(*keys)[i] = "user";
		(*vals)[i++] = db->role;
	}
	(*keys)[i] = "fallback_application_name";
	(*vals)[i++] = db->appname;
	if (!timeout) {
		(*keys)[i] = "connect_timeout";
		(*vals)[i++] = "10";
	}
	return 0;
}

static int
open_conn(struct db *db)
{
	const char **keys = NULL, **vals = NULL;
	PQconninfoOption *opts = NULL;
	int rc;

	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	rc = conn_params(db, &keys, &vals, &opts);
	if (rc == 0)
		db->conn = PQconnectdbParams(keys, vals, 0);
	free(keys);
	free(vals);
	PQconninfoFree(opts);
	if (rc != 0) {
		set_error(db, NULL, "not a valid connection string");
		return rc;
	}
	if (db->conn == NULL) {
		set_error(db, NULL, "out of memory connecting");
		return TALLY_ENOMEM;
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		set_error(db, NULL, PQerrorMessage(db->conn));
		return TALLY_EUNAVAIL;
	}
	PQsetNoticeProcessor(db->conn, notice_to_log, NULL);
	set_error(db, NULL, "");
	return 0;
}

int
db_connect_url(struct db **out, const char *conninfo, const char *appname,
    const char *role)
{
	struct db *db;
	char *err = NULL;
	PQconninfoOption *opts;
	int rc;

	*out = NULL;
	db = xcalloc(1, sizeof(*db));
	strbuf_init(&db->errmsg);
	db->conninfo = conninfo != NULL ? xstrdup(conninfo) : db_default_url();
	db->appname = xstrdup(appname != NULL ? appname : "tally");
	db->role = role != NULL ? xstrdup(role) : NULL;

	/* A malformed URL is a configuration error, not an outage. */
	opts = PQconninfoParse(db->conninfo, &err);
	if (opts == NULL) {
		log_err("TALLY_DATABASE_URL is not a valid connection string: %s",
		    err != NULL ? err : "out of memory");
		PQfreemem(err);
		db_free(db);
		return TALLY_ECONFIG;
	}
	PQconninfoFree(opts);

	rc = open_conn(db);
	if (rc != 0) {
		log_err("cannot connect to the database%s%s: %s%s",
		    role != NULL ? " as " : "", role != NULL ? role : "",
		    strbuf_str(&db->errmsg),
		    getenv("TALLY_DATABASE_URL") == NULL && conninfo == NULL ?
		    " (no TALLY_DATABASE_URL: is the embedded cluster up? run "
		    "'tallyctl db up')" : role != NULL ? " (each program logs "
		    "in as its own role: the role must be able to LOGIN and its "
		    "password, if any, be in the libpq password file; see "
		    "docs/DEPLOY.md)" : "");
		db_free(db);
		return rc == TALLY_EDB ? TALLY_EUNAVAIL : rc;
	}
	*out = db;
	return 0;
}

int
db_connect(struct db **out, const char *appname, const char *role)
{
	return db_connect_url(out, NULL, appname, role);
}

int
db_conninfo_check(const char *name, const char *conninfo, struct strbuf *err)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);

	if (opts == NULL) {
		if (err != NULL)
			strbuf_addf(err, "%s is not a valid connection string "
			    "(postgresql://... or key=value pairs)\n", name);
		return TALLY_ECONFIG;
	}
	PQconninfoFree(opts);
	return 0;
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	free(db->conninfo);
	free(db->appname);
	free(db->role);
	strbuf_release(&db->errmsg);
	free(db);
}

PGconn *
db_conn(struct db *db)
{
	return db->conn;
}

void
db_set_error(struct db *db, const char *msg)
{
	set_error(db, NULL, msg);
}

const char *
db_errmsg(const struct db *db)
{
	return strbuf_str(&db->errmsg);
}

const char *
db_sqlstate(const struct db *db)
{
	return db->sqlstate;
}

bool
db_ok(struct db *db)
{
	return db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK;
}

int
db_reconnect(struct db *db)
{
	return open_conn(db);
}

/* Turn a failed result (or none) into a classified error on the handle. */
static int
fail_result(struct db *db, PGresult *res, ExecStatusType expect)
{
	const char *state = NULL;
	const char *msg;
	int rc;

	if (res != NULL) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorMessage(res);
		if (msg == NULL || msg[0] == '\0')
			msg = PQresStatus(PQresultStatus(res));
	} else {
		msg = PQerrorMessage(db->conn);
	}
	set_error(db, state, msg);
	if (state == NULL && PQstatus(db->conn) == CONNECTION_OK &&
	    res != NULL && PQresultStatus(res) != PGRES_FATAL_ERROR) {
		/* the statement worked but returned the wrong kind of result:
		 * a programming error, not the server's */
		strbuf_addf(&db->errmsg, " (expected %s)", PQresStatus(expect));
		rc = TALLY_EINTERNAL;
	} else if (state == NULL && PQstatus(db->conn) == CONNECTION_OK) {
		rc = TALLY_EDB;
	} else {
		rc = db_classify(state);
	}
	log_debug("database: %s [%s]", strbuf_str(&db->errmsg),
	    db->sqlstate[0] ? db->sqlstate : "no sqlstate");
	if (res != NULL)
		PQclear(res);
	return rc;
}

int
db_exec(struct db *db, PGresult **res, ExecStatusType expect, const char *sql,
    int nparams, const char *const *params)
{
	PGresult *r;

	if (res != NULL)
		*res = NULL;
	if (db->conn == NULL) {
		set_error(db, NULL, "not connected");
		return TALLY_EUNAVAIL;
	}
	r = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (r == NULL || PQresultStatus(r) != expect)
		return fail_result(db, r, expect);
	if (res != NULL)
		*res = r;
	else
		PQclear(r);
	return 0;
}

int
db_command(struct db *db, long long *affected, const char *sql, int nparams,
    const char *const *params)
{
	PGresult *res;
	int rc;
	const char *n;

	rc = db_exec(db, &res, PGRES_COMMAND_OK, sql, nparams, params);
	if (rc != 0)
		return rc;
	if (affected != NULL) {
		n = PQcmdTuples(res);
		*affected = n != NULL && n[0] != '\0' ? strtoll(n, NULL, 10) : 0;
	}
	PQclear(res);
	return 0;
}

int
db_query(struct db *db, PGresult **res, const char *sql, int nparams,
    const char *const *params)
{
	return db_exec(db, res, PGRES_TUPLES_OK, sql, nparams, params);
}

int
db_query_value(struct db *db, char **value, const char *sql, int nparams,
    const char *const *params)
{
	PGresult *res;
	int rc;

	*value = NULL;
	rc = db_query(db, &res, sql, nparams, params);
	if (rc != 0)
		return rc;
	if (PQntuples(res) != 1 || PQnfields(res) != 1) {
		set_error(db, NULL, "");
		strbuf_addf(&db->errmsg, "expected one value, got %d rows of %d columns",
		    PQntuples(res), PQnfields(res));
		PQclear(res);
		return TALLY_EINTERNAL;
	}
	if (!PQgetisnull(res, 0, 0))
		*value = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int
db_simple(struct db *db, const char *sql)
{
	PGresult *r;
	ExecStatusType st;

	if (db->conn == NULL) {
		set_error(db, NULL, "not connected");
		return TALLY_EUNAVAIL;
	}
	/* PQexec allows several statements (a migration file); the result
	 * is the last one's */
	r = PQexec(db->conn, sql);
	st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return fail_result(db, r, PGRES_COMMAND_OK);
	PQclear(r);
	return 0;
}

int
db_begin(struct db *db, enum db_isolation iso)
{
	static const char *const stmt[] = {
		[DB_READ_COMMITTED] = "BEGIN ISOLATION LEVEL READ COMMITTED",
		[DB_REPEATABLE_READ] = "BEGIN ISOLATION LEVEL REPEATABLE READ",
		[DB_SERIALIZABLE] = "BEGIN ISOLATION LEVEL SERIALIZABLE",
		[DB_REPEATABLE_READ_RO] =
		    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	};

	return db_simple(db, stmt[iso]);
}

int
db_commit(struct db *db)
{
	return db_simple(db, "COMMIT");
}

void
db_rollback(struct db *db)
{
	PGresult *r;

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return;
	if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return;
	r = PQexec(db->conn, "ROLLBACK");
	PQclear(r);
}

static void
backoff(int attempt)
{
	struct timespec ts;
	long ms;

	/* 5..~80 ms, randomised so two retrying writers fall out of step */
	ms = (5L << (attempt < 4 ? attempt : 4)) + (long)(random() % 10);
	ts.tv_sec = 0;
	ts.tv_nsec = ms * 1000000L;
	nanosleep(&ts, NULL);
}

int
db_transaction(struct db *db, enum db_isolation iso, int max_attempts,
    int (*fn)(struct db *db, void *arg), void *arg)
{
	int attempt, rc = TALLY_ERETRY;

	if (max_attempts < 1)
		max_attempts = 1;
	for (attempt = 0; attempt < max_attempts; attempt++) {
		if (attempt > 0) {
			log_debug("transaction retry %d after: %s", attempt,
			    db_errmsg(db));
			backoff(attempt);
		}
		rc = db_begin(db, iso);
		if (rc != 0)
			return rc;
		rc = fn(db, arg);
		if (rc == 0)
			rc = db_commit(db);
		if (rc == 0)
			return 0;
		db_rollback(db);
		if (rc != TALLY_ERETRY)
			return rc;
	}
	return rc;
}

int
db_try_lock(struct db *db, const char *name)
{
	const char *params[1] = { name };
	char *got = NULL;
	int rc;

	/* two int4 keys: a fixed namespace and the name's hash, so tally's
	 * locks never meet another application's */
	rc = db_query_value(db, &got,
	    "SELECT pg_try_advisory_lock(7283391, hashtext($1))", 1, params);
	if (rc != 0)
		return rc;
	rc = got != NULL && strcmp(got, "t") == 0 ? 0 : TALLY_ELOCKED;
	free(got);
	return rc;
}

int
db_unlock(struct db *db, const char *name)
{
	const char *params[1] = { name };
	char *got = NULL;
	int rc;

	rc = db_query_value(db, &got,
	    "SELECT pg_advisory_unlock(7283391, hashtext($1))", 1, params);
	free(got);
	return rc;
}

const char *
db_value(const PGresult *res, int row, int col)
{
	if (row >= PQntuples(res) || col >= PQnfields(res) ||
	    PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

long long
db_value_ll(const PGresult *res, int row, int col, long long dflt)
{
	const char *v = db_value(res, row, col);
	char *end;
	long long n;

	if (v == NULL)
		return dflt;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0')
		return dflt;
	return n;
}

/* Pieces of COPY data handed to libpq at a time. */
#define COPY_PIECE (64 * 1024)

void
db_copy_text(struct strbuf *sb, const char *v, size_t n)
{
	static const char special[] = "\\\t\n\r", escaped[] = "\\tnr";
	const char *p;

	if (v == NULL) {
		strbuf_addstr(sb, "\\N");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i] != '\0' && (p = strchr(special, v[i])) != NULL) {
			strbuf_addch(sb, '\\');
			strbuf_addch(sb, escaped[p - special]);
		} else {
			strbuf_addch(sb, v[i]);
		}
	}
}

static int
copy_put(struct db *to, struct strbuf *sb)
{
	int rc = 0;

	if (sb->len > 0 &&
	    PQputCopyData(to->conn, sb->buf, (int)sb->len) != 1) {
		set_error(to, NULL, PQerrorMessage(to->conn));
		rc = TALLY_EUNAVAIL;
	}
	strbuf_reset(sb);
	return rc;
}

/* The query's rows into the COPY; from's failure is returned. */
static int
copy_stream(struct db *from, const char *sql, int nparams,
    const char *const *params, struct db *to, long long *n, int *put_rc)
{
	struct strbuf sb = STRBUF_INIT;
	PGresult *r;
	ExecStatusType st;
	int rc = 0;

	if (!PQsendQueryParams(from->conn, sql, nparams, NULL, params, NULL,
	    NULL, 0) || !PQsetSingleRowMode(from->conn))
		rc = fail_result(from, NULL, PGRES_TUPLES_OK);
	/* every result is read, even after a failure, so from stays usable */
	while ((r = PQgetResult(from->conn)) != NULL) {
		st = PQresultStatus(r);
		if (st == PGRES_SINGLE_TUPLE) {
			if (rc == 0 && *put_rc == 0) {
				for (int c = 0; c < PQnfields(r); c++) {
					if (c > 0)
						strbuf_addch(&sb, '\t');
					db_copy_text(&sb, PQgetisnull(r, 0, c) ?
					    NULL : PQgetvalue(r, 0, c),
					    (size_t)PQgetlength(r, 0, c));
				}
				strbuf_addch(&sb, '\n');
				(*n)++;
				if (sb.len >= COPY_PIECE)
					*put_rc = copy_put(to, &sb);
			}
			PQclear(r);
		} else if (st == PGRES_TUPLES_OK || rc != 0) {
			PQclear(r);
		} else {
			rc = fail_result(from, r, PGRES_TUPLES_OK);
		}
	}
	if (rc == 0 && *put_rc == 0)
		*put_rc = copy_put(to, &sb);
	strbuf_release(&sb);
	return rc;
}

int
db_copy_rows(struct db *from, const char *sql, int nparams,
    const char *const *params, struct db *to, const char *copy_sql,
    long long *rows)
{
	PGresult *r;
	long long n = 0;
	int rc, put_rc = 0, end_rc;

	if (rows != NULL)
		*rows = 0;
	if (from->conn == NULL || to->conn == NULL) {
		set_error(from->conn == NULL ? from : to, NULL,
		    "not connected");
		return TALLY_EUNAVAIL;
	}
	r = PQexec(to->conn, copy_sql);
	if (r == NULL || PQresultStatus(r) != PGRES_COPY_IN)
		return fail_result(to, r, PGRES_COPY_IN);
	PQclear(r);
	rc = copy_stream(from, sql, nparams, params, to, &n, &put_rc);
	/* an aborted COPY fails on the server, which leaves its
	 * transaction aborted: no half of the rows stays */
	if (PQputCopyEnd(to->conn, rc != 0 || put_rc != 0 ?
	    "the rows' query failed" : NULL) != 1 && put_rc == 0) {
		set_error(to, NULL, PQerrorMessage(to->conn));
		put_rc = TALLY_EUNAVAIL;
	}
	end_rc = 0;
	while ((r = PQgetResult(to->conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && end_rc == 0)
			end_rc = fail_result(to, r, PGRES_COMMAND_OK);
		else
			PQclear(r);
	}
	if (rc != 0) {
		/* the caller reads one handle: to's, which failed because
		 * from did */
		set_error(to, from->sqlstate, strbuf_str(&from->errmsg));
		return rc;
	}
	if (put_rc != 0)
		return put_rc;
	if (end_rc != 0)
		return end_rc;
	if (rows != NULL)
		*rows = n;
	return 0;
}
