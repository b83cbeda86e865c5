/*
 * readdb.c - how far a hot standby has replayed the primary, and waiting
 * for it (readdb.h).  The wait polls the replay position with a short,
 * growing pause between looks; it never sleeps for the whole allowance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "base/log.h"
#include "pg/readdb.h"

/* to_char() of a timestamptz in UTC, to the microsecond */
#define UTC_US(x) "to_char((" x ") AT TIME ZONE 'UTC'," \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* first and longest pause between two looks at the replay position */
#define POLL_FIRST_MS 10
#define POLL_MAX_MS 250

/* What the primary said: fixed for one wait. */
struct primary {
	char lsn[32];			/* pg_current_wal_insert_lsn() */
	struct period_instant now;
	char commit[PERIOD_ISO_MAX];	/* its last commit's time, or "" */
};

static int
instant_cmp(struct period_instant a, struct period_instant b)
{
	if (a.sec != b.sec)
		return a.sec < b.sec ? -1 : 1;
	return a.usec < b.usec ? -1 : a.usec > b.usec;
}

static int
parse_utc(const char *s, struct period_instant *out)
{
	return s != NULL && period_parse_instant_us(s, "UTC", out) == 0 ? 0 :
	    TALLY_EINTERNAL;
}

/*
 * The insert position covers every commit visible now, flushed or not
 * (synchronous_commit = off makes a commit visible before its flush).
 * The last commit's time needs track_commit_timestamp: with it, WAL
 * written after the last commit (a checkpoint, a vacuum) does not make
 * an idle standby look behind.
 */
static int
look_primary(struct db *db, struct primary *p)
{
	PGresult *res = NULL;
	const char *v;
	int rc;

	rc = db_query(db, &res,
	    "SELECT pg_current_wal_insert_lsn()::text, " UTC_US("now()") ","
	    " CASE WHEN current_setting('track_commit_timestamp')::boolean"
	    "  THEN " UTC_US("(SELECT x.\"timestamp\""
	    "   FROM pg_last_committed_xact() x)") " END", 0, NULL);
	if (rc != 0)
		return rc;
	v = db_value(res, 0, 0);
	snprintf(p->lsn, sizeof(p->lsn), "%s", v != NULL ? v : "");
	rc = parse_utc(db_value(res, 0, 1), &p->now);
	v = db_value(res, 0, 2);
	snprintf(p->commit, sizeof(p->commit), "%s", v != NULL ? v : "");
	PQclear(res);
	return rc;
}

static int
look_read(struct db *db, const struct primary *p, struct readdb_look *l)
{
	const char *params[2] = { p->lsn, p->commit[0] != '\0' ? p->commit :
		NULL };
	PGresult *res = NULL;
	const char *v;
	int rc;

	rc = db_query(db, &res,
	    "SELECT pg_is_in_recovery(),"
	    " " UTC_US("pg_last_xact_replay_timestamp()") ","
	    " CASE WHEN pg_is_in_recovery() THEN greatest(0,"
	    "  pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()))::bigint"
	    "  ELSE 0 END,"
	    " NOT pg_is_in_recovery()"
	    "  OR coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)"
	    "  OR coalesce(pg_last_xact_replay_timestamp()"
	    "              >= $2::timestamptz, false)", 2, params);
	if (rc != 0)
		return rc;
	l->standby = strcmp(db_value(res, 0, 0), "t") == 0;
	v = db_value(res, 0, 1);
	l->replayed_known = v != NULL;
	if (v != NULL)
		rc = parse_utc(v, &l->replayed);
	l->behind_bytes = db_value_ll(res, 0, 2, 0);
	l->caught_up = strcmp(db_value(res, 0, 3), "t") == 0;
	l->primary_now = p->now;
	PQclear(res);
	return rc;
}

int
readdb_look(struct db *primary, struct db *read, struct readdb_look *l)
{
	struct primary p;
	int rc;

	memset(l, 0, sizeof(*l));
	if ((rc = look_primary(primary, &p)) != 0)
		return rc;
	return look_read(read, &p, l);
}

static int
identity(struct db *db, PGresult **res)
{
	return db_query(db, res,
	    "SELECT (SELECT system_identifier FROM pg_control_system())::text,"
	    " current_database(), pg_is_in_recovery()::text,"
	    " pg_postmaster_start_time()::text", 0, NULL);
}

int
readdb_check(struct db *primary, struct db *read, struct strbuf *why)
{
	PGresult *p = NULL, *r = NULL;
	int rc;

	if ((rc = identity(primary, &p)) != 0) {
		strbuf_addf(why, "the primary: %s", db_errmsg(primary));
		return rc;
	}
	if ((rc = identity(read, &r)) != 0) {
		strbuf_addf(why, "the read database: %s", db_errmsg(read));
		goto done;
	}
	rc = TALLY_ECONFIG;
	if (strcmp(PQgetvalue(p, 0, 2), "true") == 0)
		strbuf_addstr(why, "the database programs write to is in "
		    "recovery (a standby): TALLY_DATABASE_URL must name the "
		    "primary");
	else if (strcmp(PQgetvalue(p, 0, 0), PQgetvalue(r, 0, 0)) != 0)
		strbuf_addf(why, "the read database is another cluster (system "
		    "identifier %s, the primary's is %s): it must be a standby "
		    "made from the primary (pg_basebackup)",
		    PQgetvalue(r, 0, 0), PQgetvalue(p, 0, 0));
	else if (strcmp(PQgetvalue(p, 0, 1), PQgetvalue(r, 0, 1)) != 0)
		strbuf_addf(why, "the read database is database %s, the "
		    "primary's is %s", PQgetvalue(r, 0, 1),
		    PQgetvalue(p, 0, 1));
	else if (strcmp(PQgetvalue(r, 0, 2), "true") != 0 &&
	    strcmp(PQgetvalue(p, 0, 3), PQgetvalue(r, 0, 3)) != 0)
		strbuf_addstr(why, "the read database is neither in recovery "
		    "nor the primary itself (a promoted standby no longer "
		    "follows the primary)");
	else
		rc = 0;
done:
	PQclear(p);
	PQclear(r);
	return rc;
}

/* A pause before the next look, never past the deadline. */
static void
pause_until(long *ms, double deadline)
{
	double left = deadline - log_clock();
	long n = *ms;
	struct timespec ts;

	if (left * 1000.0 < (double)n)
		n = left > 0 ? (long)(left * 1000.0) + 1 : 0;
	ts.tv_sec = n / 1000;
	ts.tv_nsec = (n % 1000) * 1000000L;
	nanosleep(&ts, NULL);
	*ms = *ms * 2 > POLL_MAX_MS ? POLL_MAX_MS : *ms * 2;
}

/* What a wait is for. */
enum goal { GOAL_DEFAULT, GOAL_GIVEN, GOAL_CAUGHT_UP };

static bool
reached(const struct readdb_look *l, enum goal g,
    const struct period_instant *given)
{
	switch (g) {
	case GOAL_DEFAULT:
		return l->caught_up || l->replayed_known;
	case GOAL_GIVEN:
		return l->caught_up || (l->replayed_known &&
		    instant_cmp(l->replayed, *given) >= 0);
	case GOAL_CAUGHT_UP:
		return l->caught_up;
	}
	return false;
}

static void
say_lag(const struct readdb_look *l, enum goal g,
    const struct period_instant *given, long wait_s, struct strbuf *why)
{
	char at[PERIOD_ISO_MAX], want[PERIOD_ISO_MAX];
	double lag;

	if (!l->replayed_known) {
		strbuf_addf(why, "the read database has not replayed a "
		    "transaction since it started and is %lld bytes of WAL "
		    "behind the primary", l->behind_bytes);
	} else {
		period_format_utc_us(l->replayed, at);
		strbuf_addf(why, "the read database has replayed the primary "
		    "up to %s, %lld bytes of WAL behind it", at,
		    l->behind_bytes);
		if (g == GOAL_GIVEN) {
			period_format_utc_us(*given, want);
			lag = (double)(given->sec - l->replayed.sec) +
			    (double)(given->usec - l->replayed.usec) / 1e6;
			strbuf_addf(why, ": %.3f s short of the as-of %s", lag,
			    want);
		} else if (g == GOAL_CAUGHT_UP) {
			strbuf_addstr(why, ", short of this run's own writes");
		}
	}
	strbuf_addf(why, "; waited %ld s (read_lag_wait): try again later",
	    wait_s);
}

static int
wait_for(struct db *primary, struct db *read, enum goal g,
    const struct period_instant *given, long wait_s, struct readdb_look *l,
    struct strbuf *why)
{
	double deadline = log_clock() + (double)wait_s;
	long ms = POLL_FIRST_MS;
	struct primary p;
	bool said = false;
	int rc;

	memset(l, 0, sizeof(*l));
	if ((rc = look_primary(primary, &p)) != 0) {
		strbuf_addf(why, "the primary: %s", db_errmsg(primary));
		return rc;
	}
	for (;;) {
		if ((rc = look_read(read, &p, l)) != 0) {
			strbuf_addf(why, "the read database: %s",
			    db_errmsg(read));
			return rc;
		}
		if (reached(l, g, given))
			return 0;
		if (log_clock() >= deadline) {
			say_lag(l, g, given, wait_s, why);
			return TALLY_ERETRY;
		}
		if (!said) {
			log_info("waiting up to %ld s for the read database to "
			    "replay the primary (%lld bytes behind)", wait_s,
			    l->behind_bytes);
			said = true;
		}
		pause_until(&ms, deadline);
	}
}

int
readdb_as_of(struct db *primary, struct db *read,
    const struct period_instant *given, long wait_s,
    struct period_instant *as_of, struct strbuf *why)
{
	struct readdb_look l;
	int rc;

	rc = wait_for(primary, read, given != NULL ? GOAL_GIVEN : GOAL_DEFAULT,
	    given, wait_s, &l, why);
	if (rc != 0)
		return rc;
	if (given != NULL)
		*as_of = *given;
	else
		*as_of = l.caught_up ? l.primary_now : l.replayed;
	return 0;
}

int
readdb_catch_up(struct db *primary, struct db *read, long wait_s,
    struct strbuf *why)
{
	struct readdb_look l;

	return wait_for(primary, read, GOAL_CAUGHT_UP, NULL, wait_s, &l, why);
}
